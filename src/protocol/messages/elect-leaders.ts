// ElectLeaders (API key 43). Written from the Apache Kafka message definitions (Apache License
// 2.0), in the same form as the generated files.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 adds the election type (0 preferred, 1 unclean; version 0 is preferred only).
 * Version 2 is the first flexible version.
 */
export const ElectLeadersRequest = message<ElectLeadersRequest>("request", "ElectLeadersRequest", 43, "0-2", "2+", [
  f("ElectionType", "int8", "1+"),
  // null: every partition.
  f("TopicPartitions", "[]TopicPartitions", "0+", { nullable: "0+", fields: [
    f("Topic", "string", "0+"),
    f("Partitions", "[]int32", "0+"),
  ] }),
  f("TimeoutMs", "int32", "0+", { default: "60000" }),
]);

/** Version 1 adds the top-level error code. Version 2 is the first flexible version. */
export const ElectLeadersResponse = message<ElectLeadersResponse>("response", "ElectLeadersResponse", 43, "0-2", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "1+"),
  f("ReplicaElectionResults", "[]ReplicaElectionResult", "0+", { fields: [
    f("Topic", "string", "0+"),
    f("PartitionResult", "[]PartitionResult", "0+", { fields: [
      f("PartitionId", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
      f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
]);

export interface ElectLeadersRequest extends TaggedFields {
  electionType: number;
  topicPartitions: ElectLeadersTopicPartitions[] | null;
  timeoutMs: number;
}

export interface ElectLeadersTopicPartitions extends TaggedFields {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  replicaElectionResults: ReplicaElectionResult[];
}

export interface ReplicaElectionResult extends TaggedFields {
  topic: string;
  partitionResult: ElectionPartitionResult[];
}

export interface ElectionPartitionResult extends TaggedFields {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

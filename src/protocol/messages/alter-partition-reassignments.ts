// AlterPartitionReassignments (API key 45). Written from the Apache Kafka message definitions
// (Apache License 2.0), in the same form as the generated files.
import { f, message, type TaggedFields } from "../schema.ts";

/** Version 0 is the first and flexible. */
export const AlterPartitionReassignmentsRequest = message<AlterPartitionReassignmentsRequest>("request", "AlterPartitionReassignmentsRequest", 45, "0", "0+", [
  f("TimeoutMs", "int32", "0+", { default: "60000" }),
  f("Topics", "[]ReassignableTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]ReassignablePartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      // null cancels a pending reassignment of the partition.
      f("Replicas", "[]int32", "0+", { nullable: "0+", default: "null" }),
    ] }),
  ] }),
]);

export const AlterPartitionReassignmentsResponse = message<AlterPartitionReassignmentsResponse>("response", "AlterPartitionReassignmentsResponse", 45, "0", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  f("Responses", "[]ReassignableTopicResponse", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]ReassignablePartitionResponse", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
      f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
]);

export interface AlterPartitionReassignmentsRequest extends TaggedFields {
  timeoutMs: number;
  topics: ReassignableTopic[];
}

export interface ReassignableTopic extends TaggedFields {
  name: string;
  partitions: ReassignablePartition[];
}

export interface ReassignablePartition extends TaggedFields {
  partitionIndex: number;
  replicas: number[] | null;
}

export interface AlterPartitionReassignmentsResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  responses: ReassignableTopicResponse[];
}

export interface ReassignableTopicResponse extends TaggedFields {
  name: string;
  partitions: ReassignablePartitionResponse[];
}

export interface ReassignablePartitionResponse extends TaggedFields {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
}

// CreateTopics (API key 19). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 adds validateOnly.
 *
 * Version 4 makes partitions/replicationFactor optional even when assignments are not present (KIP-464)
 *
 * Version 5 is the first flexible version.
 * Version 5 also returns topic configs in the response (KIP-525).
 *
 * Version 6 is identical to version 5 but may return a THROTTLING_QUOTA_EXCEEDED error
 * in the response if the topics creation is throttled (KIP-599).
 *
 * Version 7 is the same as version 6.
 */
export const CreateTopicsRequest = message<CreateTopicsRequest>("request", "CreateTopicsRequest", 19, "0-7", "5+", [
  f("Topics", "[]CreatableTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("NumPartitions", "int32", "0+"),
    f("ReplicationFactor", "int16", "0+"),
    f("Assignments", "[]CreatableReplicaAssignment", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("BrokerIds", "[]int32", "0+"),
    ] }),
    f("Configs", "[]CreatableTopicConfig", "0+", { fields: [
      f("Name", "string", "0+"),
      f("Value", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
  f("timeoutMs", "int32", "0+", { default: "60000" }),
  f("validateOnly", "bool", "1+", { default: "false" }),
]);

/**
 * Version 1 adds a per-topic error message string.
 *
 * Version 2 adds the throttle time.
 *
 * Starting in version 3, on quota violation, brokers send out responses before throttling.
 *
 * Version 4 makes partitions/replicationFactor optional even when assignments are not present (KIP-464).
 *
 * Version 5 is the first flexible version.
 * Version 5 also returns topic configs in the response (KIP-525).
 *
 * Version 6 is identical to version 5 but may return a THROTTLING_QUOTA_EXCEEDED error
 * in the response if the topics creation is throttled (KIP-599).
 *
 * Version 7 returns the topic ID of the newly created topic if creation is successful.
 */
export const CreateTopicsResponse = message<CreateTopicsResponse>("response", "CreateTopicsResponse", 19, "0-7", "5+", [
  f("ThrottleTimeMs", "int32", "2+"),
  f("Topics", "[]CreatableTopicResult", "0+", { fields: [
    f("Name", "string", "0+"),
    f("TopicId", "uuid", "7+"),
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "1+", { nullable: "0+" }),
    f("TopicConfigErrorCode", "int16", "5+", { tag: 0, tagged: "5+" }),
    f("NumPartitions", "int32", "5+", { default: "-1" }),
    f("ReplicationFactor", "int16", "5+", { default: "-1" }),
    f("Configs", "[]CreatableTopicConfigs", "5+", { nullable: "5+", fields: [
      f("Name", "string", "5+"),
      f("Value", "string", "5+", { nullable: "5+" }),
      f("ReadOnly", "bool", "5+"),
      f("ConfigSource", "int8", "5+", { default: "-1" }),
      f("IsSensitive", "bool", "5+"),
    ] }),
  ] }),
]);

export interface CreateTopicsRequest extends TaggedFields {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatableTopic extends TaggedFields {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreatableTopicConfig[];
}

export interface CreatableReplicaAssignment extends TaggedFields {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreatableTopicConfig extends TaggedFields {
  name: string;
  value: string | null;
}

export interface CreateTopicsResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}

export interface CreatableTopicResult extends TaggedFields {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  topicConfigErrorCode: number;
  numPartitions: number;
  replicationFactor: number;
  configs: CreatableTopicConfigs[] | null;
}

export interface CreatableTopicConfigs extends TaggedFields {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

// CreatePartitions (API key 37). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 *
 * Version 2 adds flexible version support
 *
 * Version 3 is identical to version 2 but may return a THROTTLING_QUOTA_EXCEEDED error
 * in the response if the partitions creation is throttled (KIP-599).
 */
export const CreatePartitionsRequest = message<CreatePartitionsRequest>("request", "CreatePartitionsRequest", 37, "0-3", "2+", [
  f("Topics", "[]CreatePartitionsTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Count", "int32", "0+"),
    f("Assignments", "[]CreatePartitionsAssignment", "0+", { nullable: "0+", fields: [
      f("BrokerIds", "[]int32", "0+"),
    ] }),
  ] }),
  f("TimeoutMs", "int32", "0+"),
  f("ValidateOnly", "bool", "0+"),
]);

/**
 * Starting in version 1, on quota violation, brokers send out responses before throttling.
 *
 * Version 2 adds flexible version support
 *
 * Version 3 is identical to version 2 but may return a THROTTLING_QUOTA_EXCEEDED error
 * in the response if the partitions creation is throttled (KIP-599).
 */
export const CreatePartitionsResponse = message<CreatePartitionsResponse>("response", "CreatePartitionsResponse", 37, "0-3", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Results", "[]CreatePartitionsTopicResult", "0+", { fields: [
    f("Name", "string", "0+"),
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+", default: "null" }),
  ] }),
]);

export interface CreatePartitionsRequest extends TaggedFields {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsTopic extends TaggedFields {
  name: string;
  count: number;
  assignments: CreatePartitionsAssignment[] | null;
}

export interface CreatePartitionsAssignment extends TaggedFields {
  brokerIds: number[];
}

export interface CreatePartitionsResponse extends TaggedFields {
  throttleTimeMs: number;
  results: CreatePartitionsTopicResult[];
}

export interface CreatePartitionsTopicResult extends TaggedFields {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

// DeleteRecords (API key 21). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 * Version 2 is the first flexible version.
 */
export const DeleteRecordsRequest = message<DeleteRecordsRequest>("request", "DeleteRecordsRequest", 21, "0-2", "2+", [
  f("Topics", "[]DeleteRecordsTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]DeleteRecordsPartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("Offset", "int64", "0+"),
    ] }),
  ] }),
  f("TimeoutMs", "int32", "0+"),
]);

/**
 * Starting in version 1, on quota violation, brokers send out responses before throttling.
 * Version 2 is the first flexible version.
 */
export const DeleteRecordsResponse = message<DeleteRecordsResponse>("response", "DeleteRecordsResponse", 21, "0-2", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Topics", "[]DeleteRecordsTopicResult", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]DeleteRecordsPartitionResult", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("LowWatermark", "int64", "0+"),
      f("ErrorCode", "int16", "0+"),
    ] }),
  ] }),
]);

export interface DeleteRecordsRequest extends TaggedFields {
  topics: DeleteRecordsTopic[];
  timeoutMs: number;
}

export interface DeleteRecordsTopic extends TaggedFields {
  name: string;
  partitions: DeleteRecordsPartition[];
}

export interface DeleteRecordsPartition extends TaggedFields {
  partitionIndex: number;
  offset: number;
}

export interface DeleteRecordsResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: DeleteRecordsTopicResult[];
}

export interface DeleteRecordsTopicResult extends TaggedFields {
  name: string;
  partitions: DeleteRecordsPartitionResult[];
}

export interface DeleteRecordsPartitionResult extends TaggedFields {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}

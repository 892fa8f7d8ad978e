// OffsetDelete (API key 47). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message } from "../schema.ts";

export const OffsetDeleteRequest = message<OffsetDeleteRequest>("request", "OffsetDeleteRequest", 47, "0", "none", [
  f("GroupId", "string", "0+"),
  f("Topics", "[]OffsetDeleteRequestTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]OffsetDeleteRequestPartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
    ] }),
  ] }),
]);

export const OffsetDeleteResponse = message<OffsetDeleteResponse>("response", "OffsetDeleteResponse", 47, "0", "none", [
  f("ErrorCode", "int16", "0+"),
  f("ThrottleTimeMs", "int32", "0+"),
  f("Topics", "[]OffsetDeleteResponseTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]OffsetDeleteResponsePartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
    ] }),
  ] }),
]);

export interface OffsetDeleteRequest {
  groupId: string;
  topics: OffsetDeleteRequestTopic[];
}

export interface OffsetDeleteRequestTopic {
  name: string;
  partitions: OffsetDeleteRequestPartition[];
}

export interface OffsetDeleteRequestPartition {
  partitionIndex: number;
}

export interface OffsetDeleteResponse {
  errorCode: number;
  throttleTimeMs: number;
  topics: OffsetDeleteResponseTopic[];
}

export interface OffsetDeleteResponseTopic {
  name: string;
  partitions: OffsetDeleteResponsePartition[];
}

export interface OffsetDeleteResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

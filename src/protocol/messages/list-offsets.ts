// ListOffsets (API key 2). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 removes MaxNumOffsets.  From this version forward, only a single
 * offset can be returned.
 *
 * Version 2 adds the isolation level, which is used for transactional reads.
 *
 * Version 3 is the same as version 2.
 *
 * Version 4 adds the current leader epoch, which is used for fencing.
 *
 * Version 5 is the same as version 4.
 *
 * Version 6 enables flexible versions.
 *
 * Version 7 enables listing offsets by max timestamp (KIP-734).
 *
 * Version 8 enables listing offsets by local log start offset (KIP-405).
 *
 * Version 9 enables listing offsets by last tiered offset (KIP-1005).
 *
 * Version 10 enables async remote list offsets support (KIP-1075)
 */
export const ListOffsetsRequest = message<ListOffsetsRequest>("request", "ListOffsetsRequest", 2, "0-10", "6+", [
  f("ReplicaId", "int32", "0+"),
  f("IsolationLevel", "int8", "2+"),
  f("Topics", "[]ListOffsetsTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]ListOffsetsPartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("CurrentLeaderEpoch", "int32", "4+", { default: "-1" }),
      f("Timestamp", "int64", "0+"),
      f("MaxNumOffsets", "int32", "0", { default: "1" }),
    ] }),
  ] }),
  f("TimeoutMs", "int32", "10+"),
]);

/**
 * Version 1 removes the offsets array in favor of returning a single offset.
 * Version 1 also adds the timestamp associated with the returned offset.
 *
 * Version 2 adds the throttle time.
 *
 * Starting in version 3, on quota violation, brokers send out responses before throttling.
 *
 * Version 4 adds the leader epoch, which is used for fencing.
 *
 * Version 5 adds a new error code, OFFSET_NOT_AVAILABLE.
 *
 * Version 6 enables flexible versions.
 *
 * Version 7 is the same as version 6 (KIP-734).
 *
 * Version 8 enables listing offsets by local log start offset.
 * This is the earliest log start offset in the local log. (KIP-405).
 *
 * Version 9 enables listing offsets by last tiered offset (KIP-1005).
 *
 * Version 10 enables async remote list offsets support (KIP-1075)
 */
export const ListOffsetsResponse = message<ListOffsetsResponse>("response", "ListOffsetsResponse", 2, "0-10", "6+", [
  f("ThrottleTimeMs", "int32", "2+"),
  f("Topics", "[]ListOffsetsTopicResponse", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]ListOffsetsPartitionResponse", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
      f("OldStyleOffsets", "[]int64", "0"),
      f("Timestamp", "int64", "1+", { default: "-1" }),
      f("Offset", "int64", "1+", { default: "-1" }),
      f("LeaderEpoch", "int32", "4+", { default: "-1" }),
    ] }),
  ] }),
]);

export interface ListOffsetsRequest extends TaggedFields {
  replicaId: number;
  isolationLevel: number;
  topics: ListOffsetsTopic[];
  timeoutMs: number;
}

export interface ListOffsetsTopic extends TaggedFields {
  name: string;
  partitions: ListOffsetsPartition[];
}

export interface ListOffsetsPartition extends TaggedFields {
  partitionIndex: number;
  currentLeaderEpoch: number;
  timestamp: number;
  maxNumOffsets: number;
}

export interface ListOffsetsResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: ListOffsetsTopicResponse[];
}

export interface ListOffsetsTopicResponse extends TaggedFields {
  name: string;
  partitions: ListOffsetsPartitionResponse[];
}

export interface ListOffsetsPartitionResponse extends TaggedFields {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

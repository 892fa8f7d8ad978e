// OffsetForLeaderEpoch (API key 23). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 *
 * Version 2 adds the current leader epoch to support fencing.
 *
 * Version 3 adds ReplicaId (the default is -2 which conventionally represents a
 *    "debug" consumer which is allowed to see offsets beyond the high watermark).
 *    Followers will use this replicaId when using an older version of the protocol.
 *
 * Version 4 enables flexible versions.
 */
export const OffsetForLeaderEpochRequest = message<OffsetForLeaderEpochRequest>("request", "OffsetForLeaderEpochRequest", 23, "0-4", "4+", [
  f("ReplicaId", "int32", "3+", { default: "-2" }),
  f("Topics", "[]OffsetForLeaderTopic", "0+", { fields: [
    f("Topic", "string", "0+"),
    f("Partitions", "[]OffsetForLeaderPartition", "0+", { fields: [
      f("Partition", "int32", "0+"),
      f("CurrentLeaderEpoch", "int32", "2+", { default: "-1" }),
      f("LeaderEpoch", "int32", "0+"),
    ] }),
  ] }),
]);

/**
 * Version 1 added the leader epoch to the response.
 *
 * Version 2 added the throttle time.
 *
 * Version 3 is the same as version 2.
 *
 * Version 4 enables flexible versions.
 */
export const OffsetForLeaderEpochResponse = message<OffsetForLeaderEpochResponse>("response", "OffsetForLeaderEpochResponse", 23, "0-4", "4+", [
  f("ThrottleTimeMs", "int32", "2+"),
  f("Topics", "[]OffsetForLeaderTopicResult", "0+", { fields: [
    f("Topic", "string", "0+"),
    f("Partitions", "[]EpochEndOffset", "0+", { fields: [
      f("ErrorCode", "int16", "0+"),
      f("Partition", "int32", "0+"),
      f("LeaderEpoch", "int32", "1+", { default: "-1" }),
      f("EndOffset", "int64", "0+", { default: "-1" }),
    ] }),
  ] }),
]);

export interface OffsetForLeaderEpochRequest extends TaggedFields {
  replicaId: number;
  topics: OffsetForLeaderTopic[];
}

export interface OffsetForLeaderTopic extends TaggedFields {
  topic: string;
  partitions: OffsetForLeaderPartition[];
}

export interface OffsetForLeaderPartition extends TaggedFields {
  partition: number;
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: OffsetForLeaderTopicResult[];
}

export interface OffsetForLeaderTopicResult extends TaggedFields {
  topic: string;
  partitions: OffsetForLeaderEpochResponseEpochEndOffset[];
}

export interface OffsetForLeaderEpochResponseEpochEndOffset extends TaggedFields {
  errorCode: number;
  partition: number;
  leaderEpoch: number;
  endOffset: number;
}

// Fetch (API key 1). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 *
 * Starting in Version 2, the requester must be able to handle Kafka Log
 * Message format version 1.
 *
 * Version 3 adds MaxBytes.  Starting in version 3, the partition ordering in
 * the request is now relevant.  Partitions will be processed in the order
 * they appear in the request.
 *
 * Version 4 adds IsolationLevel.  Starting in version 4, the reqestor must be
 * able to handle Kafka log message format version 2.
 *
 * Version 5 adds LogStartOffset to indicate the earliest available offset of
 * partition data that can be consumed.
 *
 * Version 6 is the same as version 5.
 *
 * Version 7 adds incremental fetch request support.
 *
 * Version 8 is the same as version 7.
 *
 * Version 9 adds CurrentLeaderEpoch, as described in KIP-320.
 *
 * Version 10 indicates that we can use the ZStd compression algorithm, as
 * described in KIP-110.
 * Version 12 adds flexible versions support as well as epoch validation through
 * the `LastFetchedEpoch` field
 *
 * Version 13 replaces topic names with topic IDs (KIP-516). May return UNKNOWN_TOPIC_ID error code.
 *
 * Version 14 is the same as version 13 but it also receives a new error called OffsetMovedToTieredStorageException(KIP-405)
 *
 * Version 15 adds the ReplicaState which includes new field ReplicaEpoch and the ReplicaId. Also,
 * deprecate the old ReplicaId field and set its default value to -1. (KIP-903)
 *
 * Version 16 is the same as version 15 (KIP-951).
 *
 * Version 17 adds directory id support from KIP-853
 */
export const FetchRequest = message<FetchRequest>("request", "FetchRequest", 1, "0-17", "12+", [
  f("ClusterId", "string", "12+", { nullable: "12+", tag: 0, tagged: "12+", default: "null" }),
  f("ReplicaId", "int32", "0-14", { default: "-1" }),
  f("ReplicaState", "ReplicaState", "15+", { tag: 1, tagged: "15+", fields: [
    f("ReplicaId", "int32", "15+", { default: "-1" }),
    f("ReplicaEpoch", "int64", "15+", { default: "-1" }),
  ] }),
  f("MaxWaitMs", "int32", "0+"),
  f("MinBytes", "int32", "0+"),
  f("MaxBytes", "int32", "3+", { default: "0x7fffffff" }),
  f("IsolationLevel", "int8", "4+", { default: "0" }),
  f("SessionId", "int32", "7+", { default: "0" }),
  f("SessionEpoch", "int32", "7+", { default: "-1" }),
  f("Topics", "[]FetchTopic", "0+", { fields: [
    f("Topic", "string", "0-12"),
    f("TopicId", "uuid", "13+"),
    f("Partitions", "[]FetchPartition", "0+", { fields: [
      f("Partition", "int32", "0+"),
      f("CurrentLeaderEpoch", "int32", "9+", { default: "-1" }),
      f("FetchOffset", "int64", "0+"),
      f("LastFetchedEpoch", "int32", "12+", { default: "-1" }),
      f("LogStartOffset", "int64", "5+", { default: "-1" }),
      f("PartitionMaxBytes", "int32", "0+"),
      f("ReplicaDirectoryId", "uuid", "17+", { tag: 0, tagged: "17+" }),
    ] }),
  ] }),
  f("ForgottenTopicsData", "[]ForgottenTopic", "7+", { fields: [
    f("Topic", "string", "7-12"),
    f("TopicId", "uuid", "13+"),
    f("Partitions", "[]int32", "7+"),
  ] }),
  f("RackId", "string", "11+", { default: "" }),
]);

/**
 * Version 1 adds throttle time.
 *
 * Version 2 and 3 are the same as version 1.
 *
 * Version 4 adds features for transactional consumption.
 *
 * Version 5 adds LogStartOffset to indicate the earliest available offset of
 * partition data that can be consumed.
 *
 * Starting in version 6, we may return KAFKA_STORAGE_ERROR as an error code.
 *
 * Version 7 adds incremental fetch request support.
 *
 * Starting in version 8, on quota violation, brokers send out responses before throttling.
 *
 * Version 9 is the same as version 8.
 *
 * Version 10 indicates that the response data can use the ZStd compression
 * algorithm, as described in KIP-110.
 * Version 12 adds support for flexible versions, epoch detection through the `TruncationOffset` field,
 * and leader discovery through the `CurrentLeader` field
 *
 * Version 13 replaces the topic name field with topic ID (KIP-516).
 *
 * Version 14 is the same as version 13 but it also receives a new error called OffsetMovedToTieredStorageException (KIP-405)
 *
 * Version 15 is the same as version 14 (KIP-903).
 *
 * Version 16 adds the 'NodeEndpoints' field (KIP-951).
 *
 * Version 17 no changes to the response (KIP-853).
 */
export const FetchResponse = message<FetchResponse>("response", "FetchResponse", 1, "0-17", "12+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("ErrorCode", "int16", "7+"),
  f("SessionId", "int32", "7+", { default: "0" }),
  f("Responses", "[]FetchableTopicResponse", "0+", { fields: [
    f("Topic", "string", "0-12"),
    f("TopicId", "uuid", "13+"),
    f("Partitions", "[]PartitionData", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
      f("HighWatermark", "int64", "0+"),
      f("LastStableOffset", "int64", "4+", { default: "-1" }),
      f("LogStartOffset", "int64", "5+", { default: "-1" }),
      f("DivergingEpoch", "EpochEndOffset", "12+", { tag: 0, tagged: "12+", fields: [
        f("Epoch", "int32", "12+", { default: "-1" }),
        f("EndOffset", "int64", "12+", { default: "-1" }),
      ] }),
      f("CurrentLeader", "LeaderIdAndEpoch", "12+", { tag: 1, tagged: "12+", fields: [
        f("LeaderId", "int32", "12+", { default: "-1" }),
        f("LeaderEpoch", "int32", "12+", { default: "-1" }),
      ] }),
      f("SnapshotId", "SnapshotId", "12+", { tag: 2, tagged: "12+", fields: [
        f("EndOffset", "int64", "0+", { default: "-1" }),
        f("Epoch", "int32", "0+", { default: "-1" }),
      ] }),
      f("AbortedTransactions", "[]AbortedTransaction", "4+", { nullable: "4+", fields: [
        f("ProducerId", "int64", "4+"),
        f("FirstOffset", "int64", "4+"),
      ] }),
      f("PreferredReadReplica", "int32", "11+", { default: "-1" }),
      f("Records", "records", "0+", { nullable: "0+" }),
    ] }),
  ] }),
  f("NodeEndpoints", "[]NodeEndpoint", "16+", { tag: 0, tagged: "16+", fields: [
    f("NodeId", "int32", "16+"),
    f("Host", "string", "16+"),
    f("Port", "int32", "16+"),
    f("Rack", "string", "16+", { nullable: "16+", default: "null" }),
  ] }),
]);

export interface FetchRequest extends TaggedFields {
  clusterId: string | null;
  replicaId: number;
  replicaState: ReplicaState;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: FetchTopic[];
  forgottenTopicsData: ForgottenTopic[];
  rackId: string;
}

export interface ReplicaState extends TaggedFields {
  replicaId: number;
  replicaEpoch: number;
}

export interface FetchTopic extends TaggedFields {
  topic: string;
  topicId: string;
  partitions: FetchPartition[];
}

export interface FetchPartition extends TaggedFields {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
  partitionMaxBytes: number;
  replicaDirectoryId: string;
}

export interface ForgottenTopic extends TaggedFields {
  topic: string;
  topicId: string;
  partitions: number[];
}

export interface FetchResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: FetchableTopicResponse[];
  nodeEndpoints: FetchResponseNodeEndpoint[];
}

export interface FetchableTopicResponse extends TaggedFields {
  topic: string;
  topicId: string;
  partitions: PartitionData[];
}

export interface PartitionData extends TaggedFields {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  divergingEpoch: FetchResponseEpochEndOffset;
  currentLeader: FetchResponseLeaderIdAndEpoch;
  snapshotId: SnapshotId;
  abortedTransactions: AbortedTransaction[] | null;
  preferredReadReplica: number;
  records: Uint8Array | null;
}

export interface FetchResponseEpochEndOffset extends TaggedFields {
  epoch: number;
  endOffset: number;
}

export interface FetchResponseLeaderIdAndEpoch extends TaggedFields {
  leaderId: number;
  leaderEpoch: number;
}

export interface SnapshotId extends TaggedFields {
  endOffset: number;
  epoch: number;
}

export interface AbortedTransaction extends TaggedFields {
  producerId: number;
  firstOffset: number;
}

export interface FetchResponseNodeEndpoint extends TaggedFields {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

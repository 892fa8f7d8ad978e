/**
 * What a Kafka handler asks of the shard that owns a partition or group: the typed ops, each
 * carrying every partition of a request that the receiving shard owns, so a request costs at
 * most one hop per owner shard. The handlers define this contract; `shard/` serves it (in
 * place, or from another shard over a channel), so imports point from shard to kafka only.
 */
import type { GroupOps } from "../group/types.ts";

export interface PartitionRef {
  topic: string;
  partition: number;
}

export interface ProduceItem extends PartitionRef {
  records: Uint8Array; // validated magic-v2 batches
  acks: number;
}
export interface ProduceResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  /** Produce v8+: the records (by index in the partition's data) that made the batch fail. */
  recordErrors?: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
  /** With NOT_LEADER_OR_FOLLOWER on a replicated partition: the leader this replica knows of (Produce v10+, Fetch v12+). */
  currentLeader?: CurrentLeader;
}

/** A replicated partition's leader as a replica knows it: node id and epoch (the Raft term); -1 when unknown. */
export interface CurrentLeader {
  leaderId: number;
  leaderEpoch: number;
}

export interface ReadItem extends PartitionRef {
  fetchOffset: number;
  maxBytes: number;
  /** Fetch v9+: the leader epoch the client believes current (-1: none); checked by replicated partitions. */
  currentLeaderEpoch?: number;
}
export interface ReadResult {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** Never null: a partition with an error or nothing to send carries zero bytes, as Kafka sends it. */
  records: Uint8Array;
  currentLeader?: CurrentLeader;
}

export interface OffsetQuery extends PartitionRef {
  timestampMs: number; // -1 latest, -2 earliest, -3 max timestamp, else first offset at or after
  /** ListOffsets v4+: the leader epoch the client believes current (-1: none); checked by replicated partitions. */
  currentLeaderEpoch?: number;
}
export interface OffsetAnswer {
  errorCode: number;
  offset: number;
  timestampMs: number;
  /** The epoch of the found offset's leader; replicated partitions only (a single node's is 0). */
  leaderEpoch?: number;
}

/** OffsetForLeaderEpoch of a replicated partition, answered by its leader from the Raft log's term ranges. */
export interface EpochQuery extends PartitionRef {
  currentLeaderEpoch: number;
  leaderEpoch: number;
}
export interface EpochAnswer {
  errorCode: number;
  leaderEpoch: number;
  endOffset: number;
}

/** What a fetch last read of a partition: the watch wakes when that is no longer so. */
export interface WatchItem extends PartitionRef {
  highWatermark: number;
  logStartOffset: number;
}

/** The ops a shard's own partitions serve (`LocalPartitions`). */
export interface PartitionOps {
  produce: { request: { items: ProduceItem[] }; response: ProduceResult[] };
  read: { request: { items: ReadItem[] }; response: ReadResult[] };
  listOffsets: { request: { items: OffsetQuery[] }; response: OffsetAnswer[] };
  /** DeleteRecords: move each log start offset up to `offset` (-1: the high watermark). */
  deleteRecords: { request: { items: Array<PartitionRef & { offset: number }> }; response: Array<{ errorCode: number; lowWatermark: number }> };
  /** Bytes on disk of each partition (DescribeLogDirs). */
  sizes: { request: { items: PartitionRef[] }; response: Array<{ errorCode: number; sizeBytes: number }> };
  /** Answers once any watched partition changed (new data, start offset moved, partition gone), or after waitMs. */
  watch: { request: { watchId: string; items: WatchItem[]; waitMs: number }; response: { woken: boolean } };
  /** Ends a watch early: another owner already woke its fetch. */
  unwatch: { request: { watchId: string }; response: null };
}

/** What only replicated partitions (a cluster) answer. */
export interface ReplicaOps {
  epochEnds: { request: { items: EpochQuery[] }; response: EpochAnswer[] };
}

/** Every op a shard serves: its partitions' and its group coordinator's. */
export interface Ops extends GroupOps, PartitionOps, ReplicaOps {}

export type OpName = keyof Ops;
export type OpRequest<Op extends OpName> = Ops[Op]["request"];
export type OpResponse<Op extends OpName> = Ops[Op]["response"];

/**
 * What a Kafka handler asks of the shard that owns a partition or group: the typed ops, each
 * carrying every partition of a request that the receiving shard owns, so a request costs at
 * most one hop per owner shard. The handlers define this contract; `shard/` serves it (in
 * place, or from another shard over a channel), so imports point from shard to kafka only.
 */
import type { GroupOps } from "../group/types.ts";
import type { TxnOps } from "../txn/types.ts";

export interface PartitionRef {
  topic: string;
  partition: number;
}

export interface ProduceItem extends PartitionRef {
  records: Uint8Array; // validated magic-v2 batches
  acks: number;
  /** The request's transactional id: a transactional batch opening a transaction here is verified with its coordinator (KIP-890). */
  transactionalId?: string | null;
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
  /** read_committed: records only below the last stable offset, with the aborted transactions among them. */
  readCommitted?: boolean;
  /**
   * Follower fetching (KIP-392, with enable_rack_awareness): set on a consumer's Fetch v11+, whose
   * reads an in-sync follower may serve; the consumer's rack ("": none), for which a leader
   * elsewhere names a replica in it. Unset: only the leader serves the read.
   */
  clientRack?: string;
}
export interface ReadResult {
  errorCode: number;
  highWatermark: number;
  /** -1 where the partition has an error. */
  lastStableOffset: number;
  logStartOffset: number;
  /** Never null: a partition with an error or nothing to send carries zero bytes, as Kafka sends it. */
  records: Uint8Array;
  currentLeader?: CurrentLeader;
  /** read_committed: the aborted transactions overlapping the records (null for read_uncommitted, as Kafka). */
  abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null;
  /** KIP-392: the leader read nothing and names the replica in the consumer's rack to fetch from instead. */
  preferredReadReplica?: number;
}

export interface OffsetQuery extends PartitionRef {
  timestampMs: number; // -1 latest, -2 earliest, -3 max timestamp, else first offset at or after
  /** ListOffsets v4+: the leader epoch the client believes current (-1: none); checked by replicated partitions. */
  currentLeaderEpoch?: number;
  /** read_committed: latest is the last stable offset. */
  readCommitted?: boolean;
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

/** One active producer of a partition (DescribeProducers). */
export interface ActiveProducer {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnStartOffset: number;
}

/** What a fetch last read of a partition: the watch wakes when that is no longer so. */
export interface WatchItem extends PartitionRef {
  highWatermark: number;
  logStartOffset: number;
  /** As the read's: a follower serving it is no change. */
  clientRack?: string;
}

/** The ops a shard's own partitions serve (`LocalPartitions`). */
export interface PartitionOps {
  produce: { request: { items: ProduceItem[] }; response: ProduceResult[] };
  read: { request: { items: ReadItem[] }; response: ReadResult[] };
  listOffsets: { request: { items: OffsetQuery[] }; response: OffsetAnswer[] };
  /** DeleteRecords: move each log start offset up to `offset` (-1: the high watermark). */
  deleteRecords: { request: { items: Array<PartitionRef & { offset: number }> }; response: Array<{ errorCode: number; lowWatermark: number }> };
  /** Writes a commit or abort marker into each partition (acks=-1: answered once it is synced and visible). */
  writeTxnMarkers: { request: { items: Array<PartitionRef & { producerId: number; producerEpoch: number; commit: boolean; coordinatorEpoch: number }> }; response: Array<{ errorCode: number }> };
  /** The producers each partition remembers (DescribeProducers). */
  describeProducers: { request: { items: PartitionRef[] }; response: Array<{ errorCode: number; activeProducers: ActiveProducer[] }> };
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
  /** On the leader's replica: starts a leadership transfer to `to` (ElectLeaders); answers once started or refused. */
  transferLeader: { request: { topic: string; partition: number; to: number }; response: { errorCode: number; errorMessage: string | null } };
}

/** A whole fetch's read-and-wait on the one shard that owns all its partitions (`fetch-wait.ts`). */
export interface FetchOps {
  readWaiting: { request: { items: ReadItem[]; minBytes: number; maxBytes: number; waitMs: number }; response: ReadResult[] };
}

/** Every op a shard serves: its partitions', its group coordinator's and its transaction coordinator's. */
export interface Ops extends GroupOps, PartitionOps, ReplicaOps, TxnOps, FetchOps {}

export type OpName = keyof Ops;
export type OpRequest<Op extends OpName> = Ops[Op]["request"];
export type OpResponse<Op extends OpName> = Ops[Op]["response"];

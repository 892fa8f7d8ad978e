/**
 * What a chaos run observed, as plain data: every produce attempt (acknowledged or not), the
 * final read of every partition after healing, what the consumer group delivered during the run,
 * the group's committed offsets sampled over time, and each partition's batches as found on each
 * replica's disk. The checker (checker.ts) judges only this, so it can be tested on planted faults.
 */

export interface Attempt {
  /** Unique over the run: `<producer>:<seq>`. */
  value: string;
  key: string;
  /** The logical producer (kept across the kafkajs producers it replaces after a failure). */
  producer: number;
  /** Send order within the logical producer. */
  seq: number;
  /** Where the broker said it wrote the record; null: not acknowledged (failed or no answer). */
  acked: { partition: number; offset: number } | null;
  /** When the send started and when it was acknowledged (ms since the run began). */
  sentAtMs?: number;
  ackedAtMs?: number;
}

export interface LogRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
}

export interface CommitSample {
  atMs: number;
  partition: number;
  /** The committed offset OffsetFetch answered (-1: none yet). */
  offset: number;
}

/** One batch header as found in a segment file. */
export interface DiskBatch {
  baseOffset: number;
  lastOffset: number;
  crc: number;
}

export interface ReplicaLog {
  nodeId: number;
  partition: number;
  batches: DiskBatch[];
  /**
   * The partition's last committed offset (its leader's Raft commit index) before the stop, which
   * every replica was seen holding: replicas must agree up to it. Past it a replica may hold more
   * (a configuration batch a leader elected during the stop wrote to its own log only). Null:
   * not known (no single leader answered before the stop), and the whole logs are compared.
   */
  committedOffset: number | null;
}

export interface History {
  attempts: Attempt[];
  /** Every record of every partition, read after the cluster healed (offset order per partition). */
  finalLog: LogRecord[];
  /** What the consumer group delivered during the run (may repeat records after rebalances). */
  groupReads: LogRecord[];
  commits: CommitSample[];
  /** Each partition's log on each of its replicas (read from disk after a clean stop), with its committed offset; empty: not compared. */
  replicas: ReplicaLog[];
}

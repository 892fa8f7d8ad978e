/**
 * What a transactional chaos run observed (`cluster.ts --transactions`), as plain data: every
 * transaction a producer began and how it ended as the client saw it, the read_committed view of
 * the topic after healing (kcat) and the read_uncommitted one (every record written, aborted ones
 * too), what a read_committed consumer group was delivered during the run and its committed
 * offsets, each producer's
 * transactional offsets, and the replicas' batches on disk. txn-checker.ts judges only this.
 */
import type { CommitSample, LogRecord, ReplicaLog } from "./history.ts";

/**
 * How a transaction ended for its client:
 *   committed  the commit was answered;
 *   aborted    the abort was answered, or it failed before a commit was asked for (then nothing can commit it:
 *              the next producer with its transactional id fences it, and its coordinator aborts it);
 *   unknown    a commit was asked for and not answered: it may have committed or aborted, but all or nothing.
 */
export type TxnOutcome = "committed" | "aborted" | "unknown";

export interface TxnAttempt {
  /** The logical producer (one transactional id, kept across the kafkajs producers that replace a failed one). */
  producer: number;
  /** Transaction number within the producer, in order. */
  txn: number;
  /** The records sent in it (values unique over the run: `t<producer>.<txn>.<n>`), whether or not each send was answered. */
  records: Array<{ value: string; partition: number; ackedOffset?: number }>;
  /** The group offset committed with it (`TxnOffsetCommit`): txn + 1 on partition 0 of the topic, for group `offsetsGroup(producer)`. */
  offset: number;
  outcome: TxnOutcome;
}

export interface TxnHistory {
  txns: TxnAttempt[];
  /** Every record a read_committed reader sees after healing, every transaction resolved (offset order per partition). */
  committedLog: LogRecord[];
  /** Every record in the partitions (read_uncommitted), aborted transactions' records included. */
  uncommittedLog: LogRecord[];
  /** What the read_committed consumer group was delivered during the run (may repeat records after rebalances). */
  groupReads: LogRecord[];
  /** The read_committed group's committed offsets, sampled during the run. */
  commits: CommitSample[];
  /** Per producer, its offsets group's committed offset after healing (-1: none). */
  finalOffsets: Map<number, number>;
  replicas: ReplicaLog[];
}

export const transactionalIdOf = (producer: number) => `chaos-txn-${producer}`;
export const offsetsGroup = (producer: number) => `chaos-txn-offsets-${producer}`;

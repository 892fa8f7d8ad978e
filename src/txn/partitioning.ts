/**
 * Where a transactional id lives: like groups, it hashes (CRC-32C) to one of a fixed number of
 * transaction-log partitions (Kafka's 50 `__transaction_state` partitions), and partition p is
 * owned by shard p mod the shard count. The partition names the directory, so a restart with
 * another `--smp` finds every transaction again.
 */
import { crc32c } from "../base/crc32c.ts";

/** Fixed for the life of a data dir: changing it would move transactional ids between logs. */
export const TXN_LOG_PARTITIONS = 50;

const encoder = new TextEncoder();

export function txnPartitionOf(transactionalId: string): number {
  return (crc32c(encoder.encode(transactionalId)) >>> 0) % TXN_LOG_PARTITIONS;
}

/** The shard whose transaction coordinator owns this transactional id (FindCoordinator key type 1, and every txn op). */
export function shardOfTransactionalId(transactionalId: string, shardCount: number): number {
  return txnPartitionOf(transactionalId) % shardCount;
}

export function txnPartitionsOfShard(shardId: number, shardCount: number): number[] {
  const owned: number[] = [];
  for (let p = shardId; p < TXN_LOG_PARTITIONS; p += shardCount) owned.push(p);
  return owned;
}

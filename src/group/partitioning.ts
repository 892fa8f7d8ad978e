/**
 * Where a group lives. A group hashes to one of a fixed number of group-log partitions (like
 * Kafka's 50 `__consumer_offsets` partitions), and partition p is owned by shard p mod the
 * shard count. The partition, not the shard, names the directory its state is stored in, so a
 * restart with another `--smp` finds every group again: its new owner loads that partition.
 */
import { crc32c } from "../base/crc32c.ts";

/** Fixed for the life of a data dir: changing it would move groups between logs. */
export const GROUP_LOG_PARTITIONS = 50;

const encoder = new TextEncoder();

export function groupPartitionOf(groupId: string): number {
  return (crc32c(encoder.encode(groupId)) >>> 0) % GROUP_LOG_PARTITIONS;
}

export function shardOfGroup(groupId: string, shardCount: number): number {
  return groupPartitionOf(groupId) % shardCount;
}

/** The group-log partitions one shard owns. */
export function partitionsOfShard(shardId: number, shardCount: number): number[] {
  const owned: number[] = [];
  for (let p = shardId; p < GROUP_LOG_PARTITIONS; p += shardCount) owned.push(p);
  return owned;
}

/**
 * Where partitions go: placement of new ones and the moves that even out shards. Pure, so
 * it is tested on its own and the controller only applies what it returns.
 */
import { assignedReplicas, type MetadataTable } from "./metadata.ts";

export interface ShardLoad {
  partitions: number[];
  bytes: number[];
}

export interface PartitionMove {
  topic: string;
  partition: number;
  from: number;
  to: number;
}

/** The shard with the fewest partitions; ties go to the fewest bytes, then the lowest id. */
export function leastLoadedShard(load: ShardLoad): number {
  let best = 0;
  for (let shard = 1; shard < load.partitions.length; shard++) {
    const fewer = load.partitions[shard] < load.partitions[best];
    const tie = load.partitions[shard] === load.partitions[best];
    if (fewer || (tie && load.bytes[shard] < load.bytes[best])) best = shard;
  }
  return best;
}

/** Picks a shard for each of `count` new partitions, updating `load` as it goes. */
export function placePartitions(count: number, load: ShardLoad): number[] {
  const shards: number[] = [];
  for (let i = 0; i < count; i++) {
    const shard = leastLoadedShard(load);
    load.partitions[shard]++;
    shards.push(shard);
  }
  return shards;
}

/**
 * Moves that first rehome partitions of shards that no longer exist, then take partitions
 * from the fullest shard to the emptiest until counts differ by at most one. Partitions that
 * need not move stay where they are.
 */
export function planCoreBalance(table: MetadataTable, shardCount: number, bytes = new Array<number>(shardCount).fill(0)): PartitionMove[] {
  const load: ShardLoad = { partitions: table.partitionCountByShard(shardCount), bytes: [...bytes] };
  const byShard = Array.from({ length: shardCount }, () => [] as Array<{ topic: string; partition: number }>);
  const moves: PartitionMove[] = [];
  for (const topic of table.topics()) {
    if (topic.assignments) continue; // a cluster's partitions: replicas placed across nodes, not moved here
    topic.shards.forEach((from, partition) => {
      if (from < shardCount) return byShard[from].push({ topic: topic.name, partition });
      const to = placePartitions(1, load)[0];
      moves.push({ topic: topic.name, partition, from, to });
      byShard[to].push({ topic: topic.name, partition });
    });
  }
  for (;;) {
    const fullest = load.partitions.indexOf(Math.max(...load.partitions));
    const emptiest = load.partitions.indexOf(Math.min(...load.partitions));
    if (load.partitions[fullest] - load.partitions[emptiest] <= 1) return moves;
    const moved = byShard[fullest].pop()!;
    byShard[emptiest].push(moved);
    load.partitions[fullest]--;
    load.partitions[emptiest]++;
    const earlier = moves.find((m) => m.topic === moved.topic && m.partition === moved.partition);
    if (earlier) earlier.to = emptiest;
    else moves.push({ ...moved, from: fullest, to: emptiest });
  }
}

/**
 * In a cluster: the core changes that even out `nodeId`'s replicas over its `shardCount` cores
 * (fullest to emptiest until counts differ by at most one). Partitions being moved between nodes
 * are counted where they are but left alone.
 */
export function planReplicaCoreBalance(table: MetadataTable, nodeId: number, shardCount: number): PartitionMove[] {
  const counts = new Array<number>(shardCount).fill(0);
  const movable = Array.from({ length: shardCount }, () => [] as Array<{ topic: string; partition: number }>);
  for (const topic of table.topics()) {
    topic.assignments?.forEach((assignment, partition) => {
      const mine = assignedReplicas(assignment).find((r) => r.node === nodeId);
      if (mine === undefined || mine.shard >= shardCount) return;
      counts[mine.shard]!++;
      if (!assignment.target) movable[mine.shard]!.push({ topic: topic.name, partition });
    });
  }
  const moves: PartitionMove[] = [];
  for (;;) {
    const fullest = counts.indexOf(Math.max(...counts));
    const emptiest = counts.indexOf(Math.min(...counts));
    const moved = movable[fullest]!.pop();
    if (counts[fullest]! - counts[emptiest]! <= 1 || moved === undefined) return moves;
    counts[fullest]!--;
    counts[emptiest]!++;
    moves.push({ ...moved, from: fullest, to: emptiest });
  }
}

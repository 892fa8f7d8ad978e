/** Per-second rates from two samples of the shards' counters, and a bounded history of them. */
import type { PartitionDetails } from "../../shard/control.ts";
import type { ShardStatsSnapshot } from "../../shard/stats.ts";

export interface ShardRates {
  shard: number;
  requestsPerSec: number;
  bytesInPerSec: number;
  bytesOutPerSec: number;
}

/** One point of the throughput charts: each shard's rates at `atMs`. */
export interface RatePoint {
  atMs: number;
  shards: ShardRates[];
}

export interface Sample {
  atMs: number;
  shards: ShardStatsSnapshot[];
  partitions: PartitionDetails[];
}

/** Rates between `before` and `after`; a shard missing from `before` (or a counter that went back) counts from zero. */
export function shardRates(before: Sample | null, after: Sample): RatePoint {
  const seconds = before === null ? 0 : (after.atMs - before.atMs) / 1000;
  const shards = after.shards.map((s) => {
    const old = before?.shards.find((b) => b.shardId === s.shardId);
    const rate = (now: number, then: number | undefined) => (seconds <= 0 || then === undefined || now < then ? 0 : (now - then) / seconds);
    return {
      shard: s.shardId,
      requestsPerSec: rate(s.requests, old?.requests),
      bytesInPerSec: rate(s.bytesIn, old?.bytesIn),
      bytesOutPerSec: rate(s.bytesOut, old?.bytesOut),
    };
  });
  return { atMs: after.atMs, shards };
}

/** Records appended per second to each partition (high watermark growth), keyed `topic/partition`. */
export function partitionRates(before: Sample | null, after: Sample): Map<string, number> {
  const seconds = before === null ? 0 : (after.atMs - before.atMs) / 1000;
  const old = new Map((before?.partitions ?? []).map((p) => [`${p.topic}/${p.partition}`, p.highWatermark]));
  const out = new Map<string, number>();
  for (const p of after.partitions) {
    const key = `${p.topic}/${p.partition}`;
    const then = old.get(key);
    out.set(key, seconds <= 0 || then === undefined || p.highWatermark < then ? 0 : (p.highWatermark - then) / seconds);
  }
  return out;
}

/** The last `capacity` items pushed, oldest first. */
export class Ring<T> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  toArray(): T[] {
    return [...this.items];
  }
}

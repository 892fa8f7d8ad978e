import { expect, test } from "bun:test";
import type { ShardStatsSnapshot } from "../../shard/stats.ts";
import { partitionRates, Ring, shardRates, type Sample } from "./rates.ts";

function shard(shardId: number, requests: number, bytesIn: number, bytesOut: number): ShardStatsSnapshot {
  return {
    shardId, coreRequested: shardId, coreActual: shardId, pinned: true, partitions: [], requests, requestsByApi: {}, bytesIn, bytesOut,
    crossShardSent: 0, crossShardReceived: 0, crossShardQueueDepth: 0, sizeBytes: 0, latencyByRoute: {},
    fsyncLatency: { counts: [], sum: 0, count: 0 }, connections: 0, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, backend: "posix", readAheadStarted: 0, readAheadUsed: 0, memory: { requests: 0, recent_batch_cache: 0, read_ahead: 0, write_behind: 0, js_heap: 0 }, collections: { count: 0, seconds: 0 },
  };
}

const p = (partition: number, highWatermark: number) => ({ topic: "t", partition, shard: 0, highWatermark, logStartOffset: 0, sizeBytes: 0 });

test("shard rates are counter growth per second; no earlier sample or a counter going back gives 0", () => {
  const before: Sample = { atMs: 1000, shards: [shard(0, 10, 1000, 500), shard(1, 50, 0, 0)], partitions: [] };
  const after: Sample = { atMs: 3000, shards: [shard(0, 30, 5000, 500), shard(1, 40, 10, 10), shard(2, 7, 7, 7)], partitions: [] };
  expect(shardRates(before, after)).toEqual({
    atMs: 3000,
    shards: [
      { shard: 0, requestsPerSec: 10, bytesInPerSec: 2000, bytesOutPerSec: 0 },
      { shard: 1, requestsPerSec: 0, bytesInPerSec: 5, bytesOutPerSec: 5 },
      { shard: 2, requestsPerSec: 0, bytesInPerSec: 0, bytesOutPerSec: 0 },
    ],
  });
  expect(shardRates(null, after).shards.every((s) => s.requestsPerSec === 0 && s.bytesInPerSec === 0)).toBe(true);
});

test("partition rates come from high watermark growth", () => {
  const before: Sample = { atMs: 0, shards: [], partitions: [p(0, 100), p(1, 50)] };
  const after: Sample = { atMs: 500, shards: [], partitions: [p(0, 150), p(1, 50), p(2, 9)] };
  expect([...partitionRates(before, after)]).toEqual([["t/0", 100], ["t/1", 0], ["t/2", 0]]);
});

test("a ring keeps the last items, oldest first", () => {
  const ring = new Ring<number>(3);
  for (let i = 1; i <= 5; i++) ring.push(i);
  expect(ring.toArray()).toEqual([3, 4, 5]);
});

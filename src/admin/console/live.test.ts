import { expect, test } from "bun:test";
import type { ShardStatsSnapshot } from "../../shard/stats.ts";
import { LISTENERS_MAX, LiveFeed, type LiveSource, type LiveTick } from "./live.ts";

function shard(shardId: number, requests: number, bytesIn: number): ShardStatsSnapshot {
  return {
    shardId, coreRequested: shardId, coreActual: shardId, pinned: true, partitions: [], requests, requestsByApi: {}, bytesIn, bytesOut: 0,
    crossShardSent: 0, crossShardReceived: 0, crossShardQueueDepth: 0, sizeBytes: 0, latencyByRoute: {},
    fsyncLatency: { counts: [], sum: 0, count: 0 }, connections: 1, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, backend: "posix", readAheadStarted: 0, readAheadUsed: 0, memory: { requests: 0, recent_batch_cache: 0, read_ahead: 0, write_behind: 0, js_heap: 0 }, collections: { count: 0, seconds: 0 },
  };
}

/** A source whose counters grow by 100 requests and 1000 bytes, and partition t/0 by 10 records, per sample. */
function growingSource(): LiveSource {
  let n = 0;
  return {
    shardStats: async () => [shard(0, 100 * ++n, 1000 * n), shard(1, 0, 0)],
    partitions: async () => [
      { topic: "t", partition: 0, shard: 0, highWatermark: 10 * n, logStartOffset: 0, sizeBytes: 0 },
      { topic: "t", partition: 1, shard: 1, highWatermark: 5, logStartOffset: 0, sizeBytes: 0 },
    ],
    listGroups: async () => [{ group: "g", state: "Stable", protocolType: "consumer", coordinator: 0 }],
    committedOffsets: async () => [{ topic: "t", partition: 0, offset: 4 }, { topic: "t", partition: 1, offset: -1 }],
  };
}

test("each tick has every shard's partitions, rates against the previous sample, and group lag", async () => {
  let nowMs = 0;
  const live = new LiveFeed(growingSource(), () => (nowMs += 1000));
  const ticks: LiveTick[] = [];
  expect(live.listen((t) => ticks.push(t))).toBe(true);
  await live.tick(); // the one listen() started
  await live.tick();
  live.close();
  expect(ticks.length).toBe(2);
  const [first, last] = ticks;
  expect(first.rates).toBeNull();
  expect(last.rates!.shards[0]).toEqual({ shard: 0, requestsPerSec: 100, bytesInPerSec: 1000, bytesOutPerSec: 0 });
  expect(last.shards.map((s) => s.partitions.map((p) => `${p.topic}/${p.partition}`))).toEqual([["t/0"], ["t/1"]]);
  expect(last.shards[0].partitions[0].recordsPerSec).toBe(10);
  const hw = last.shards[0].partitions[0].highWatermark;
  // No committed offset (-1) counts the whole partition as lag.
  expect(last.groups).toEqual([{
    group: "g", state: "Stable", lag: hw - 4 + 5,
    partitions: [{ topic: "t", partition: 0, committed: 4, highWatermark: hw, lag: hw - 4 }, { topic: "t", partition: 1, committed: -1, highWatermark: 5, lag: 5 }],
  }]);
  const history = live.history();
  expect(history.rates.length).toBe(ticks.length - 1);
  expect(history.lag.g.at(-1)).toEqual({ atMs: last.atMs, lag: hw - 4 + 5, partitions: { "t/0": hw - 4, "t/1": 5 } });
});

test("a failing group listing still delivers the shards, with the error", async () => {
  const source = { ...growingSource(), listGroups: async () => Promise.reject(new Error("no coordinator")) };
  const live = new LiveFeed(source);
  const ticks: LiveTick[] = [];
  live.listen((t) => ticks.push(t));
  await live.tick();
  live.close();
  expect(ticks.at(-1)!.shards.length).toBe(2);
  expect(ticks.at(-1)!.groupsError).toBe("no coordinator");
});

test(`at most ${LISTENERS_MAX} listeners; the last one leaving stops sampling`, () => {
  const live = new LiveFeed(growingSource());
  const listeners = Array.from({ length: LISTENERS_MAX }, () => () => {});
  for (const l of listeners) expect(live.listen(l)).toBe(true);
  expect(live.listen(() => {})).toBe(false);
  for (const l of listeners) live.unlisten(l);
  expect(live.listenerCount).toBe(0);
  live.close();
});

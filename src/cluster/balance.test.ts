import { expect, test } from "bun:test";
import { leastLoadedShard, placePartitions, planCoreBalance, planReplicaCoreBalance } from "./balance.ts";
import { MetadataTable, type TopicRecord } from "./metadata.ts";

const spread = (counts: number[]) => Math.max(...counts) - Math.min(...counts);

function tableOf(topics: Array<Pick<TopicRecord, "name" | "shards">>): MetadataTable {
  return MetadataTable.fromSnapshot({ version: 1, shardCount: 0, topics: topics.map((t) => ({ ...t, id: crypto.randomUUID(), configs: {} })) });
}

test("100 partitions over 8 shards, in topics of uneven sizes, differ by at most one", () => {
  const load = { partitions: new Array(8).fill(0), bytes: new Array(8).fill(0) };
  for (const size of [1, 7, 13, 3, 40, 36]) placePartitions(size, load);
  expect(load.partitions.reduce((a, b) => a + b)).toBe(100);
  expect(spread(load.partitions)).toBeLessThanOrEqual(1);
});

test("ties go to the shard with fewer bytes, then to the lowest id", () => {
  expect(leastLoadedShard({ partitions: [2, 1, 1], bytes: [0, 500, 100] })).toBe(2);
  expect(leastLoadedShard({ partitions: [1, 1, 1], bytes: [7, 7, 7] })).toBe(0);
});

test("growing from 2 to 4 shards moves only enough partitions to even the counts", () => {
  const table = tableOf([{ name: "a", shards: [0, 1, 0, 1, 0, 1] }, { name: "b", shards: [0, 1] }]);
  const moves = planCoreBalance(table, 4);
  expect(moves).toHaveLength(4);
  const after = [4, 4, 0, 0];
  for (const m of moves) {
    after[m.from]--;
    after[m.to]++;
  }
  expect(after).toEqual([2, 2, 2, 2]);
});

test("shrinking moves every partition of a vanished shard and evens the rest", () => {
  const table = tableOf([{ name: "a", shards: [0, 1, 2, 3, 3, 3, 2, 1] }]);
  const moves = planCoreBalance(table, 2);
  const shards = [0, 1, 2, 3, 3, 3, 2, 1];
  for (const m of moves) shards[m.partition] = m.to;
  expect(shards.every((s) => s < 2)).toBe(true);
  expect(spread([shards.filter((s) => s === 0).length, shards.filter((s) => s === 1).length])).toBeLessThanOrEqual(1);
  expect(moves.every((m) => m.from !== m.to)).toBe(true);
});

test("a balanced table needs no moves", () => {
  expect(planCoreBalance(tableOf([{ name: "a", shards: [0, 1, 2, 0, 1] }]), 3)).toEqual([]);
});

test("in a cluster: this node's replicas even out over its cores; other nodes' and moving partitions stay", () => {
  const table = new MetadataTable(0);
  const replicas = (shard0: number) => [{ node: 0, shard: shard0 }, { node: 1, shard: 0 }];
  const assignments = [replicas(0), replicas(0), replicas(0), replicas(0), replicas(1)].map((rs, p) => ({ group: p + 1, replicas: rs }));
  assignments[3] = { ...assignments[3]!, target: [{ node: 0, shard: 0 }, { node: 2, shard: 0 }] } as (typeof assignments)[number];
  table.apply({ version: 1, changes: [{ kind: "upsert_topic", topic: { name: "r", id: "00000000-0000-0000-0000-0000000000e1", shards: [0, 0, 0, 0, 0], configs: {}, assignments } }] });
  const moves = planReplicaCoreBalance(table, 0, 2);
  expect(moves).toHaveLength(1); // 4 on core 0, 1 on core 1 → 3 and 2; partition 3 is moving, so not it
  expect(moves[0]).toMatchObject({ topic: "r", from: 0, to: 1 });
  expect(moves[0]!.partition).not.toBe(3);
  expect(planReplicaCoreBalance(table, 1, 2).map((m) => m.to)).toEqual([1, 1]); // node 1: all five on core 0 → 3 and 2
  expect(planReplicaCoreBalance(table, 2, 2)).toEqual([]); // node 2 holds only a move's target
});

import { expect, test } from "bun:test";
import { leastLoadedShard, placePartitions, planCoreBalance } from "./balance.ts";
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

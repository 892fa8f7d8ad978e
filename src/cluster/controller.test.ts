import { afterEach, expect, test } from "bun:test";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode } from "../protocol/errors.ts";
import { Controller, type CreateTopicCommand } from "./controller.ts";
import type { MetadataUpdate } from "./metadata.ts";
import { defaultProperties } from "./properties.ts";
import { cleanUp, disk, tempDir, track } from "./test-helpers.ts";

afterEach(cleanUp);

function open(dataDir: string, shardCount: number, published: MetadataUpdate[] = []) {
  const shards = {
    publish: async (update: MetadataUpdate) => void published.push(update),
    release: async () => {},
    shardBytes: async () => new Array<number>(shardCount).fill(0),
  };
  return track(Controller.open({ disk, dataDir, props: defaultProperties(), shardCount, shards, warn: () => {} }));
}

const topic = (name: string, partitions: number, configs: Record<string, string> = {}): CreateTopicCommand => ({
  name, partitions, replicationFactor: -1, configs, validateOnly: false,
});

test("partitions go to the least-loaded shard and counts differ by at most one", async () => {
  const controller = await open(tempDir("skua-controller-"), 3);
  await controller.createTopics([topic("a", 4), topic("b", 5)]);
  const counts = controller.table.partitionCountByShard(3);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  expect(counts.reduce((x, y) => x + y)).toBe(9);
});

test("each topic gets its own error code; good ones in the same request are created", async () => {
  const published: MetadataUpdate[] = [];
  const controller = await open(tempDir("skua-controller-"), 2, published);
  await controller.createTopics([topic("exists", 1)]);
  const outcomes = await controller.createTopics([
    topic("bad/name", 1), topic("exists", 1), topic("zero", 0), topic("badcfg", 1, { "retention.ms": "soon" }),
    topic("unknowncfg", 1, { "flux.capacitor": "1" }), topic("fine", 2),
  ]);
  expect(outcomes.map((o) => o.errorCode)).toEqual([
    ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_PARTITIONS,
    ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.NONE,
  ]);
  expect(outcomes[3].errorMessage).toContain("retention.ms");
  expect(published.at(-1)!.changes).toHaveLength(1);
  expect(controller.table.topic("fine")!.shards).toHaveLength(2);
});

test("metadata survives a restart, and a torn last record is cut", async () => {
  const dir = tempDir("skua-controller-");
  const first = await open(dir, 2);
  await first.createTopics([topic("kept", 3, { "retention.ms": "1000" })]);
  const id = first.table.topic("kept")!.id;
  await first.close();
  appendFileSync(join(dir, "controller", "metadata.log"), new Uint8Array([0, 0, 1, 0, 9, 9])); // torn record
  const second = await open(dir, 2);
  expect(second.table.topic("kept")).toEqual({ name: "kept", id, shards: [0, 1, 0], configs: { "retention.ms": "1000" } });
  await second.createTopics([topic("after", 1)]);
  await second.close();
  expect((await open(dir, 2)).table.topic("after")).toBeDefined();
});

test("restarting with fewer shards moves partitions of vanished shards to live ones", async () => {
  const dir = tempDir("skua-controller-");
  const wide = await open(dir, 4);
  await wide.createTopics([topic("t", 8)]);
  await wide.close();
  const narrow = await open(dir, 2);
  const shards = narrow.table.topic("t")!.shards;
  expect(shards.every((s) => s < 2)).toBe(true);
  expect(narrow.table.partitionCountByShard(2)).toEqual([4, 4]);
});

test("restarting with more shards evens counts, and only when the count changed", async () => {
  const dir = tempDir("skua-controller-");
  const narrow = await open(dir, 2);
  await narrow.createTopics([topic("t", 8)]);
  await narrow.close();
  const wide = await open(dir, 4);
  expect(wide.table.partitionCountByShard(4)).toEqual([2, 2, 2, 2]);
  await wide.close();
  const again = await open(dir, 4);
  expect(again.table.version).toBe(wide.table.version); // nothing to record the second time
});

test("creating more partitions than the shards may hold is refused with a message", async () => {
  const props = { ...defaultProperties(), topic_partitions_per_shard: 3 };
  const shards = { publish: async () => {}, release: async () => {}, shardBytes: async () => [0, 0] };
  const controller = await track(Controller.open({ disk, dataDir: tempDir("skua-controller-"), props, shardCount: 2, shards, warn: () => {} }));
  expect((await controller.createTopics([topic("fits", 4)]))[0].errorCode).toBe(ErrorCode.NONE);
  const [outcome] = await controller.createTopics([topic("huge", 3)]);
  expect(outcome.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  expect(outcome.errorMessage).toContain("topic_partitions_per_shard (3) on 2 shards; room for 2");
});

test("a live move releases the partition on its old shard before publishing the new owner", async () => {
  const events: string[] = [];
  const dir = tempDir("skua-controller-");
  const controller = await track(Controller.open({
    disk, dataDir: dir, props: defaultProperties(), shardCount: 2, warn: () => {},
    shards: {
      publish: async (u) => void events.push(`publish ${JSON.stringify(u.changes.map((c) => (c.kind === "upsert_topic" ? c.topic.shards : c.kind)))}`),
      release: async (shard, ref) => void events.push(`release ${shard} ${ref.topic}/${ref.partition}`),
      shardBytes: async () => [0, 0],
    },
  }));
  await controller.createTopics([topic("m", 2)]);
  events.length = 0;
  expect(await controller.movePartition("m", 0, 1)).toEqual({ ok: true, move: { topic: "m", partition: 0, from: 0, to: 1 } });
  expect(events).toEqual(["release 0 m/0", "publish [[1,1]]"]);
  expect((await controller.movePartition("m", 5, 0)).ok).toBe(false);
  expect((await controller.movePartition("m", 0, 2)).ok).toBe(false);
  expect(await controller.rebalanceCores()).toHaveLength(1);
  expect(controller.table.partitionCountByShard(2)).toEqual([1, 1]);
});

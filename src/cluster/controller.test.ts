import { afterEach, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "../protocol/errors.ts";
import { Controller, type CreateTopicCommand } from "./controller.ts";
import type { MetadataUpdate } from "./metadata.ts";
import { defaultProperties } from "./properties.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function open(dataDir: string, shardCount: number, published: MetadataUpdate[] = []) {
  return Controller.open({ dataDir, props: defaultProperties(), shardCount, publish: async (u) => void published.push(u), warn: () => {} });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "skua-controller-"));
  dirs.push(dir);
  return dir;
}

const topic = (name: string, partitions: number, configs: Record<string, string> = {}): CreateTopicCommand => ({
  name, partitions, replicationFactor: -1, configs, validateOnly: false,
});

test("partitions go to the least-loaded shard and counts differ by at most one", async () => {
  const controller = open(tempDir(), 3);
  await controller.createTopics([topic("a", 4), topic("b", 5)]);
  const counts = controller.table.partitionCountByShard(3);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  expect(counts.reduce((x, y) => x + y)).toBe(9);
});

test("each topic gets its own error code; good ones in the same request are created", async () => {
  const published: MetadataUpdate[] = [];
  const controller = open(tempDir(), 2, published);
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
  const dir = tempDir();
  const first = open(dir, 2);
  await first.createTopics([topic("kept", 3, { "retention.ms": "1000" })]);
  const id = first.table.topic("kept")!.id;
  first.close();
  appendFileSync(join(dir, "controller", "metadata.log"), new Uint8Array([0, 0, 1, 0, 9, 9])); // torn record
  const second = open(dir, 2);
  expect(second.table.topic("kept")).toEqual({ name: "kept", id, shards: [0, 1, 0], configs: { "retention.ms": "1000" } });
  await second.createTopics([topic("after", 1)]);
  second.close();
  expect(open(dir, 2).table.topic("after")).toBeDefined();
});

test("restarting with fewer shards moves partitions of vanished shards to live ones", async () => {
  const dir = tempDir();
  const wide = open(dir, 4);
  await wide.createTopics([topic("t", 8)]);
  wide.close();
  const narrow = open(dir, 2);
  const shards = narrow.table.topic("t")!.shards;
  expect(shards.every((s) => s < 2)).toBe(true);
  expect(narrow.table.partitionCountByShard(2)).toEqual([4, 4]);
});

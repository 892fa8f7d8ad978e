import { expect, test } from "bun:test";
import { createAdminApp, type AdminBackend } from "./app.ts";
import type { PartitionDetails } from "../shard/control.ts";

const partition: PartitionDetails = { topic: "t", partition: 1, shard: 0, highWatermark: 42, logStartOffset: 3, sizeBytes: 4096 };

function backend(overrides: Partial<AdminBackend> = {}): AdminBackend {
  return {
    isReady: () => true,
    shardStats: async () => [],
    partitions: async () => [partition],
    partition: async (topic, p) => (topic === "t" && p === 1 ? partition : null),
    movePartition: async (topic, p, shard) => (shard === 9 ? { ok: false, error: "shard must be 0..1, got 9" } : { ok: true, move: { topic, partition: p, from: 0, to: shard } }),
    rebalanceCores: async () => [{ topic: "t", partition: 1, from: 0, to: 1 }],
    brokers: async () => ({ self: { nodeId: 0, shardCount: 2, version: "test", rpcAddress: null }, peers: [] }),
    ...overrides,
  };
}

test("ready is 503 while shards boot, 200 after", async () => {
  expect((await createAdminApp(backend({ isReady: () => false })).request("/v1/status/ready")).status).toBe(503);
  const ready = await createAdminApp(backend()).request("/v1/status/ready");
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: "ready" });
});

test("partitions: list, one, and 404 for an unknown one", async () => {
  const app = createAdminApp(backend());
  const expected = { ns: "kafka", topic: "t", partition_id: 1, shard: 0, high_watermark: 42, log_start_offset: 3, size_bytes: 4096 };
  expect(await (await app.request("/v1/partitions")).json()).toEqual([expected]);
  expect(await (await app.request("/v1/partitions/kafka/t/1")).json()).toEqual(expected);
  expect((await app.request("/v1/partitions/kafka/t/7")).status).toBe(404);
  expect((await app.request("/v1/partitions/kafka/t/x")).status).toBe(404);
});

test("moving a partition: good target, bad target, bad body", async () => {
  const app = createAdminApp(backend());
  const post = (body: string) => app.request("/v1/partitions/kafka/t/1/shard", { method: "POST", body, headers: { "content-type": "application/json" } });
  const moved = await post('{"shard":1}');
  expect(moved.status).toBe(200);
  expect(await moved.json()).toEqual({ moved: true, topic: "t", partition: 1, from: 0, to: 1 });
  const refused = await post('{"shard":9}');
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { message: string }).message).toContain("0..1");
  expect((await post("not json")).status).toBe(400);
});

test("rebalance_cores returns the moves it made", async () => {
  const response = await createAdminApp(backend()).request("/v1/partitions/rebalance_cores", { method: "POST" });
  expect((await response.json()) as unknown).toEqual({ moves: [{ topic: "t", partition: 1, from: 0, to: 1 }] });
});

test("GET /v1/brokers lists this node first, as Redpanda names its fields", async () => {
  const response = await createAdminApp(backend()).request("/v1/brokers");
  expect(await response.json()).toEqual([
    { node_id: 0, num_cores: 2, version: "test", is_alive: true, membership_status: "active", internal_rpc_address: null, internal_rpc_port: null },
  ]);
});

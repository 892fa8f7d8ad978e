import { describe, expect, test } from "bun:test";
import { ADMIN_BODY_BYTES_MAX, createAdminApp, type AdminBackend } from "./app.ts";
import type { PartitionDetails } from "../shard/control.ts";
import { deriveCredential, passwordMatches } from "../cluster/users.ts";
import { basicCredentials, type AdminAuth } from "./auth.ts";

const partition: PartitionDetails = { topic: "t", partition: 1, shard: 0, highWatermark: 42, logStartOffset: 3, sizeBytes: 4096 };

function backend(overrides: Partial<AdminBackend> = {}): AdminBackend {
  return {
    isReady: () => true,
    shardStats: async () => [],
    partitions: async () => [partition],
    partition: async (topic, p) => (topic === "t" && p === 1 ? partition : null),
    movePartition: async (topic, p, shard) => (shard === 9 ? { ok: false, error: "shard must be 0..1, got 9" } : { ok: true, move: { topic, partition: p, from: 0, to: shard } }),
    rebalanceCores: async () => [{ topic: "t", partition: 1, from: 0, to: 1 }],
    userNames: () => [],
    alterUsers: async (changes) => changes.map((c) => ({ name: c.name, errorCode: 0, errorMessage: null })),
    brokers: async () => ({ self: { nodeId: 0, shardCount: 2, version: "test", rpcAddress: null }, peers: [] }),
    replicatedPartition: async () => null,
    transferLeadership: async () => "this node is not in a cluster",
    moveReplicas: async (topic, _p, replicas) =>
      topic === "t" ? { errorCode: replicas.some((r) => r.node === 9) ? 39 : 0, errorMessage: replicas.some((r) => r.node === 9) ? "node 9 is not in the cluster" : null } : { errorCode: 3, errorMessage: "no replicated partition" },
    reconfigurations: async () => [],
    decommission: async (node) => (node === 1 ? { ok: true } : { ok: false, error: `node ${node} is not in the cluster` }),
    decommissionProgress: async (node) => (node === 1 ? { node_id: 1, finished: false } : null),
    maintenance: async (node) => (node === 1 ? { ok: true } : { ok: false, error: "node 0 is already in maintenance mode: one node at a time" }),
    maintenanceStatus: async (node) => (node === 1 ? { draining: true, finished: false, partitions: 3 } : null),
    clusterMetrics: async () => "",
    clusterHealth: async () => ({ controllerId: 0, nodes: [0], nodesDown: [], leaderlessPartitions: [], underReplicatedPartitions: [] }),
    connections: async () => [[], [{ listener: "mtls", remote: "127.0.0.1:5000", tls: true, authentication: "mtls_identity", principal: "User:alice", openedAtMs: 7 }]],
    cpuProfiles: async (waitMs, intervalUs) => [{ waitMs, intervalUs, samples: 3, self: [{ fn: "f (src/x.ts:1)", samples: 3 }], inclusive: [] }],
    ...overrides,
  };
}

test("CPU profile: every shard's summary over wait_ms; out-of-range parameters are refused", async () => {
  const app = createAdminApp(backend());
  const res = await app.request("/v1/debug/cpu_profile?wait_ms=250&sample_us=500");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual([{ shard: 0, waitMs: 250, intervalUs: 500, samples: 3, self: [{ fn: "f (src/x.ts:1)", samples: 3 }], inclusive: [] }]);
  for (const q of ["wait_ms=0", "wait_ms=60001", "wait_ms=x", "sample_us=10", "wait_ms=-5"]) {
    expect((await app.request(`/v1/debug/cpu_profile?${q}`)).status).toBe(400);
  }
});

test("moving replicas: Redpanda's body, refusals with the controller's reason, unknown partitions 404, bad bodies 400", async () => {
  const seen: unknown[] = [];
  const app = createAdminApp(backend({ moveReplicas: async (topic, p, replicas) => (seen.push({ topic, p, replicas }), { errorCode: 0, errorMessage: null }) }));
  const post = (a: ReturnType<typeof createAdminApp>, path: string, body: string) => a.request(path, { method: "POST", body, headers: { "content-type": "application/json" } });
  const ok = await post(app, "/v1/partitions/kafka/t/1/replicas", '[{"node_id":1,"core":0},{"node_id":3,"core":1}]');
  expect(ok.status).toBe(200);
  expect(seen).toEqual([{ topic: "t", p: 1, replicas: [{ node: 1, shard: 0 }, { node: 3, shard: 1 }] }]);
  const plain = createAdminApp(backend());
  const refused = await post(plain, "/v1/partitions/kafka/t/1/replicas", '[{"node_id":9,"core":0}]');
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { message: string }).message).toContain("node 9");
  expect((await post(plain, "/v1/partitions/kafka/u/1/replicas", '[{"node_id":1,"core":0}]')).status).toBe(404);
  for (const body of ["[]", '{"node_id":1}', '[{"node_id":"1","core":0}]', '[{"node_id":1}]', "nope"]) {
    expect((await post(plain, "/v1/partitions/kafka/t/1/replicas", body)).status).toBe(400);
  }
});

test("decommission and recommission: 200 once recorded, 400 with the reason, progress 404 for an unknown node", async () => {
  const app = createAdminApp(backend());
  const put = (path: string) => app.request(path, { method: "PUT", headers: { "content-type": "application/json" } });
  expect((await put("/v1/brokers/1/decommission")).status).toBe(200);
  expect((await put("/v1/brokers/1/recommission")).status).toBe(200);
  const refused = await put("/v1/brokers/7/decommission");
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { message: string }).message).toContain("node 7");
  expect((await put("/v1/brokers/x/decommission")).status).toBe(400);
  expect(await (await app.request("/v1/brokers/1/decommission")).json()).toEqual({ node_id: 1, finished: false });
  expect((await app.request("/v1/brokers/7/decommission")).status).toBe(404);
});

test("maintenance mode: PUT starts it, DELETE ends it, a refusal is 400 with the reason, status 404 for an unknown node", async () => {
  const app = createAdminApp(backend());
  const send = (method: string, path: string) => app.request(path, { method, headers: { "content-type": "application/json" } });
  expect((await send("PUT", "/v1/brokers/1/maintenance")).status).toBe(200);
  expect((await send("DELETE", "/v1/brokers/1/maintenance")).status).toBe(200);
  const refused = await send("PUT", "/v1/brokers/2/maintenance");
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { message: string }).message).toContain("one node at a time");
  expect((await send("PUT", "/v1/brokers/-1/maintenance")).status).toBe(400);
  expect(await (await app.request("/v1/brokers/1/maintenance")).json()).toEqual({ draining: true, finished: false, partitions: 3 });
  expect((await app.request("/v1/brokers/7/maintenance")).status).toBe(404);
});

test("ready is 503 while shards boot, 200 after", async () => {
  expect((await createAdminApp(backend({ isReady: () => false })).request("/v1/status/ready")).status).toBe(503);
  const ready = await createAdminApp(backend()).request("/v1/status/ready");
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: "ready" });
});

test("Kafka connections are listed with their shard, listener and principal", async () => {
  const listed = await (await createAdminApp(backend()).request("/v1/kafka/connections")).json();
  expect(listed).toEqual([{ shard_id: 1, listener_name: "mtls", source: "127.0.0.1:5000", tls_enabled: true, authentication_method: "mtls_identity", principal: "User:alice", open_time_ms: 7 }]);
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
  const response = await createAdminApp(backend()).request("/v1/partitions/rebalance_cores", { method: "POST", headers: { "content-type": "application/json" } });
  expect((await response.json()) as unknown).toEqual({ moves: [{ topic: "t", partition: 1, from: 0, to: 1 }] });
});

test("changes without a JSON content type are refused, so a web page cannot send them cross-site", async () => {
  let moves = 0;
  const app = createAdminApp(backend({ movePartition: async () => (moves++, { ok: true, move: null }) }));
  for (const type of [undefined, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp"]) {
    const headers: Record<string, string> = type ? { "content-type": type } : {};
    const response = await app.request("/v1/partitions/kafka/t/1/shard", { method: "POST", headers, body: '{"shard":1}' });
    expect(response.status).toBe(415);
  }
  expect((await app.request("/v1/partitions/rebalance_cores", { method: "POST" })).status).toBe(415);
  expect(moves).toBe(0);
  const ok = await app.request("/v1/partitions/kafka/t/1/shard", { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: '{"shard":1}' });
  expect(ok.status).toBe(200);
  expect(moves).toBe(1);
});

test("partition numbers are strict decimal integers", async () => {
  const app = createAdminApp(backend());
  for (const bad of ["0x1", "1.0", "1e0", "+1", "01", " 1", "99999999999", "-1"]) {
    expect((await app.request(`/v1/partitions/kafka/t/${encodeURIComponent(bad)}`)).status).toBe(404);
    const post = await app.request(`/v1/partitions/kafka/t/${encodeURIComponent(bad)}/shard`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"shard":1}' });
    expect(post.status).toBe(400);
  }
  expect((await app.request("/v1/partitions/kafka/t/1")).status).toBe(200);
});

test("a body over the limit is refused by its size before it is parsed", async () => {
  const app = createAdminApp(backend());
  const huge = "[".repeat(ADMIN_BODY_BYTES_MAX + 1);
  const declared = await app.request("/v1/partitions/kafka/t/1/shard", { method: "POST", headers: { "content-type": "application/json" }, body: huge });
  expect(declared.status).toBe(413);
  // Streamed with no length given: cut off once the limit is passed.
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent > 100 * 1024 * 1024) return controller.close();
      sent += 64 * 1024;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x5b));
    },
  });
  const streamed = await app.request(new Request("http://admin/v1/partitions/kafka/t/1/shard", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit));
  expect(streamed.status).toBe(413);
  expect(sent).toBeLessThan(1024 * 1024);
});

test("GET /v1/brokers lists this node first, as Redpanda names its fields", async () => {
  const response = await createAdminApp(backend()).request("/v1/brokers");
  expect(await response.json()).toEqual([
    { node_id: 0, num_cores: 2, version: "test", is_alive: true, membership_status: "active", internal_rpc_address: null, internal_rpc_port: null },
  ]);
});

describe("admin_api_require_auth", () => {
  const credentials = { admin: deriveCredential("SCRAM-SHA-256", "admin-pw"), reader: deriveCredential("SCRAM-SHA-512", "reader-pw") };
  const auth: AdminAuth = {
    required: true,
    superusers: ["admin"],
    passwordMatches: (user, password) => Object.hasOwn(credentials, user) && passwordMatches(credentials[user as keyof typeof credentials], password),
  };
  let moves = 0;
  const app = createAdminApp(backend({ movePartition: async () => (moves++, { ok: true, move: null }) }), auth);
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
  const move = (headers: Record<string, string>) =>
    app.request("/v1/partitions/kafka/t/1/shard", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: '{"shard":1}' });

  test("no credentials, a wrong password or an unknown user: 401 with a Basic challenge", async () => {
    for (const headers of [{}, basic("reader", "wrong"), basic("nobody", "reader-pw"), { authorization: "Bearer x" }, { authorization: "Basic !!!" }]) {
      const response = await app.request("/v1/partitions", { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Basic realm="skua"');
      expect((await move(headers)).status).toBe(401);
    }
    expect((await app.request("/")).status).toBe(401);
    expect((await app.request("/metrics")).status).toBe(401);
    expect(moves).toBe(0);
  });

  test("any user reads; only a superuser changes (403 otherwise)", async () => {
    const read = await app.request("/v1/partitions", { headers: basic("reader", "reader-pw") });
    expect(read.status).toBe(200);
    expect(await read.json()).toHaveLength(1);
    const refused = await move(basic("reader", "reader-pw"));
    expect(refused.status).toBe(403);
    expect(moves).toBe(0);
    expect((await move(basic("admin", "admin-pw"))).status).toBe(200);
    expect(moves).toBe(1);
  });

  test("readiness stays open for probes", async () => {
    expect((await app.request("/v1/status/ready")).status).toBe(200);
  });

  test("off by default: no login asked for", async () => {
    expect((await createAdminApp(backend()).request("/v1/partitions")).status).toBe(200);
  });

  test("Basic credentials: the user ends at the first colon", () => {
    expect(basicCredentials(`Basic ${Buffer.from("u:p:w").toString("base64")}`)).toEqual({ user: "u", password: "p:w" });
    expect(basicCredentials(`Basic ${Buffer.from(":p").toString("base64")}`)).toBeNull();
    expect(basicCredentials(`Basic ${"A".repeat(10_000)}`)).toBeNull();
  });
});

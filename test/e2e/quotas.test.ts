/**
 * Client quotas and connection limits against the compiled broker: quotas set with
 * AlterClientQuotas (kafkajs has no admin call for it, so over the wire), a kafkajs producer
 * held near its byte rate while another client id is not throttled, DescribeClientQuotas
 * before and after a restart; a connection past kafkajs's per-address limit is closed at once
 * while the ones before it keep working.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { KafkaConfig } from "kafkajs";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { ApiKey, fetchOnce, produce, WireClient } from "../helpers/wire.ts";
import { skua, skuaOk } from "../helpers/cli.ts";

setDefaultTimeout(90_000);

const DESCRIBE_CLIENT_QUOTAS = 48;
const ALTER_CLIENT_QUOTAS = 49;
const QUOTA_BYTES_PER_S = 256 * 1024;
const FETCH_QUOTA_BYTES_PER_S = 64 * 1024;
const PRODUCE_FOR_MS = 5000;
const MESSAGE_BYTES = 16 * 1024;
const MESSAGES_PER_SEND = 8;

type Entity = Array<{ entityType: string; entityName: string | null }>;

async function alterQuotas(wire: WireClient, version: number, entries: Array<{ entity: Entity; ops: Array<{ key: string; value: number; remove?: boolean }> }>) {
  const answer = await wire.request(ALTER_CLIENT_QUOTAS, version, {
    entries: entries.map((e) => ({ entity: e.entity, ops: e.ops.map((op) => ({ key: op.key, value: op.value, remove: op.remove ?? false })) })),
    validateOnly: false,
  });
  return answer.entries as Array<{ errorCode: number; errorMessage: string | null; entity: Entity }>;
}

async function describeQuotas(wire: WireClient, version: number, components: Array<{ entityType: string; matchType: number; match: string | null }> = [], strict = false) {
  const answer = await wire.request(DESCRIBE_CLIENT_QUOTAS, version, { components, strict });
  expect(answer.errorCode).toBe(ErrorCode.NONE);
  const entries = answer.entries as Array<{ entity: Entity; values: Array<{ key: string; value: number }> }>;
  return entries.map((e) => ({ entity: e.entity.map((x) => `${x.entityType}=${x.entityName ?? "<default>"}`).join(","), values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) })).sort((a, b) => a.entity.localeCompare(b.entity));
}

/** Produces with kafkajs as fast as it is let for `ms`; answers bytes per second. */
async function produceFlat(broker: Broker, clientId: string, topic: string, ms: number, config: Partial<KafkaConfig> = {}): Promise<number> {
  const producer = kafkaClient(broker, { clientId, requestTimeout: 30_000, ...config }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(MESSAGE_BYTES, clientId);
  const start = performance.now();
  let bytes = 0;
  try {
    while (performance.now() - start < ms) {
      await producer.send({ topic, acks: 1, messages: Array.from({ length: MESSAGES_PER_SEND }, () => ({ value })) });
      bytes += MESSAGE_BYTES * MESSAGES_PER_SEND;
    }
  } finally {
    await producer.disconnect();
  }
  return (bytes * 1000) / (performance.now() - start);
}

describe("client quotas", () => {
  let broker: Broker;
  let wire: WireClient;

  beforeAll(async () => {
    // Short windows (at least 2 s) so the rate settles within the test.
    broker = await startBroker({ smp: 1, sets: { quota_window_num: 3, quota_window_size_seconds: 1 } });
    wire = await WireClient.connect(broker.kafkaPort);
    await createTopic(kafkaClient(broker), "metered", 1);
  });

  afterAll(async () => {
    wire?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  test("AlterClientQuotas sets quotas (v0 and v1), refuses what skua does not support, DescribeClientQuotas lists them", async () => {
    const set = await alterQuotas(wire, 1, [
      { entity: [{ entityType: "client-id", entityName: "throttled" }], ops: [{ key: "producer_byte_rate", value: QUOTA_BYTES_PER_S }] },
      { entity: [{ entityType: "client-id", entityName: "slow-reader" }], ops: [{ key: "consumer_byte_rate", value: FETCH_QUOTA_BYTES_PER_S }] },
      { entity: [{ entityType: "user", entityName: null }, { entityType: "client-id", entityName: "x" }], ops: [{ key: "request_percentage", value: 5000 }] },
      { entity: [{ entityType: "client-id", entityName: "y" }], ops: [{ key: "controller_mutation_rate", value: 10 }] },
    ]);
    expect(set.map((e) => e.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE, ErrorCode.INVALID_REQUEST]);
    expect(set[3].errorMessage).toBe("controller_mutation_rate quotas are not supported by skua");
    const v0 = await alterQuotas(wire, 0, [{ entity: [{ entityType: "user", entityName: "alice" }], ops: [{ key: "producer_byte_rate", value: 1024 }] }]);
    expect(v0[0].errorCode).toBe(ErrorCode.NONE);
    const removed = await alterQuotas(wire, 0, [{ entity: [{ entityType: "user", entityName: "alice" }], ops: [{ key: "producer_byte_rate", value: 0, remove: true }] }]);
    expect(removed[0].errorCode).toBe(ErrorCode.NONE);

    const expected: Array<{ entity: string; values: Record<string, number> }> = [
      { entity: "client-id=slow-reader", values: { consumer_byte_rate: FETCH_QUOTA_BYTES_PER_S } },
      { entity: "client-id=throttled", values: { producer_byte_rate: QUOTA_BYTES_PER_S } },
      { entity: "user=<default>,client-id=x", values: { request_percentage: 5000 } },
    ];
    expect(await describeQuotas(wire, 0)).toEqual(expected);
    expect(await describeQuotas(wire, 1, [{ entityType: "user", matchType: 1, match: null }])).toEqual([expected[2]]);
    expect(await describeQuotas(wire, 1, [{ entityType: "client-id", matchType: 0, match: "throttled" }], true)).toEqual([expected[1]]);
  });

  test("a producer over its byte-rate quota is held near it and told throttle_time_ms; another client id is not", async () => {
    const [throttledRate, freeRate] = await Promise.all([
      produceFlat(broker, "throttled", "metered", PRODUCE_FOR_MS),
      produceFlat(broker, "free", "metered", PRODUCE_FOR_MS),
    ]);
    console.log(`throttled: ${(throttledRate / 1024).toFixed(0)} KiB/s (quota ${QUOTA_BYTES_PER_S / 1024}), free: ${(freeRate / 1024).toFixed(0)} KiB/s`);
    // Within a generous factor: the window lets a burst of about its span through first.
    expect(throttledRate).toBeLessThan(QUOTA_BYTES_PER_S * 2.5);
    expect(throttledRate).toBeGreaterThan(QUOTA_BYTES_PER_S * 0.3);
    expect(freeRate).toBeGreaterThan(throttledRate * 3);

    const records = buildBatch({ records: [{ value: Buffer.alloc(256 * 1024, 1) }] });
    const throttled = await WireClient.connect(broker.kafkaPort, "127.0.0.1", "throttled");
    const free = await WireClient.connect(broker.kafkaPort, "127.0.0.1", "free");
    try {
      const over = await produce(throttled, "metered", [{ partition: 0, records }], 1);
      expect(over.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
      expect(over.throttleTimeMs).toBeGreaterThan(0);
      for (let i = 0; i < 5; i++) expect((await produce(free, "metered", [{ partition: 0, records }], 1)).throttleTimeMs).toBe(0);
    } finally {
      throttled.close();
      free.close();
    }
  });

  test("a consumer over its fetch byte-rate quota is told throttle_time_ms", async () => {
    const reader = await WireClient.connect(broker.kafkaPort, "127.0.0.1", "slow-reader");
    try {
      const answer = await fetchOnce(reader, "metered", [{ partition: 0, offset: 0 }], 0, 1024 * 1024);
      expect(answer.responses[0].partitions[0].records!.length).toBeGreaterThan(FETCH_QUOTA_BYTES_PER_S);
      expect(answer.throttleTimeMs).toBeGreaterThan(0);
    } finally {
      reader.close();
    }
  });

  test("quotas survive a restart", async () => {
    const before = await describeQuotas(wire, 1);
    wire.close();
    await broker.restart();
    wire = await WireClient.connect(broker.kafkaPort);
    expect(await describeQuotas(wire, 1)).toEqual(before);
    expect(before).toHaveLength(3);
  });

  test("skua cluster quotas alter and describe, as rpk's", async () => {
    const added = await skuaOk(broker, ["cluster", "quotas", "alter", "--default", "user", "--name", "client-id=cli", "--add", "consumer_byte_rate=2048"]);
    expect(added).toMatch(/user=<default>,client-id=cli\s+OK/);
    const described = await skuaOk(broker, ["cluster", "quotas", "describe", "--name", "client-id=cli", "--default", "user"]);
    expect(described).toBe("user=<default>,client-id=cli\n\tconsumer_byte_rate=2048\n");
    const refused = await skua(broker, ["cluster", "quotas", "alter", "--name", "client-id=cli", "--add", "controller_mutation_rate=1"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("INVALID_REQUEST: controller_mutation_rate quotas are not supported by skua");
    await skuaOk(broker, ["cluster", "quotas", "alter", "--default", "user", "--name", "client-id=cli", "--delete", "consumer_byte_rate"]);
    expect(await skuaOk(broker, ["cluster", "quotas", "describe", "--name", "client-id=cli", "--default", "user"])).toBe("No quotas matched.\n");
  });

  test("a client over its request_percentage quota is throttled on any request", async () => {
    const set = await alterQuotas(wire, 1, [{ entity: [{ entityType: "client-id", entityName: "busy" }], ops: [{ key: "request_percentage", value: 0.0001 }] }]);
    expect(set[0].errorCode).toBe(ErrorCode.NONE);
    const busy = await WireClient.connect(broker.kafkaPort, "127.0.0.1", "busy");
    try {
      let throttleMs = 0;
      for (let i = 0; i < 5 && throttleMs === 0; i++) throttleMs = (await busy.request(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false })).throttleTimeMs;
      expect(throttleMs).toBeGreaterThan(0);
      expect((await wire.request(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false })).throttleTimeMs).toBe(0);
    } finally {
      busy.close();
    }
  });
});

test("a user's quota (SASL) holds that user whatever its client id, and not another user with the same client id", async () => {
  await using broker = await startBroker({ smp: 1, sets: { enable_sasl: true, kafka_enable_authorization: false, sasl_mechanisms: "PLAIN", quota_window_num: 3 } });
  for (const username of ["alice", "bob"]) {
    const created = await fetch(`${broker.adminUrl}/v1/security/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password: `${username}-secret`, algorithm: "SCRAM-SHA-256" }) });
    expect(created.status).toBe(200);
  }
  const wire = await WireClient.connect(broker.kafkaPort);
  try {
    expect((await wire.request(17, 1, { mechanism: "PLAIN" })).errorCode).toBe(ErrorCode.NONE);
    expect((await wire.request(36, 2, { authBytes: new TextEncoder().encode("\0alice\0alice-secret") })).errorCode).toBe(ErrorCode.NONE);
    const set = await alterQuotas(wire, 1, [{ entity: [{ entityType: "user", entityName: "alice" }], ops: [{ key: "producer_byte_rate", value: QUOTA_BYTES_PER_S }] }]);
    expect(set[0].errorCode).toBe(ErrorCode.NONE);
    expect(await describeQuotas(wire, 1, [{ entityType: "user", matchType: 2, match: null }])).toEqual([{ entity: "user=alice", values: { producer_byte_rate: QUOTA_BYTES_PER_S } }]);
    await createTopic(kafkaClient(broker, { sasl: { mechanism: "plain", username: "alice", password: "alice-secret" } }), "users", 1);
  } finally {
    wire.close();
  }
  const as = (username: string): Partial<KafkaConfig> => ({ sasl: { mechanism: "plain", username, password: `${username}-secret` } });
  const [alice, bob] = await Promise.all([produceFlat(broker, "app", "users", PRODUCE_FOR_MS, as("alice")), produceFlat(broker, "app", "users", PRODUCE_FOR_MS, as("bob"))]);
  console.log(`alice: ${(alice / 1024).toFixed(0)} KiB/s (quota ${QUOTA_BYTES_PER_S / 1024}), bob: ${(bob / 1024).toFixed(0)} KiB/s`);
  expect(alice).toBeLessThan(QUOTA_BYTES_PER_S * 2.5);
  expect(bob).toBeGreaterThan(alice * 3);
});

test("past kafka_connections_max_per_ip (overridden for 127.0.0.1) a new connection is closed at once; the earlier ones keep working", async () => {
  // Two shards: the count is node-wide, wherever the kernel puts each connection.
  await using broker = await startBroker({ smp: 2, sets: { kafka_connections_max_per_ip: 1, kafka_connections_max_overrides: "127.0.0.1:3" } });
  const apiVersions = (client: WireClient) => client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" });
  const first = await Promise.all([0, 1, 2].map(() => WireClient.connect(broker.kafkaPort)));
  for (const client of first) expect((await apiVersions(client)).errorCode).toBe(ErrorCode.NONE);

  const extra = await WireClient.connect(broker.kafkaPort);
  await Promise.race([extra.closed, Bun.sleep(5000).then(() => Promise.reject(new Error("the extra connection was not closed")))]);
  expect(broker.stderr()).toContain("refusing connection");

  for (const client of first) expect((await apiVersions(client)).errorCode).toBe(ErrorCode.NONE);
  // A closed connection gives its place back.
  first[0].close();
  await first[0].closed;
  let again: WireClient | null = null;
  for (let attempt = 0; attempt < 50 && again === null; attempt++) {
    const candidate = await WireClient.connect(broker.kafkaPort);
    const answered = await apiVersions(candidate).then(() => true, () => false);
    if (answered) again = candidate;
    else await Bun.sleep(100); // the broker may not have seen the close yet
  }
  expect(again).not.toBeNull();
  for (const client of [...first.slice(1), again!]) client.close();
  const metrics = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  expect(metrics).toMatch(/skua_kafka_connections_refused_total\{shard="\d"\} [1-9]/);
});

test("past kafka_connections_max (over all shards) and kafka_connection_rate_limit new connections are closed at once", async () => {
  await using capped = await startBroker({ smp: 2, sets: { kafka_connections_max: 2 } });
  // One after another, each answered before the next: shards see their accepts in no set order.
  const held: WireClient[] = [];
  for (let i = 0; i < 2; i++) {
    const client = await WireClient.connect(capped.kafkaPort);
    expect((await client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" })).errorCode).toBe(ErrorCode.NONE);
    held.push(client);
  }
  const extra = await WireClient.connect(capped.kafkaPort);
  await Promise.race([extra.closed, Bun.sleep(5000).then(() => Promise.reject(new Error("the extra connection was not closed")))]);
  for (const client of held) expect((await client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" })).errorCode).toBe(ErrorCode.NONE);
  for (const client of held) client.close();

  // Five at once: within at most two one-second windows of 2, at least one is refused.
  await using rated = await startBroker({ smp: 1, sets: { kafka_connection_rate_limit: 2 } });
  const burst = await Promise.all([0, 1, 2, 3, 4].map(() => WireClient.connect(rated.kafkaPort)));
  const answered = await Promise.all(burst.map((c) => c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" }).then(() => true, () => false)));
  expect(answered.filter((ok) => !ok).length).toBeGreaterThan(0);
  expect(answered.filter((ok) => ok).length).toBeGreaterThanOrEqual(2);
  for (const client of burst) client.close();
});

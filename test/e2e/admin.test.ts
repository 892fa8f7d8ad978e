/**
 * The admin HTTP API of a running broker (--smp 2): readiness, the shard table, and
 * Prometheus metrics that move with Kafka traffic.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { adminGet, pollUntil, shards, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { fetchOnce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition: `name{a="b",…} value` lines; checks every non-comment line parses. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    const value = match[3] === "+Inf" ? Infinity : Number(match[3]);
    if (Number.isNaN(value)) throw new Error(`bad sample value: ${line}`);
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

async function metrics(broker: Broker): Promise<Sample[]> {
  const { status, text, contentType } = await adminGet(broker, "/metrics");
  expect(status).toBe(200);
  expect(contentType).toMatch(/^text\/plain/);
  return parseMetrics(text);
}

const total = (samples: Sample[], name: string, where: (labels: Record<string, string>) => boolean = () => true) =>
  samples.filter((s) => s.name === name && where(s.labels)).reduce((sum, s) => sum + s.value, 0);
const isApi = (api: string) => (labels: Record<string, string>) => labels.api?.toLowerCase() === api.toLowerCase();

describe("admin API (--smp 2)", () => {
  let broker: Broker;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("GET /v1/status/ready answers 200 with a JSON body", async () => {
    const { status, text, contentType } = await adminGet(broker, "/v1/status/ready");
    expect(status).toBe(200);
    expect(contentType).toMatch(/application\/json/);
    const body = JSON.parse(text);
    expect(typeof body).toBe("object");
    expect(body).not.toBeNull();
  });

  test("GET /v1/shards lists both shards with counters and owned partitions", async () => {
    await createTopic(kafkaClient(broker), "shape", 4);
    const list = await pollUntil("4 partitions owned", async () => {
      const l = await shards(broker);
      return l.reduce((n, s) => n + s.partitions.length, 0) === 4 ? l : undefined;
    });
    expect(list).toHaveLength(2);
    for (const shard of list) {
      expect(Object.keys(shard).sort()).toEqual(
        [
          "shard_id", "core_requested", "core_actual", "pinned", "partitions", "partition_count", "requests",
          "connections", "bytes_in", "bytes_out", "cross_shard_sent", "cross_shard_received", "cross_shard_queue_depth", "size_bytes", "backend",
        ].sort(),
      );
      for (const key of ["shard_id", "core_requested", "core_actual", "partition_count", "requests", "connections", "bytes_in", "bytes_out", "cross_shard_sent", "cross_shard_received"] as const) {
        expect(Number.isInteger(shard[key])).toBe(true);
        expect(shard[key]).toBeGreaterThanOrEqual(key === "core_actual" ? -1 : 0);
      }
      expect(typeof shard.pinned).toBe("boolean");
      expect(shard.partition_count).toBe(shard.partitions.length);
      for (const p of shard.partitions) expect(p).toEqual({ topic: expect.any(String), partition: expect.any(Number) });
    }
    expect(list.flatMap((s) => s.partitions.filter((p) => p.topic === "shape").map((p) => p.partition)).sort()).toEqual([0, 1, 2, 3]);

    // Traffic shows up in the counters; an open connection is counted.
    const before = await shards(broker);
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      await fetchOnce(wire, "shape", [0, 1, 2, 3].map((partition) => ({ partition, offset: 0 })));
      const after = await shards(broker);
      const sum = (l: typeof after, k: "requests" | "bytes_in" | "bytes_out" | "connections") => l.reduce((n, s) => n + s[k], 0);
      expect(sum(after, "requests")).toBeGreaterThan(sum(before, "requests"));
      expect(sum(after, "bytes_in")).toBeGreaterThan(sum(before, "bytes_in"));
      expect(sum(after, "bytes_out")).toBeGreaterThan(sum(before, "bytes_out"));
      expect(sum(after, "connections")).toBeGreaterThanOrEqual(1);
    } finally {
      wire.close();
    }
  });

  test("/metrics counts Produce and Fetch requests, bytes, latency; the fsync histogram moves with acks=-1 produce", async () => {
    const topic = "metered";
    const kafka = kafkaClient(broker);
    await createTopic(kafka, topic, 2);
    const before = await metrics(broker);
    const fsyncsBefore = total(before, "skua_storage_fsync_latency_seconds_count");

    await withProducer(kafka, async (producer) => {
      for (let i = 0; i < 5; i++) await producer.send({ topic, acks: -1, messages: [{ partition: i % 2, value: `m${i}` }] });
    });
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      for (let i = 0; i < 3; i++) await fetchOnce(wire, topic, [{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }]);
    } finally {
      wire.close();
    }

    const after = await metrics(broker);
    const produces = total(after, "skua_kafka_requests_total", isApi("Produce")) - total(before, "skua_kafka_requests_total", isApi("Produce"));
    const fetches = total(after, "skua_kafka_requests_total", isApi("Fetch")) - total(before, "skua_kafka_requests_total", isApi("Fetch"));
    expect(produces).toBeGreaterThanOrEqual(5);
    expect(fetches).toBeGreaterThanOrEqual(3);
    expect(total(after, "skua_kafka_bytes_received_total")).toBeGreaterThan(total(before, "skua_kafka_bytes_received_total"));
    for (const s of after.filter((x) => x.name === "skua_kafka_requests_total")) expect(s.labels.shard).toMatch(/^[01]$/);

    // Latency histogram: the Produce count matches the request counter; buckets are cumulative and end at +Inf = count.
    const produceLatencyCount = total(after, "skua_kafka_request_latency_seconds_count", isApi("Produce"));
    expect(produceLatencyCount).toBe(total(after, "skua_kafka_requests_total", isApi("Produce")));
    for (const shard of ["0", "1"]) {
      for (const route of ["local", "cross_shard"]) {
        const series = (l: Record<string, string>) => isApi("Produce")(l) && l.shard === shard && l.route === route;
        const buckets = after.filter((s) => s.name === "skua_kafka_request_latency_seconds_bucket" && series(s.labels));
        if (buckets.length === 0) continue;
        const counts = buckets.map((b) => b.value);
        expect(counts).toEqual([...counts].sort((a, b) => a - b));
        expect(buckets[buckets.length - 1].labels.le).toBe("+Inf");
        expect(counts[counts.length - 1]).toBe(total(after, "skua_kafka_request_latency_seconds_count", series));
      }
    }

    // acks=-1 means fsync before the ack: the fsync histogram has more observations than before.
    expect(total(after, "skua_storage_fsync_latency_seconds_count")).toBeGreaterThan(fsyncsBefore);
    expect(total(after, "skua_storage_fsync_latency_seconds_count")).toBeGreaterThan(0);
  });
});

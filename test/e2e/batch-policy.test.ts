/**
 * What the broker changes in produced batches, through the compiled broker (--smp 2): a
 * missing max timestamp (sarama ≤ 1.2x) computed from the records and used by ListOffsets,
 * LogAppendTime topics (kcat and kafkajs see the broker's time, Produce answers logAppendTimeMs),
 * message.timestamp.* bounds (INVALID_TIMESTAMP for that partition only) and compression.type
 * (batches stored in the topic's codec, read back by kcat).
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import type { Kafka } from "kafkajs";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { type CodecId, decompress } from "../../src/storage/compression.ts";
import * as rb from "../../src/storage/record-batch.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { kafkaClient, withAdmin, withProducer } from "../helpers/kafka.ts";
import { kcat, kcatConsumeAll } from "../helpers/kcat.ts";
import { decodeBatches } from "../helpers/records.ts";
import { fetchOnce, listOffset, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const HOUR_MS = 3_600_000;
const inflate = (codec: number, payload: Uint8Array) => decompress(codec as CodecId, payload);

describe("batch timestamps and codecs owned by the broker (--smp 2)", () => {
  let broker: Broker;
  let kafka: Kafka;
  let wire: WireClient;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
    kafka = kafkaClient(broker);
    wire = await WireClient.connect(broker.kafkaPort);
  });

  afterAll(async () => {
    wire?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  async function createTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    const created = await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }], waitForLeaders: true }));
    expect(created).toBe(true);
  }

  async function storedBatches(topic: string, partition: number): Promise<Uint8Array> {
    const response = await fetchOnce(wire, topic, [{ partition, offset: 0 }]);
    const p = response.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    return p.records!;
  }

  function headers(bytes: Uint8Array): Array<{ attributes: number; baseTimestamp: number; maxTimestamp: number }> {
    const out: Array<{ attributes: number; baseTimestamp: number; maxTimestamp: number }> = [];
    rb.scanBatches(bytes, 0, (at) => void out.push({ attributes: rb.attributes(bytes, at), baseTimestamp: rb.baseTimestamp(bytes, at), maxTimestamp: rb.maxTimestamp(bytes, at) }));
    expect(rb.validateBatches(bytes)).toMatchObject({ ok: true, batches: out.length }); // every CRC good
    return out;
  }

  test("batches with maxTimestamp -1 get it from their records, and ListOffsets by time finds them", async () => {
    const topic = "sarama-style";
    await createTopic(topic, 1);
    const t0 = Date.now() - 600_000;
    const plain = buildBatch({ baseTimestamp: t0, maxTimestamp: -1, records: [0, 10, 20, 30, 40].map((d, i) => ({ value: `p${i}`, timestampDelta: d })) });
    const gzip = buildBatch({ baseTimestamp: t0 + 100, maxTimestamp: -1, compression: 1, records: [0, 10, 40, 20, 30].map((d, i) => ({ value: `g${i}`, timestampDelta: d })) });
    for (const records of [plain, gzip]) {
      const answer = await produce(wire, topic, [{ partition: 0, records }]);
      expect(answer.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
    expect(headers(await storedBatches(topic, 0)).map((h) => h.maxTimestamp)).toEqual([t0 + 40, t0 + 140]);
    expect(await listOffset(wire, topic, 0, t0 - 1000)).toEqual({ errorCode: 0, offset: 0 });
    expect(await listOffset(wire, topic, 0, t0 + 25)).toEqual({ errorCode: 0, offset: 3 });
    expect(await listOffset(wire, topic, 0, t0 + 130)).toEqual({ errorCode: 0, offset: 5 }); // compressed: its batch
    expect(await listOffset(wire, topic, 0, t0 + 141)).toEqual({ errorCode: 0, offset: -1 });
  });

  test("LogAppendTime: Produce answers logAppendTimeMs and consumers see the broker's time", async () => {
    const topic = "append-time";
    await createTopic(topic, 1, { "message.timestamp.type": "LogAppendTime" });
    const before = Date.now();
    const sent = await withProducer(kafka, (producer) =>
      producer.send({ topic, acks: -1, messages: [1, 2, 3].map((i) => ({ value: `v${i}`, timestamp: String(1000 + i) })) }),
    );
    const after = Date.now();
    const logAppendTimeMs = Number(sent[0]!.logAppendTime);
    expect(logAppendTimeMs).toBeGreaterThanOrEqual(before);
    expect(logAppendTimeMs).toBeLessThanOrEqual(after);

    const stored = headers(await storedBatches(topic, 0));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.attributes & rb.ATTR_TIMESTAMP_LOG_APPEND).toBe(rb.ATTR_TIMESTAMP_LOG_APPEND);
    expect(stored[0]!.maxTimestamp).toBe(logAppendTimeMs);

    const lines = await kcat(["-b", broker.brokers[0]!, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s %T\n"]);
    expect(lines.trim().split("\n")).toEqual(["v1", "v2", "v3"].map((v) => `${v} ${logAppendTimeMs}`));

    const consumer = kafka.consumer({ groupId: "append-time-readers", maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const timestamps: string[] = [];
      const done = new Promise<void>((resolve) =>
        consumer.run({ eachMessage: async ({ message }) => void (timestamps.push(message.timestamp), timestamps.length === 3 && resolve()) }),
      );
      await done;
      expect(timestamps).toEqual([1, 2, 3].map(() => String(logAppendTimeMs)));
    } finally {
      await consumer.disconnect();
    }

    // A CreateTime topic answers -1.
    const plain = await produce(wire, "sarama-style", [{ partition: 0, records: buildBatch({ baseTimestamp: Date.now(), records: [{ value: "x" }] }) }]);
    expect(plain.responses[0]!.partitionResponses[0]!.logAppendTimeMs).toBe(-1);
  });

  test("a record outside message.timestamp.before/after.max.ms is INVALID_TIMESTAMP for its partition only", async () => {
    const topic = "bounded-time";
    await createTopic(topic, 3, { "message.timestamp.before.max.ms": String(HOUR_MS), "message.timestamp.after.max.ms": String(HOUR_MS) });
    const now = Date.now();
    const answer = await produce(wire, topic, [
      { partition: 0, records: buildBatch({ baseTimestamp: now, records: [{ value: "ok" }, { value: "old", timestampDelta: -2 * HOUR_MS }] }) },
      { partition: 1, records: buildBatch({ baseTimestamp: now, records: [{ value: "fine" }] }) },
      { partition: 2, records: buildBatch({ baseTimestamp: now + 2 * HOUR_MS, records: [{ value: "future" }] }) },
    ]);
    const byPartition = new Map(answer.responses[0]!.partitionResponses.map((p) => [p.index, p]));
    expect(byPartition.get(0)!.errorCode).toBe(32);
    expect(byPartition.get(0)!.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
    expect(byPartition.get(0)!.errorMessage).toContain("out of range");
    expect(byPartition.get(1)!.errorCode).toBe(0);
    expect(byPartition.get(2)!.errorCode).toBe(32);
    expect(await listOffset(wire, topic, 0, -1)).toEqual({ errorCode: 0, offset: 0 });
    expect(await listOffset(wire, topic, 1, -1)).toEqual({ errorCode: 0, offset: 1 });

    // The older message.timestamp.difference.max.ms bounds both sides when before/after are unset.
    await createTopic("bounded-difference", 1, { "message.timestamp.difference.max.ms": "1000" });
    const old = await produce(wire, "bounded-difference", [{ partition: 0, records: buildBatch({ baseTimestamp: now - HOUR_MS, records: [{ value: "x" }] }) }]);
    expect(old.responses[0]!.partitionResponses[0]!.errorCode).toBe(32);
  });

  for (const [codec, id] of [["gzip", 1], ["snappy", 2], ["lz4", 3], ["zstd", 4]] as const) {
    test(`compression.type=${codec}: uncompressed kcat batches are stored as ${codec} and kcat reads them back`, async () => {
      const topic = `recompressed-${codec}`;
      await createTopic(topic, 1, { "compression.type": codec });
      const values = Array.from({ length: 300 }, (_, i) => `${codec}-${i}-${"abcdefgh".repeat(1 + (i % 17))}`);
      await kcat(["-b", broker.brokers[0]!, "-P", "-t", topic, "-z", "none", "-X", "acks=all", "-X", "linger.ms=20"], { stdin: values.map((v) => `${v}\n`).join("") });
      const stored = await storedBatches(topic, 0);
      const codecs = headers(stored).map((h) => h.attributes & rb.ATTR_COMPRESSION_MASK);
      expect(codecs.length).toBeGreaterThan(0);
      expect(new Set(codecs)).toEqual(new Set([id]));
      expect(decodeBatches(stored, inflate).map((r) => r.value)).toEqual(values);
      const consumed = await kcatConsumeAll(broker.brokers, topic);
      expect(consumed.map((c) => c.value)).toEqual(values);
      const described = await withAdmin(kafka, (admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ["compression.type"] }] }));
      expect(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])).toEqual([["compression.type", codec]]);
    });
  }

  test("compression.gzip.level and compression.zstd.level set how hard the broker compresses", async () => {
    const values = Array.from({ length: 400 }, (_, i) => `level-${(i * 7919) % 1013}-${"abcdefgh".slice(i % 8)}-${(i * 31) % 97}`);
    const storedBytes = async (topic: string, configs: Record<string, string>) => {
      await createTopic(topic, 1, configs);
      await kcat(["-b", broker.brokers[0]!, "-P", "-t", topic, "-z", "none", "-X", "acks=all", "-X", "linger.ms=50"], { stdin: values.map((v) => `${v}\n`).join("") });
      const stored = await storedBatches(topic, 0);
      expect(decodeBatches(stored, inflate).map((r) => r.value)).toEqual(values);
      return stored.length;
    };
    expect(await storedBytes("gzip-9", { "compression.type": "gzip", "compression.gzip.level": "9" })).toBeLessThan(
      await storedBytes("gzip-1", { "compression.type": "gzip", "compression.gzip.level": "1" }),
    );
    expect(await storedBytes("zstd-19", { "compression.type": "zstd", "compression.zstd.level": "19" })).toBeLessThan(
      await storedBytes("zstd-fast", { "compression.type": "zstd", "compression.zstd.level": "-5" }),
    );
  });

  test("compression.type=uncompressed: zstd batches from kcat are stored uncompressed", async () => {
    const topic = "decompressed";
    await createTopic(topic, 1, { "compression.type": "uncompressed" });
    const values = Array.from({ length: 50 }, (_, i) => `value-${i}-${"z".repeat(100)}`);
    await kcat(["-b", broker.brokers[0]!, "-P", "-t", topic, "-z", "zstd", "-X", "acks=all"], { stdin: values.map((v) => `${v}\n`).join("") });
    const stored = await storedBatches(topic, 0);
    expect(new Set(headers(stored).map((h) => h.attributes & rb.ATTR_COMPRESSION_MASK))).toEqual(new Set([0]));
    expect(decodeBatches(stored).map((r) => r.value)).toEqual(values);
  });
});

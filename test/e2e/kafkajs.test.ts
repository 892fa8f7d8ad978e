/**
 * kafkajs 2.2.4 against the compiled broker (--smp 2): admin, keyed production with
 * acks=-1, everything consumed back (by kcat, a librdkafka consumer without groups),
 * a clean restart on the same data dir, CreateTopics and ListOffsets errors and
 * answers, Metadata for unknown topics with and without auto-creation.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import type { Kafka, Message } from "kafkajs";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { kafkaClient, createTopic, withAdmin, withProducer } from "../helpers/kafka.ts";
import { byPartition, kcatConsumeAll } from "../helpers/kcat.ts";
import { expectExactly, type Produced } from "../helpers/verify.ts";
import { listOffset, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const MESSAGES = 10_000;
const SEND_BATCH = 500;
const PARTITIONS = 6;
const KEYS = 240;

function message(i: number): { kafkajs: Message; expected: Produced } {
  const key = `key-${i % KEYS}`;
  const value = `value-${i}-${"x".repeat(i % 50)}`;
  return {
    kafkajs: { key, value, headers: { seq: String(i), origin: "kafkajs" } },
    expected: { key, value, headers: `seq=${i},origin=kafkajs` },
  };
}

describe("kafkajs producer and admin, kcat consumer (--smp 2)", () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
    kafka = kafkaClient(broker);
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("10,000 keyed messages over 6 partitions survive, in order, a clean restart; production continues at the right offsets", async () => {
    const topic = "orders";
    await createTopic(kafka, topic, PARTITIONS);
    const metadata = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const produced: Produced[] = [];
    const sends: Array<{ messages: Produced[]; results: Array<{ partition: number; baseOffset: number }> }> = [];
    await withProducer(kafka, async (producer) => {
      for (let start = 0; start < MESSAGES; start += SEND_BATCH) {
        const batch = Array.from({ length: Math.min(SEND_BATCH, MESSAGES - start) }, (_, j) => message(start + j));
        const results = await producer.send({ topic, acks: -1, messages: batch.map((m) => m.kafkajs) });
        expect(results.length).toBeGreaterThan(1); // one request spanning several partitions
        for (const result of results) expect(result.errorCode).toBe(0);
        sends.push({ messages: batch.map((m) => m.expected), results: results.map((r) => ({ partition: r.partition, baseOffset: Number(r.baseOffset) })) });
        produced.push(...batch.map((m) => m.expected));
      }
    });

    const before = await kcatConsumeAll(broker.brokers, topic);
    const groups = expectExactly(before, produced);
    expect(groups.size).toBe(PARTITIONS); // keys spread over every partition
    // Each acknowledged base offset is where that send's first message for the partition landed.
    for (const send of sends) {
      for (const { partition, baseOffset } of send.results) {
        const lines = groups.get(partition)!;
        const keysHere = new Set(lines.map((l) => l.key));
        const first = send.messages.find((m) => keysHere.has(m.key))!;
        expect(lines[baseOffset]?.value).toBe(first.value);
      }
    }

    expect(await broker.stop("SIGTERM")).toBe(0);
    await broker.restart();
    const restarted = kafkaClient(broker);

    // Every partition the same, record for record. How kcat interleaves partitions is not the
    // broker's to keep: it follows which partitions' start offsets librdkafka resolved first.
    const after = await kcatConsumeAll(broker.brokers, topic);
    expect(byPartition(after)).toEqual(byPartition(before));

    // Production continues after the restart at each partition's end offset.
    await withProducer(restarted, async (producer) => {
      const results = await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, key: `after-${partition}`, value: "after-restart" })),
      });
      expect(results).toHaveLength(PARTITIONS);
      for (const result of results) {
        expect(result.errorCode).toBe(0);
        expect(Number(result.baseOffset)).toBe(groups.get(result.partition)!.length);
      }
    });
    const offsets = await withAdmin(restarted, (admin) => admin.fetchTopicOffsets(topic));
    for (const o of offsets) {
      expect(Number(o.low)).toBe(0);
      expect(Number(o.high)).toBe(groups.get(o.partition)!.length + 1);
    }
  });

  test("CreateTopics answers per topic: bad name, already exists, zero partitions; a good topic in the same request is created", async () => {
    await createTopic(kafka, "taken", 1);
    const error = await withAdmin(kafka, (admin) =>
      admin.createTopics({
        topics: [
          { topic: "bad/name", numPartitions: 1 },
          { topic: "taken", numPartitions: 1 },
          { topic: "no-partitions", numPartitions: 0 },
          { topic: "fine-one", numPartitions: 3 },
        ],
        waitForLeaders: false,
      }),
    ).then(
      () => null,
      (e: any) => e,
    );
    expect(error).not.toBeNull();
    expect(error.name).toBe("KafkaJSAggregateError");
    const byTopic = Object.fromEntries((error.errors as any[]).map((e) => [e.topic, e.type]));
    expect(byTopic).toEqual({
      "bad/name": "INVALID_TOPIC_EXCEPTION",
      taken: "TOPIC_ALREADY_EXISTS",
      "no-partitions": "INVALID_PARTITIONS",
    });
    const metadata = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: ["fine-one"] }));
    expect(metadata.topics[0].partitions).toHaveLength(3);
    // Only an existing topic: kafkajs reports "not created" (false) rather than an error.
    expect(await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic: "taken" }] }))).toBe(false);
  });

  test("ListOffsets: earliest, latest and by timestamp (record-level, inside a batch)", async () => {
    const topic = "timed";
    await createTopic(kafka, topic, 2);
    const t0 = Date.now() - 600_000;
    await withProducer(kafka, async (producer) => {
      for (const range of [[0, 5], [5, 10]]) {
        const messages = [];
        for (let i = range[0]; i < range[1]; i++) messages.push({ partition: 0, value: `m${i}`, timestamp: String(t0 + i * 10) });
        await producer.send({ topic, acks: -1, messages });
      }
    });
    await withAdmin(kafka, async (admin) => {
      const offsets = await admin.fetchTopicOffsets(topic);
      const sorted = offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((a, b) => a.partition - b.partition);
      expect(sorted).toEqual([
        { partition: 0, low: "0", high: "10" },
        { partition: 1, low: "0", high: "0" },
      ]);
      const at = async (ts: number) =>
        Object.fromEntries((await admin.fetchTopicOffsetsByTimestamp(topic, ts)).map((o) => [o.partition, Number(o.offset)]));
      expect(await at(t0 - 1000)).toEqual({ 0: 0, 1: 0 });
      expect(await at(t0 + 70)).toEqual({ 0: 7, 1: 0 }); // inside the second batch
      expect(await at(t0 + 65)).toEqual({ 0: 7, 1: 0 }); // first record at or after it
      expect(await at(t0 + 30)).toEqual({ 0: 3, 1: 0 });
      expect(await at(t0 + 10_000)).toEqual({ 0: 10, 1: 0 }); // kafkajs maps "none" (-1) to the end
    });
    // The wire answer for a timestamp after every record is offset -1.
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      expect(await listOffset(wire, topic, 0, t0 + 10_000)).toEqual({ errorCode: 0, offset: -1 });
      expect(await listOffset(wire, topic, 0, -2)).toEqual({ errorCode: 0, offset: 0 });
      expect(await listOffset(wire, topic, 0, -1)).toEqual({ errorCode: 0, offset: 10 });
      expect((await listOffset(wire, topic, 7, -1)).errorCode).toBe(3); // UNKNOWN_TOPIC_OR_PARTITION
    } finally {
      wire.close();
    }
  });

  test("Metadata for an unknown topic is an error when auto-creation is off, and nothing is created", async () => {
    const error = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: ["never-created"] })).then(
      () => null,
      (e: any) => e,
    );
    expect(error).not.toBeNull();
    expect(JSON.stringify({ type: error.type, cause: error.originalError?.type, message: error.message })).toMatch(
      /UNKNOWN_TOPIC_OR_PARTITION|does not host this topic/,
    );
    const producerError = await withProducer(kafka, (producer) =>
      producer.send({ topic: "never-created", acks: -1, messages: [{ value: "x" }] }),
    ).then(
      () => null,
      (e: any) => e,
    );
    expect(producerError).not.toBeNull();
    const topics = await withAdmin(kafka, (admin) => admin.listTopics());
    expect(topics).not.toContain("never-created");
  });
});

test("with auto_create_topics_enabled=true, producing to a new topic creates it and the data is readable", async () => {
  await using broker = await startBroker({ smp: 2, sets: { auto_create_topics_enabled: true } });
  const kafka = kafkaClient(broker);
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    const results = await producer.send({ topic: "born-on-produce", acks: -1, messages: [{ key: "k", value: "hello" }, { key: "k", value: "again" }] });
    expect(results.every((r) => r.errorCode === 0)).toBe(true);
  } finally {
    await producer.disconnect();
  }
  const topics = await withAdmin(kafka, (admin) => admin.listTopics());
  expect(topics).toContain("born-on-produce");
  const lines = await kcatConsumeAll(broker.brokers, "born-on-produce");
  expect(lines.map((l) => `${l.key}:${l.value}`)).toEqual(["k:hello", "k:again"]);
});

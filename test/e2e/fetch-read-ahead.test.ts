/**
 * Read-ahead end to end: after a restart nothing is in the recent-batch cache, so a consumer
 * from the beginning reads every batch from the disk. kafkajs, fetching 64 KiB per partition at
 * a time, must receive every record produced, in order, each value intact, on both shards (the
 * partition's owner and the other one, which the response crosses), and /metrics must show the
 * reads held ahead being used (else this would not test them). Then a partition of many
 * read-ahead chunks read by three raw clients at once after a restart: the chunks' buffers are
 * reused once every answer cut from them was written, and every reader must still get every
 * record intact (a buffer reused too early would show as another record's bytes).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { fetchOnce, WireClient } from "../helpers/wire.ts";
import { decodeBatches } from "../helpers/records.ts";

setDefaultTimeout(60_000);

const TOPIC = "read-ahead";
const PARTITIONS = 2;
const BATCHES = 20;
const RECORDS_PER_BATCH = 50;
const VALUE_BYTES = 400;

const valueOf = (partition: number, i: number) => `${partition}:${i}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + (i % 26)));

async function metric(broker: Broker, name: string): Promise<number> {
  const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith(`${name}{`)).reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

describe("read-ahead (--smp 2)", () => {
  let broker: Broker;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("a consumer from the beginning after a restart gets every record, in order, intact", async () => {
    await createTopic(kafkaClient(broker), TOPIC, PARTITIONS);
    await withProducer(kafkaClient(broker), async (producer) => {
      for (let b = 0; b < BATCHES; b++) {
        await producer.send({
          topic: TOPIC, acks: -1,
          messages: Array.from({ length: PARTITIONS * RECORDS_PER_BATCH }, (_, k) => {
            const partition = k % PARTITIONS;
            return { partition, value: valueOf(partition, b * RECORDS_PER_BATCH + Math.floor(k / PARTITIONS)) };
          }),
        });
      }
    });
    await broker.restart();
    const total = PARTITIONS * BATCHES * RECORDS_PER_BATCH;
    const got: string[][] = Array.from({ length: PARTITIONS }, () => []);
    const consumer = kafkaClient(broker).consumer({ groupId: "read-ahead", maxBytesPerPartition: 64 * 1024, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      let count = 0;
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            got[partition]!.push(message.value!.toString());
            if (++count === total) resolve();
          },
        });
      });
      await done;
    } finally {
      await consumer.disconnect();
    }
    for (let p = 0; p < PARTITIONS; p++) {
      expect(got[p]!.length).toBe(BATCHES * RECORDS_PER_BATCH);
      got[p]!.forEach((value, i) => expect(value).toBe(valueOf(p, i)));
    }
    expect(await metric(broker, "skua_storage_read_ahead_used_total")).toBeGreaterThanOrEqual(PARTITIONS * 3); // ~6 fetches of 64 KiB per partition, all but the first read ahead
  });

  test("three readers at once over many read-ahead chunks each get every record intact", async () => {
    const topic = "read-ahead-chunks";
    const batches = 120;
    const perBatch = 50;
    const bytes = 4000; // 120 × 50 × 4 KB: 24 MB, six 4 MiB chunks
    const value = (i: number) => `${i}:`.padEnd(bytes, String.fromCharCode(97 + (i % 26)));
    await createTopic(kafkaClient(broker), topic, 1);
    await withProducer(kafkaClient(broker), async (producer) => {
      for (let b = 0; b < batches; b++) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: perBatch }, (_, k) => ({ partition: 0, value: value(b * perBatch + k) })) });
      }
    });
    await broker.restart();
    const total = batches * perBatch;
    const readers = await Promise.all([0, 1, 2].map(() => WireClient.connect(broker.kafkaPort)));
    const readAll = async (client: WireClient, maxBytes: number) => {
      const bad: number[] = [];
      let next = 0;
      while (next < total) {
        const response = await fetchOnce(client, topic, [{ partition: 0, offset: next }], 0, maxBytes);
        const records = decodeBatches(response.responses[0]!.partitions[0]!.records).filter((r) => r.offset >= next);
        for (const r of records) if (r.offset !== next || r.value !== value(next) || (next++, false)) bad.push(r.offset);
        if (bad.length > 0) break;
      }
      return { next, bad };
    };
    const results = await Promise.all(readers.map((client, i) => readAll(client, [256 * 1024, 1024 * 1024, 700 * 1024][i]!)));
    for (const client of readers) client.close();
    expect(results).toEqual([0, 1, 2].map(() => ({ next: total, bad: [] })));
  });
});

/**
 * Read-ahead end to end: after a restart nothing is in the recent-batch cache, so a consumer
 * from the beginning reads every batch from the disk. kafkajs, fetching 64 KiB per partition at
 * a time, must receive every record produced, in order, each value intact, on both shards (the
 * partition's owner and the other one, which the response crosses), and /metrics must show the
 * reads held ahead being used (else this would not test them).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";

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
    broker = await startBroker({ smp: 2 });
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
});

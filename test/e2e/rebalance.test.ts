/** Core rebalancing: a changed --smp evens out partitions at start, and rebalance_cores does it live. */
import { expect, setDefaultTimeout, test } from "bun:test";
import { shards, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { fetchAll, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const countsOf = async (broker: Broker) => (await shards(broker)).map((s) => s.partition_count);

async function produceNumbered(broker: Broker, topic: string, partitions: number, from: number, count: number): Promise<void> {
  await withProducer(kafkaClient(broker), (producer) =>
    producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `v${from + i}`, partition: (from + i) % partitions })) }),
  );
}

async function valuesOf(broker: Broker, topic: string, partitions: number): Promise<string[]> {
  const client = await WireClient.connect(broker.kafkaPort);
  try {
    const all = await fetchAll(client, topic, Array.from({ length: partitions }, (_, p) => p));
    return [...all.values()].flat().map((r) => r.value!).sort();
  } finally {
    client.close();
  }
}

test("restarting with more shards, then fewer, evens partition counts and keeps every record", async () => {
  await using broker = await startBroker({ smp: 1 });
  await createTopic(kafkaClient(broker), "grow", 8);
  await produceNumbered(broker, "grow", 8, 0, 400);
  expect(await countsOf(broker)).toEqual([8]);

  await broker.restart({ smp: 4 });
  expect(await countsOf(broker)).toEqual([2, 2, 2, 2]);
  await produceNumbered(broker, "grow", 8, 400, 400);

  await broker.restart({ smp: 3 });
  const counts = await countsOf(broker);
  expect(counts.reduce((a, b) => a + b)).toBe(8);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  const expected = Array.from({ length: 800 }, (_, i) => `v${i}`).sort();
  expect(await valuesOf(broker, "grow", 8)).toEqual(expected);
});

test("POST /v1/partitions/rebalance_cores evens out shards at run time", async () => {
  await using broker = await startBroker({ smp: 2 });
  await createTopic(kafkaClient(broker), "lopsided", 6);
  for (const partition of [1, 3, 5]) {
    const moved = await fetch(`${broker.adminUrl}/v1/partitions/kafka/lopsided/${partition}/shard`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ shard: 0 }) });
    expect(moved.status).toBe(200);
  }
  expect(await countsOf(broker)).toEqual([6, 0]);
  await produceNumbered(broker, "lopsided", 6, 0, 120);
  const response = await fetch(`${broker.adminUrl}/v1/partitions/rebalance_cores`, { method: "POST", headers: { "content-type": "application/json" } });
  expect(((await response.json()) as { moves: unknown[] }).moves).toHaveLength(3);
  expect(await countsOf(broker)).toEqual([3, 3]);
  expect(await valuesOf(broker, "lopsided", 6)).toEqual(Array.from({ length: 120 }, (_, i) => `v${i}`).sort());
});

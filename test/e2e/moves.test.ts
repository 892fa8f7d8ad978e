/**
 * Live partition moves between shards while a kafkajs producer (acks=-1) and a consumer keep
 * working: every acknowledged record is read exactly once, in order, at its acknowledged offset.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { decodeBatches, type FetchedRecord } from "../helpers/records.ts";
import { adminGet, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { fetchOnce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(90_000);

const TOPIC = "moving";
const PARTITIONS = 4;
const MOVES = 20;

async function moveTo(broker: Broker, partition: number, shard: number): Promise<void> {
  const response = await fetch(`${broker.adminUrl}/v1/partitions/kafka/${TOPIC}/${partition}/shard`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ shard }),
  });
  expect(response.status).toBe(200);
}

async function ownerOf(broker: Broker, partition: number): Promise<number> {
  const { status, text } = await adminGet(broker, `/v1/partitions/kafka/${TOPIC}/${partition}`);
  return status === 200 ? JSON.parse(text).shard : -1;
}

/** Reads every partition from offset 0, retrying partitions whose owner is moving. */
async function consumeUntil(client: WireClient, done: () => boolean, consumed: Map<number, FetchedRecord[]>, errors: number[]): Promise<void> {
  const next = new Map([...consumed.keys()].map((p) => [p, 0]));
  const deadline = Date.now() + 60_000;
  for (let finished = false, caughtUp = false; !(finished && caughtUp); ) {
    if (Date.now() > deadline) throw new Error("consumer did not catch up");
    // Read `done` before the fetch: a fetch sent before the last produce was answered may not see it.
    finished = done();
    const response = await fetchOnce(client, TOPIC, [...next].map(([partition, offset]) => ({ partition, offset })), 50);
    caughtUp = true;
    for (const p of response.responses[0].partitions) {
      if (p.errorCode !== ErrorCode.NONE) {
        errors.push(p.errorCode);
        caughtUp = false;
        continue;
      }
      const records = decodeBatches(p.records).filter((r) => r.offset >= next.get(p.partitionIndex)!);
      consumed.get(p.partitionIndex)!.push(...records);
      if (records.length > 0) next.set(p.partitionIndex, records.at(-1)!.offset + 1);
      if (next.get(p.partitionIndex)! < p.highWatermark) caughtUp = false;
    }
  }
}

test(`${MOVES} live moves during acks=-1 production and consumption lose and repeat nothing`, async () => {
  await using broker = await startBroker({ smp: 2 });
  const kafka = kafkaClient(broker, { retry: { retries: 20, initialRetryTime: 20, maxRetryTime: 200 } });
  await createTopic(kafka, TOPIC, PARTITIONS);
  const acknowledged = new Map<number, Array<{ offset: number; value: string }>>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
  const consumed = new Map<number, FetchedRecord[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
  const consumerErrors: number[] = [];
  let producing = true;
  let produced = false; // the producer's last send has been answered

  const client = await WireClient.connect(broker.kafkaPort);
  const consumer = consumeUntil(client, () => produced, consumed, consumerErrors);
  const producer = withProducer(kafka, async (p) => {
    for (let n = 0; producing; n++) {
      const partition = n % PARTITIONS;
      const values = Array.from({ length: 5 }, (_, i) => `m-${n}-${i}`);
      const [meta] = await p.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition })) });
      expect(meta.errorCode).toBe(0);
      values.forEach((value, i) => acknowledged.get(partition)!.push({ offset: Number(meta.baseOffset) + i, value }));
    }
  });

  for (let i = 0; i < MOVES; i++) {
    const partition = i % PARTITIONS;
    const from = await ownerOf(broker, partition);
    await moveTo(broker, partition, 1 - from);
    expect(await ownerOf(broker, partition)).toBe(1 - from);
    await Bun.sleep(20); // let traffic flow between moves
  }
  producing = false;
  await producer;
  produced = true;
  await consumer;
  client.close();

  for (const [partition, acked] of acknowledged) {
    const got = consumed.get(partition)!.map((r) => ({ offset: r.offset, value: r.value }));
    expect(got).toEqual(acked);
    expect(new Set(got.map((r) => r.value)).size).toBe(got.length);
  }
  expect([...acknowledged.values()].reduce((n, a) => n + a.length, 0)).toBeGreaterThan(MOVES * 5);
  expect(consumerErrors.every((code) => code === ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
});

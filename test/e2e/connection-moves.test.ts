/**
 * A connection that produces only to another shard's partition moves to that shard (--smp 2):
 * pipelined produce requests sent across the move are all answered, in order, each record
 * stored once; the broker counts the move on both shards and the connection once; closing it
 * afterwards gives its slot back. A consumer without a fetch session moves the same way; one
 * with a session (KIP-227) stays where it is.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { FetchResponse, ProduceResponse } from "../../src/protocol/messages/index.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { decodeBatches } from "../helpers/records.ts";
import { ApiKey, fetchAll, fetchOnce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(90_000);

const TOPIC = "one-partition";
const REQUESTS = 300;

/** Sums of /metrics lines, by shard, whose name and labels start with `prefix`. */
async function byShard(broker: Broker, prefix: string): Promise<number[]> {
  const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  const out = [0, 0];
  for (const line of text.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const shard = Number(/shard="(\d+)"/.exec(line)![1]);
    out[shard]! += Number(line.split(" ").pop());
  }
  return out;
}

const connections = (broker: Broker) => byShard(broker, "skua_kafka_connections{");

/** A connection the kernel gave to `shard` (others opened on the way are closed). */
async function connectionOn(broker: Broker, shard: number): Promise<WireClient> {
  for (let i = 0; i < 40; i++) {
    const before = await connections(broker);
    const client = await WireClient.connect(broker.kafkaPort);
    let after = before;
    for (let wait = 0; wait < 50 && after[0]! + after[1]! === before[0]! + before[1]!; wait++) {
      await Bun.sleep(10);
      after = await connections(broker);
    }
    if (after[shard]! > before[shard]!) return client;
    client.close();
    await Bun.sleep(20);
  }
  throw new Error(`no connection landed on shard ${shard} in 40 tries`);
}

function produceRequest(client: WireClient, value: string) {
  const records = buildBatch({ baseTimestamp: Date.now(), records: [{ value: new TextEncoder().encode(value) }] });
  return client.send<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null, acks: -1, timeoutMs: 10_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  });
}

/** `count` produce requests, `inFlight` pipelined at a time; the base offsets in the order answered. */
async function producePipelined(client: WireClient, tag: string, count: number, inFlight: number): Promise<number[]> {
  const offsets: number[] = [];
  const sent: Array<Promise<ProduceResponse>> = [];
  for (let i = 0; i < count; i++) {
    sent.push(produceRequest(client, `${tag}-${i}`).response);
    if (sent.length >= inFlight) offsets.push(baseOffset(await sent.shift()!));
  }
  for (const r of sent) offsets.push(baseOffset(await r));
  return offsets;
}

function baseOffset(response: ProduceResponse): number {
  const p = response.responses[0]!.partitionResponses[0]!;
  expect(p.errorCode).toBe(0);
  return Number(p.baseOffset);
}

describe("connections move to the shard of the partition they produce to (--smp 2)", () => {
  let broker: Broker;
  let owner = -1;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
    await createTopic(kafkaClient(broker), TOPIC, 1);
    const partitions = await byShard(broker, "skua_shard_partitions{");
    owner = partitions.indexOf(1);
    expect(owner).toBeGreaterThanOrEqual(0);
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  // All at once: the move finds whole frames waiting and one arriving (the bytes it must carry over).
  test("produce requests pipelined across the move are answered in order and stored once each", async () => {
    const other = 1 - owner;
    const client = await connectionOn(broker, other);
    const movedBefore = await byShard(broker, "skua_kafka_connections_moved_total");
    const offsets = await producePipelined(client, "moved", REQUESTS, REQUESTS);
    // One record per request, answered in request order: offsets 0, 1, 2, … with no gap or repeat.
    expect(offsets).toEqual(Array.from({ length: REQUESTS }, (_, i) => i));
    expect(client.receivedCorrelationIds).toEqual([...client.receivedCorrelationIds].sort((a, b) => a - b));
    expect(await byShard(broker, `skua_kafka_connections_moved_total{shard="${other}",direction="away"}`)).toEqual(
      other === 0 ? [movedBefore[0]! + 1, 0] : [0, movedBefore[1]! + 1],
    );
    expect((await byShard(broker, `skua_kafka_connections_moved_total{shard="${owner}",direction="to"}`))[owner]).toBe(1);
    const now = await connections(broker);
    expect(now[owner]).toBe(1); // counted once, where it lives now
    expect(now[other]).toBe(0);

    // After the move it serves everything else too, and the records read back whole.
    const reader = await WireClient.connect(broker.kafkaPort);
    const records = (await fetchAll(reader, TOPIC, [0])).get(0)!;
    expect(records.map((r) => r.value)).toEqual(Array.from({ length: REQUESTS }, (_, i) => `moved-${i}`));
    reader.close();

    client.close();
    await client.closed;
    for (let wait = 0; wait < 100 && (await connections(broker)).some((n) => n > 0); wait++) await Bun.sleep(20);
    expect(await connections(broker)).toEqual([0, 0]);
  });

  test("a consumer without a fetch session moves, and reads on where it was", async () => {
    const other = 1 - owner;
    const client = await connectionOn(broker, other);
    const before = await byShard(broker, "skua_kafka_connections_moved_total");
    for (let offset = 0; offset < 40; offset++) {
      const response = await fetchOnce(client, TOPIC, [{ partition: 0, offset }], 0, 100);
      const records = decodeBatches(response.responses[0]!.partitions[0]!.records).filter((r) => r.offset >= offset);
      expect(records[0]!.value).toBe(`moved-${offset}`);
    }
    const after = await byShard(broker, "skua_kafka_connections_moved_total");
    expect(after[0]! + after[1]!).toBe(before[0]! + before[1]! + 2); // away from one shard, to the other
    expect((await connections(broker))[owner]).toBe(1);
    client.close();
    await client.closed;
  });

  test("a connection with a fetch session stays on its shard", async () => {
    const other = 1 - owner;
    const client = await connectionOn(broker, other);
    const before = await byShard(broker, "skua_kafka_connections_moved_total");
    const session = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, rackId: "", sessionId: 0, sessionEpoch: 0,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
      forgottenTopicsData: [],
    });
    expect(session.errorCode).toBe(0);
    expect(session.sessionId).not.toBe(0);
    const offsets = await producePipelined(client, "stays", 50, 5);
    expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => offsets[0]! + i));
    expect(await byShard(broker, "skua_kafka_connections_moved_total")).toEqual(before);
    expect((await connections(broker))[other]).toBe(1);
    client.close();
  });
});

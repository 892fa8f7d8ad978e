/**
 * Thread-per-core routing (--smp 2): shards pinned to cores, a topic's partitions
 * split over both shards, one Produce and one Fetch spanning partitions of both
 * shards served through cross-shard messages, and responses on a connection in
 * request order even when the requests take different times.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { availableParallelism } from "node:os";
import { pollUntil, shards, startBroker, type Broker, type ShardInfo } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";
import { decodeBatches } from "../helpers/records.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { ApiKey, fetchOnce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const PARTITIONS = 6;
const sum = (list: ShardInfo[], pick: (s: ShardInfo) => number) => list.reduce((total, s) => total + pick(s), 0);

/** Partition → owning shard for `topic`, once every partition has an owner. */
async function ownersOf(broker: Broker, topic: string, partitions: number): Promise<Map<number, number>> {
  return pollUntil(`every partition of ${topic} owned by a shard`, async () => {
    const owners = new Map<number, number>();
    for (const shard of await shards(broker)) {
      for (const p of shard.partitions) {
        if (p.topic !== topic) continue;
        if (owners.has(p.partition)) throw new Error(`${topic}/${p.partition} owned by shards ${owners.get(p.partition)} and ${shard.shard_id}`);
        owners.set(p.partition, shard.shard_id);
      }
    }
    return owners.size === partitions ? owners : undefined;
  });
}

describe("routing between 2 shards", () => {
  let broker: Broker;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("each shard is pinned to its own core", async () => {
    const list = await shards(broker);
    expect(list.map((s) => s.shard_id).sort()).toEqual([0, 1]);
    expect(new Set(list.map((s) => s.core_requested)).size).toBe(2);
    if (availableParallelism() >= 2) {
      for (const shard of list) {
        expect(shard.pinned).toBe(true);
        expect(shard.core_actual).toBe(shard.core_requested);
      }
    }
  });

  test("a 6-partition topic is split over both shards; one Produce and one Fetch spanning both shards work and cross shards", async () => {
    const topic = "spread";
    const kafka = kafkaClient(broker);
    await createTopic(kafka, topic, PARTITIONS);
    const owners = await ownersOf(broker, topic, PARTITIONS);
    const perShard = [0, 1].map((shard) => [...owners].filter(([, s]) => s === shard).length);
    expect(perShard[0]).toBeGreaterThan(0);
    expect(perShard[1]).toBeGreaterThan(0);
    expect(Math.abs(perShard[0] - perShard[1])).toBeLessThanOrEqual(1); // least-loaded placement
    for (const shard of await shards(broker)) expect(shard.partition_count).toBe(shard.partitions.length);

    // One kafkajs sendBatch → one Produce request to the only broker, with every partition in it.
    await withProducer(kafka, async (producer) => {
      const sentBefore = sum(await shards(broker), (s) => s.cross_shard_sent);
      const results = await producer.sendBatch({
        acks: -1,
        topicMessages: [
          {
            topic,
            messages: Array.from({ length: PARTITIONS * 3 }, (_, i) => ({ partition: i % PARTITIONS, key: `p${i % PARTITIONS}`, value: `one-request-${i}` })),
          },
        ],
      });
      expect(results.map((r) => [r.partition, r.errorCode, Number(r.baseOffset)]).sort()).toEqual(
        Array.from({ length: PARTITIONS }, (_, p) => [p, 0, 0]),
      );
      await pollUntil("cross_shard_sent to grow after a produce spanning shards", async () => {
        const list = await shards(broker);
        return sum(list, (s) => s.cross_shard_sent) > sentBefore && sum(list, (s) => s.cross_shard_received) > 0 ? true : undefined;
      });
    });

    // One Fetch with all 6 partitions, on a raw connection.
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const sentBefore = sum(await shards(broker), (s) => s.cross_shard_sent);
      const response = await fetchOnce(wire, topic, Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, offset: 0 })));
      expect(response.errorCode).toBe(0);
      const partitions = response.responses.flatMap((t) => t.partitions);
      expect(partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      for (const p of partitions) {
        expect(p.errorCode).toBe(0);
        expect(p.highWatermark).toBe(3);
        const records = decodeBatches(p.records);
        expect(records.map((r) => [r.offset, r.key, r.value])).toEqual(
          [0, 1, 2].map((n) => [n, `p${p.partitionIndex}`, `one-request-${p.partitionIndex + n * PARTITIONS}`]),
        );
      }
      await pollUntil("cross_shard_sent to grow after a fetch spanning shards", async () =>
        sum(await shards(broker), (s) => s.cross_shard_sent) > sentBefore ? true : undefined,
      );
    } finally {
      wire.close();
    }

    // And librdkafka reads the same.
    const lines = await kcatConsumeAll(broker.brokers, topic);
    expect(lines).toHaveLength(PARTITIONS * 3);
  });

  test("pipelined requests on one connection are answered in request order", async () => {
    const topic = "ordered";
    await createTopic(kafkaClient(broker), topic, 4);
    await ownersOf(broker, topic, 4);
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const sent: number[] = [];
      const responses: Array<Promise<unknown>> = [];
      const push = (r: { correlationId: number; response: Promise<unknown> }) => {
        sent.push(r.correlationId);
        responses.push(r.response);
      };
      for (let round = 0; round < 10; round++) {
        // A slow request (acks=-1 produce spanning both shards) followed by quick ones.
        push(
          wire.send(ApiKey.Produce, 9, {
            transactionalId: null,
            acks: -1,
            timeoutMs: 10_000,
            topicData: [
              {
                name: topic,
                partitionData: [0, 1, 2, 3].map((index) => ({
                  index,
                  records: buildBatch({ baseTimestamp: Date.now(), records: [{ key: `r${round}`, value: "x".repeat(2000) }] }),
                })),
              },
            ],
          }),
        );
        push(wire.send(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false }));
        push(wire.send(ApiKey.ApiVersions, 3, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" }));
        push(
          wire.send(ApiKey.ListOffsets, 7, {
            replicaId: -1,
            isolationLevel: 0,
            topics: [{ name: topic, partitions: [{ partitionIndex: round % 4, timestamp: -1 }] }],
          }),
        );
        push(wire.send(ApiKey.ApiVersions, 0, {}));
      }
      const bodies = (await Promise.all(responses)) as any[];
      expect(wire.receivedCorrelationIds).toEqual(sent);
      for (let round = 0; round < 10; round++) {
        const produce = bodies[round * 5];
        expect(produce.responses[0].partitionResponses.map((p: any) => [p.index, p.errorCode, p.baseOffset]).sort()).toEqual(
          [0, 1, 2, 3].map((p) => [p, 0, round]),
        );
        expect(bodies[round * 5 + 2].errorCode).toBe(0);
        expect(bodies[round * 5 + 4].errorCode).toBe(0);
      }
    } finally {
      wire.close();
    }
  });
});

/**
 * Fetch never answers null records: a partition with an error (out of range, unknown) or cut by
 * max_bytes carries zero-length records, as Kafka sends them. librdkafka drops a whole response
 * with a null there (`invalid MessageSetSize -1`) and so never applies auto.offset.reset; with
 * empty records it resets and consumes.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import type { FetchResponse } from "../../src/protocol/messages/index.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withAdmin, withProducer } from "../helpers/kafka.ts";
import { kcat, spawnKcat } from "../helpers/kcat.ts";
import { ApiKey, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const FETCH_VERSIONS = [4, 5, 6, 7, 8, 9, 10, 11, 12];
const PRODUCE_TRIES_MAX = 100;
const PRODUCE_GAP_MS = 100;

describe("fetch errors carry empty records (--smp 2)", () => {
  let broker: Broker;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("kcat at an out-of-range offset with auto.offset.reset=latest receives the records produced afterwards", async () => {
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "reset-latest", 1);
    await withProducer(kafka, async (producer) => {
      await producer.send({ topic: "reset-latest", acks: -1, messages: Array.from({ length: 3 }, (_, i) => ({ value: `before-${i}` })) });
      await using consumer = spawnKcat([
        "-b", broker.brokers[0], "-C", "-t", "reset-latest", "-p", "0", "-o", "1000", "-q", "-u", "-f", "%o %s\n", "-X", "auto.offset.reset=latest",
      ]);
      // A record produced before the consumer reset is skipped (latest); keep producing until one arrives.
      let sent = 0;
      while (consumer.lines.filter(Boolean).length === 0) {
        if (sent >= PRODUCE_TRIES_MAX) throw new Error(`kcat received nothing after ${sent} produces (never reset its offset?)`);
        await producer.send({ topic: "reset-latest", acks: -1, messages: [{ value: `after-${sent++}` }] });
        await Bun.sleep(PRODUCE_GAP_MS); // the producer's pace, not a wait for an event
      }
      const [offset, value] = (await consumer.waitForLines(1))[0].split(" ");
      expect(Number(offset)).toBeGreaterThanOrEqual(3);
      expect(value).toStartWith("after-");
    });
  });

  test("kcat below the log start (after DeleteRecords) with auto.offset.reset=earliest receives the records from the new start", async () => {
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "reset-earliest", 1);
    await withProducer(kafka, (p) => p.send({ topic: "reset-earliest", acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) }));
    await withAdmin(kafka, async (admin) => {
      await admin.fetchTopicMetadata({ topics: ["reset-earliest"] });
      await admin.deleteTopicRecords({ topic: "reset-earliest", partitions: [{ partition: 0, offset: "5" }] });
    });
    const out = await kcat([
      "-b", broker.brokers[0], "-C", "-t", "reset-earliest", "-p", "0", "-o", "2", "-e", "-q", "-f", "%o %s\n", "-X", "auto.offset.reset=earliest",
    ]);
    expect(out.split("\n").filter(Boolean)).toEqual([5, 6, 7, 8, 9].map((o) => `${o} v${o}`));
  });

  test("no partition of a Fetch response (v4–12) has null records: errors and partitions cut by max_bytes carry zero bytes", async () => {
    await createTopic(kafkaClient(broker), "records", 3);
    const client = await WireClient.connect(broker.kafkaPort);
    const value = new Uint8Array(300).fill(1);
    for (const partition of [0, 1, 2]) {
      const answer = await produce(client, "records", [{ partition, records: buildBatch({ records: [{ value }] }) }]);
      expect(answer.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    }
    for (const version of FETCH_VERSIONS) {
      const response = await client.request<FetchResponse>(ApiKey.Fetch, version, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 400, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: "",
        topics: [
          { topic: "records", partitions: [0, 1, 2, 7].map((partition) => ({ partition, fetchOffset: partition === 2 ? 50 : 0, partitionMaxBytes: 1 << 20 })) },
          { topic: "no-such-topic", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] },
        ],
      });
      const partitions = response.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
      const at = (topic: string, partition: number) => partitions.find((p) => p.topic === topic && p.partitionIndex === partition)!;
      for (const p of partitions) expect(p.records, `v${version} ${p.topic}/${p.partitionIndex}`).toBeInstanceOf(Uint8Array);
      expect(at("records", 0).records?.length).toBeGreaterThan(0);
      expect([at("records", 1).errorCode, at("records", 1).records?.length]).toEqual([ErrorCode.NONE, 0]); // cut by max_bytes
      expect([at("records", 2).errorCode, at("records", 2).records?.length]).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, 0]);
      expect([at("records", 7).errorCode, at("records", 7).records?.length]).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0]);
      expect([at("no-such-topic", 0).errorCode, at("no-such-topic", 0).records?.length]).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0]);
    }
    client.close();
  });
});

/** Retention runs in the background on the owning shard and moves the log start offset. */
import { expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { pollUntil, startBroker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withAdmin, withProducer } from "../helpers/kafka.ts";
import { ApiKey, fetchOnce, listOffset, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

test("retention.bytes deletes whole closed segments; earliest moves and older fetches are out of range", async () => {
  await using broker = await startBroker({ smp: 2, sets: { log_compaction_interval_ms: 50 } });
  const client = await WireClient.connect(broker.kafkaPort);
  const created: any = await client.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: "short", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: "segment.bytes", value: "2048" }, { name: "retention.bytes", value: "4096" }] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
  const value = new Uint8Array(400).fill(7);
  for (let i = 0; i < 40; i++) {
    const response = await produce(client, "short", [{ partition: 0, records: buildBatch({ records: [{ value }] }) }]);
    expect(response.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
  }
  // Housekeeping may take more than one pass (a segment still being sealed waits for the next): poll until it settles.
  let previous = -1;
  const earliest = await pollUntil("retention to move the start offset and settle", async () => {
    const { offset } = await listOffset(client, "short", 0, -2);
    const settled = offset > 0 && offset === previous;
    previous = offset;
    return settled ? offset : undefined;
  }, 10_000, 200);
  expect((await listOffset(client, "short", 0, -1)).offset).toBe(40);
  expect(earliest).toBeLessThan(40);
  const below = await fetchOnce(client, "short", [{ partition: 0, offset: 0 }]);
  expect(below.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  expect(below.responses[0].partitions[0].logStartOffset).toBe(earliest);
  const from = await fetchOnce(client, "short", [{ partition: 0, offset: earliest }]);
  expect(from.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
  expect(from.responses[0].partitions[0].records?.length ?? 0).toBeGreaterThan(0);
  client.close();
});

test("DeleteRecords (kafkajs admin.deleteTopicRecords) moves earliest; older fetches are out of range; a restart keeps it", async () => {
  await using broker = await startBroker({ smp: 2 });
  const kafka = kafkaClient(broker);
  await createTopic(kafka, "trim", 2);
  await withProducer(kafka, (p) =>
    p.send({ topic: "trim", acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })) }),
  );
  await withAdmin(kafka, async (admin) => {
    await admin.fetchTopicMetadata({ topics: ["trim"] });
    await admin.deleteTopicRecords({ topic: "trim", partitions: [{ partition: 0, offset: "20" }, { partition: 1, offset: "-1" }] });
    const offsets = await admin.fetchTopicOffsets("trim");
    expect(offsets.map((o) => [o.partition, o.low, o.high])).toEqual([[0, "20", "50"], [1, "50", "50"]]);
    await expect(admin.deleteTopicRecords({ topic: "trim", partitions: [{ partition: 0, offset: "51" }] })).rejects.toThrow();
  });
  await broker.restart();
  const client = await WireClient.connect(broker.kafkaPort);
  expect((await listOffset(client, "trim", 0, -2)).offset).toBe(20);
  expect((await fetchOnce(client, "trim", [{ partition: 0, offset: 19 }])).responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  const from20 = await fetchOnce(client, "trim", [{ partition: 0, offset: 20 }]);
  expect(from20.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
  client.close();
});

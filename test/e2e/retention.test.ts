/** Retention runs in the background on the owning shard and moves the log start offset. */
import { expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { pollUntil, startBroker } from "../helpers/broker.ts";
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
  const earliest = await pollUntil("retention to move the start offset", async () => {
    const answer = await listOffset(client, "short", 0, -2);
    return answer.offset > 0 ? answer.offset : undefined;
  });
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

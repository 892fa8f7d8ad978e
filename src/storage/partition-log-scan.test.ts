/** PartitionLog.scanBatchHeaders (the producer-state rebuild) and reconfigure (live topic config changes). */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { buildBatch } from "./batch-builder.ts";
import { PartitionLog } from "./partition-log.ts";
import * as rb from "./record-batch.ts";
import { tempDir, testConfig } from "./test-helpers.ts";

const disk = new PosixDisk();
const clock = new ManualClock(1_000_000);

test("scanBatchHeaders visits every batch of every segment in order, including batches larger than a read chunk", async () => {
  using tmp = tempDir();
  const config = testConfig({ segmentBytes: 2 * 1024 * 1024, maxMessageBytes: 8 * 1024 * 1024 });
  const log = await PartitionLog.open({ disk, dir: tmp.dir, config, clock });
  const big = "b".repeat(limits.recoveryReadChunkBytes + 300_000);
  const values = ["a", big, "c", big, "d", "e"];
  for (const [i, value] of values.entries()) {
    const appended = log.append(buildBatch({ records: [{ value }], producerId: 9, producerEpoch: 0, baseSequence: i }), clock.nowMs());
    await appended.written;
  }
  expect(log.segmentCount).toBeGreaterThan(1);
  const seen: Array<[number, number]> = [];
  await log.scanBatchHeaders((bytes, at) => void seen.push([rb.baseOffset(bytes, at), rb.baseSequence(bytes, at)]));
  expect(seen).toEqual(values.map((_, i) => [i, i]));
  await log.close();
});

test("reconfigure changes limits of an open log: a smaller segment size rolls at the next append", async () => {
  using tmp = tempDir();
  const log = await PartitionLog.open({ disk, dir: tmp.dir, config: testConfig(), clock });
  await log.append(buildBatch({ records: [{ value: "x".repeat(2000) }] }), clock.nowMs()).written;
  log.reconfigure(testConfig({ segmentBytes: 1024, retentionMs: 5 }));
  expect(log.config).toMatchObject({ segmentBytes: 1024, retentionMs: 5 });
  await log.append(buildBatch({ records: [{ value: "y" }] }), clock.nowMs()).written;
  expect(log.segmentCount).toBe(2);
  await log.close();
});

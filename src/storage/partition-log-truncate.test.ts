/**
 * Raft's additions to the partition log: suffix truncation at a batch start (inside the active
 * segment, inside a sealed one, across segments) and reset to an empty log at an offset, each
 * durable across a crash, with appends continuing at the cut.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { PartitionLog } from "./partition-log.ts";
import * as rb from "./record-batch.ts";
import { batchOf, testConfig } from "./test-helpers.ts";

const dir = "/data/t/0";

async function openLog(disk: SimDisk) {
  return PartitionLog.open({ disk, dir, config: testConfig({ segmentBytes: 300 }), clock: new ManualClock(1000), indexIntervalBytes: 128 });
}

/** Base offsets of every written batch from the log start. */
async function bases(log: PartitionLog): Promise<number[]> {
  const out: number[] = [];
  await log.scanBatchHeaders((bytes, at) => void out.push(rb.baseOffset(bytes, at)), log.logStartOffset);
  return out;
}

async function fill(log: PartitionLog, batches: number, records = 2): Promise<void> {
  let last: Promise<void> = Promise.resolve();
  for (let i = 0; i < batches; i++) last = log.append(batchOf(i, records), 1000).written;
  await last;
  await log.flush();
}

for (const cut of [0, 2, 6, 10, 18, 20]) {
  test(`truncateSuffix at ${cut} survives a crash and appends continue there`, async () => {
    const disk = new SimDisk(cut + 1);
    let log = await openLog(disk);
    await fill(log, 10); // offsets 0..19, batches at even offsets, several segments of 600 bytes
    expect(log.segmentCount).toBeGreaterThan(2);
    await log.truncateSuffix(cut);
    expect(log.logEndOffset).toBe(cut);
    expect(await bases(log)).toEqual(Array.from({ length: cut / 2 }, (_, i) => i * 2));
    disk.crash();
    log = await openLog(disk);
    expect(log.logEndOffset).toBe(cut);
    const appended = log.append(batchOf(99, 3), 1000);
    expect(appended.baseOffset).toBe(cut);
    await appended.written;
    expect((await bases(log)).at(-1)).toBe(cut);
    await log.close();
  });
}

test("truncateSuffix refuses an offset inside a batch", async () => {
  const log = await openLog(new SimDisk(7));
  await fill(log, 3, 4);
  await expect(log.truncateSuffix(5)).rejects.toThrow(/offset 5 (is not a batch start|past the segment end)/);
});

test("resetTo starts an empty log at the offset, durably", async () => {
  const disk = new SimDisk(3);
  let log = await openLog(disk);
  await fill(log, 6);
  await log.resetTo(500);
  expect([log.logStartOffset, log.logEndOffset]).toEqual([500, 500]);
  disk.crash();
  log = await openLog(disk);
  expect([log.logStartOffset, log.logEndOffset]).toEqual([500, 500]);
  expect(log.append(batchOf(1, 2), 1000).baseOffset).toBe(500);
  await log.close();
});

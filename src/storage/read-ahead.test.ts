/**
 * Read-ahead through the partition log (no cache, so every read is a disk read): a sequential
 * reader gets exactly the bytes appended, batch for batch, across segments, with the reads held
 * ahead used; a truncation and new appends at the same offsets are never served from a read
 * taken before them; the budget bounds what is held.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import type { Disk } from "../io/disk.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { PartitionLog } from "./partition-log.ts";
import { ReadAheadBudget } from "./read-ahead.ts";
import * as rb from "./record-batch.ts";
import { batchOf, CountingDisk, testConfig } from "./test-helpers.ts";

const dir = "/data/t/0";
const RECORDS_PER_BATCH = 4;

async function openLog(disk: Disk, budget: ReadAheadBudget) {
  return PartitionLog.open({ disk, dir, config: testConfig({ segmentBytes: SEGMENT_BYTES }), clock: new ManualClock(1000), indexIntervalBytes: 512, readAhead: budget });
}

/** Appends batches tagged `tag(i)` for i in [from, to), durably; returns their bytes by base offset. */
async function fill(log: PartitionLog, from: number, to: number, tag: (i: number) => number): Promise<Map<number, Uint8Array>> {
  const written = new Map<number, Uint8Array>();
  let last: Promise<void> = Promise.resolve();
  for (let i = from; i < to; i++) {
    const batch = batchOf(tag(i), RECORDS_PER_BATCH, 100);
    const r = log.append(batch, 1000);
    written.set(r.baseOffset, batch);
    last = r.written;
  }
  await last;
  await log.flush();
  return written;
}

/** Reads from `offset` to the high watermark `maxBytes` at a time, as a consumer's fetches would; the bytes of each batch by base offset. */
async function readAll(log: PartitionLog, offset: number, maxBytes: number): Promise<Map<number, Uint8Array>> {
  const got = new Map<number, Uint8Array>();
  while (offset < log.highWatermark) {
    const r = await log.read(offset, maxBytes);
    if (!r.ok) throw new Error(`read at ${offset} out of range`);
    const from = offset;
    rb.scanBatches(r.bytes, 0, (at, size) => {
      got.set(rb.baseOffset(r.bytes, at), r.bytes.slice(at, at + size));
      offset = rb.lastOffset(r.bytes, at) + 1;
    });
    if (offset <= from) throw new Error(`read at ${from} brought no whole batch`);
  }
  return got;
}

/** Every written batch came back byte for byte (offsets patched by the log: compare past the base offset). */
function expectSame(got: Map<number, Uint8Array>, want: Map<number, Uint8Array>): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [base, bytes] of want) expect(got.get(base)!.subarray(rb.BATCH_HEADER_BYTES)).toEqual(bytes.subarray(rb.BATCH_HEADER_BYTES));
}

const SEGMENT_BYTES = 16 * 1024;

test("a sequential reader gets every batch byte for byte across segments, mostly from reads held ahead", async () => {
  const budget = new ReadAheadBudget();
  const log = await openLog(new SimDisk(1), budget);
  const want = await fill(log, 0, 200, (i) => i);
  expect(log.segmentCount).toBeGreaterThan(3);
  expectSame(await readAll(log, 0, 2048), want);
  expect(budget.used).toBeGreaterThan(50);
  expect(budget.heldBytes).toBeLessThanOrEqual(2 * SEGMENT_BYTES); // two chunks, each within its segment
  await log.close();
});

// Chunks smaller than a segment and not a multiple of the fetch: fetches start inside a chunk and
// near its end, where they get the batches up to it; the next chunk starts where the last ended.
test("with chunks smaller than a segment, every batch comes back once and no byte is read twice", async () => {
  for (const chunkBytes of [6000, 8192, 11111]) { // at least two windows (2048 + 512), as 4 MiB is to 1 MiB
    const budget = new ReadAheadBudget(64 * 1024, chunkBytes);
    const disk = new CountingDisk(new SimDisk(chunkBytes));
    const log = await openLog(disk, budget);
    const want = await fill(log, 0, 200, (i) => i);
    disk.readBytes = 0;
    expectSame(await readAll(log, 0, 2048), want);
    expect(budget.started).toBeGreaterThan(log.segmentCount); // more than one chunk per segment
    expect(budget.used).toBeGreaterThan(50);
    expect(budget.heldBytes).toBeLessThanOrEqual(2 * Math.max(chunkBytes, 4 * (2048 + 512)));
    expect(disk.readBytes / log.sizeBytes).toBeLessThan(READ_ONCE_AT_MOST);
    await log.close();
  }
});

/** Disk bytes read per byte of log a sequential reader consumes: the first fetch of each segment is read before the read-ahead knows it. */
const READ_ONCE_AT_MOST = 1.1;

test("a reader whose window is most of a chunk still reads each byte from the disk about once", async () => {
  for (const windowBytes of [6000, 2048]) {
    const budget = new ReadAheadBudget(256 * 1024, 8192);
    const disk = new CountingDisk(new SimDisk(windowBytes));
    const log = await PartitionLog.open({ disk, dir, config: testConfig({ segmentBytes: 256 * 1024 }), clock: new ManualClock(1000), indexIntervalBytes: 512, readAhead: budget });
    const want = await fill(log, 0, 400, (i) => i);
    disk.readBytes = 0;
    expectSame(await readAll(log, 0, windowBytes), want);
    expect(budget.used).toBeGreaterThan(30);
    expect(disk.readBytes / log.sizeBytes).toBeLessThan(READ_ONCE_AT_MOST);
    await log.close();
  }
});

// A fetch whose window is larger than the one the chunks were started for runs past a chunk's end:
// it gets the batches up to that end, and the next fetch goes on from the next chunk.
test("fetches whose window grew get every batch once, byte for byte", async () => {
  const budget = new ReadAheadBudget(64 * 1024, 5555);
  const disk = new CountingDisk(new SimDisk(7));
  const log = await openLog(disk, budget);
  const want = await fill(log, 0, 200, (i) => i);
  disk.readBytes = 0;
  const got = new Map<number, Uint8Array>();
  let offset = 0;
  for (let k = 0; offset < log.highWatermark; k++) {
    const r = await log.read(offset, k % 3 === 2 ? 4096 : 1024);
    if (!r.ok) throw new Error(`read at ${offset} out of range`);
    rb.scanBatches(r.bytes, 0, (at, size) => {
      expect(got.has(rb.baseOffset(r.bytes, at))).toBe(false);
      got.set(rb.baseOffset(r.bytes, at), r.bytes.slice(at, at + size));
      offset = rb.lastOffset(r.bytes, at) + 1;
    });
  }
  expectSame(got, want);
  expect(budget.used).toBeGreaterThan(50);
  expect(disk.readBytes / log.sizeBytes).toBeLessThan(READ_ONCE_AT_MOST);
  await log.close();
});

test("after a truncation and new appends at the same offsets, no read held from before is served", async () => {
  const budget = new ReadAheadBudget();
  const log = await openLog(new SimDisk(2), budget);
  const before = await fill(log, 0, 100, (i) => i);
  // Read sequentially into the middle: a read of what follows is now held ahead.
  let offset = 0;
  for (let k = 0; k < 5; k++) {
    const r = await log.read(offset, 1024);
    if (!r.ok) throw new Error("out of range");
    rb.scanBatches(r.bytes, 0, (at) => void (offset = rb.lastOffset(r.bytes, at) + 1));
  }
  expect(budget.started).toBeGreaterThan(0);
  await log.truncateSuffix(offset);
  const after = await fill(log, 0, 100 - offset / RECORDS_PER_BATCH, (i) => 10_000 + i); // other values at the same offsets
  const got = await readAll(log, offset, 1024);
  expect(Math.min(...after.keys())).toBe(offset);
  expectSame(got, after);
  expect(got.size).toBeGreaterThan(0);
  expect(before.size).toBe(100);
  await log.close();
});

test("past the budget nothing is read ahead, and reads stay correct", async () => {
  const budget = new ReadAheadBudget(100); // less than one read
  const log = await openLog(new SimDisk(3), budget);
  const want = await fill(log, 0, 60, (i) => i);
  expectSame(await readAll(log, 0, 2048), want);
  expect([budget.started, budget.heldBytes]).toEqual([0, 0]);
  await log.close();
});

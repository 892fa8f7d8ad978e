/**
 * What a reader may see, and the cut after a failed write, on posix and io_uring: a sync
 * (acks=-1) append is visible only after its fdatasync, and later appends wait behind it; a
 * failed write cuts the log back to the high watermark (disk, index, cache, next offset), reads go
 * on, appends are refused until the retry time, and the offsets are then handed out again. A
 * seal failing under a truncation fails it as a disk error.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { UringDisk } from "../io/uring-disk.ts";
import { type AlignedBuffer, type Ring, RingOp } from "../native/uring.ts";
import { LogFailedError, PartitionLog } from "./partition-log.ts";
import { RecentBatchCache } from "./recent-batch-cache.ts";
import * as rb from "./record-batch.ts";
import { batchOf, CountingDisk, tempDir, testConfig } from "./test-helpers.ts";

const clock = new ManualClock(1_000_000);

async function readBatch(log: PartitionLog, offset: number): Promise<Uint8Array> {
  const r = await log.read(offset, 1);
  if (!r.ok) throw new Error(`read ${offset}: out of range`);
  return r.bytes.slice(0, rb.batchSizeBytes(r.bytes, 0));
}

test("a sync append is visible only after its fdatasync, and an append behind it waits too", async () => {
  using tmp = tempDir();
  const log = await PartitionLog.open({ disk: new PosixDisk(), dir: tmp.dir, config: testConfig(), clock });
  await log.append(batchOf(0), clock.nowMs()).visible;
  const synced = log.append(batchOf(1), clock.nowMs(), { sync: true });
  const after = log.append(batchOf(2), clock.nowMs());
  await Promise.all([synced.written, after.written]);
  expect(log.highWatermark).toBe(1);
  const early = await log.read(1, 1 << 20);
  expect(early.ok && early.bytes.length).toBe(0); // at the high watermark: nothing yet
  await log.flush();
  await Promise.all([synced.visible, after.visible]);
  expect(log.highWatermark).toBe(3);
  await log.close();
});

test("a failed write cuts the log back to the high watermark; reads go on and the offsets are handed out again after the retry time", async () => {
  using tmp = tempDir();
  const disk = new CountingDisk(new PosixDisk());
  const cache = new RecentBatchCache();
  const cuts: number[] = [];
  const open = () => PartitionLog.open({ disk, dir: tmp.dir, config: testConfig(), clock, cache, onCut: (end) => cuts.push(end) });
  const log = await open();
  await log.append(batchOf(0), clock.nowMs()).visible;
  const kept = await readBatch(log, 0);
  disk.failWrites = true;
  const failed = [log.append(batchOf(1), clock.nowMs()), log.append(batchOf(2), clock.nowMs(), { sync: true })];
  for (const a of failed) await expect(a.visible).rejects.toThrow();
  expect(log.failed).toBe(true);
  expect(() => log.append(batchOf(3), clock.nowMs())).toThrow(LogFailedError);
  await log.idle();
  expect(cuts).toEqual([1]);
  expect([log.highWatermark, log.logEndOffset]).toEqual([1, 1]);
  expect(Buffer.compare(await readBatch(log, 0), kept)).toBe(0);
  disk.failWrites = false;
  expect(() => log.append(batchOf(4), clock.nowMs())).toThrow(LogFailedError); // still within the retry time
  clock.advance(limits.logFailureRetryMs);
  const again = log.append(batchOf(5, 3), clock.nowMs());
  expect(again.baseOffset).toBe(1);
  await again.visible;
  expect(log.failed).toBe(false);
  const fresh = await readBatch(log, 1);
  expect(rb.lastOffset(fresh)).toBe(3); // the new three-record batch, not a cached old one
  await log.close();
  const reopened = await open();
  expect(reopened.logEndOffset).toBe(4);
  expect(Buffer.compare(await readBatch(reopened, 1), fresh)).toBe(0);
  await reopened.close();
});

test("io_uring: an append is visible only once its write-behind chunk is written; a failed chunk is cut and none of it was readable", async () => {
  using tmp = tempDir();
  const real = UringDisk.open(32);
  let gate = Promise.withResolvers<void>();
  let failWrites = false;
  const ENOSPC = -28;
  // The ring as the files see it: writes wait for the gate (a slow device), then succeed or fail.
  const ring = {
    run: async (op: RingOp, fd: number, buffer: AlignedBuffer | null, length: number, offset: number) => {
      if (op !== RingOp.write) return real.ring.run(op, fd, buffer, length, offset);
      await gate.promise;
      return failWrites ? ENOSPC : real.ring.run(op, fd, buffer, length, offset);
    },
    writeThenDatasync: async (fd: number, buffer: AlignedBuffer, length: number, offset: number): Promise<[number, number]> => {
      await gate.promise;
      return failWrites ? [ENOSPC, -125] : real.ring.writeThenDatasync(fd, buffer, length, offset);
    },
  };
  const disk = new UringDisk(ring as unknown as Ring);
  const log = await PartitionLog.open({ disk, dir: tmp.dir, config: testConfig(), clock });
  gate.resolve();
  await log.append(batchOf(0), clock.nowMs()).visible;
  gate = Promise.withResolvers<void>();
  const slow = log.append(batchOf(1), clock.nowMs());
  await Bun.sleep(20); // the append is in the chunk, the chunk's write is held at the gate
  expect(log.highWatermark).toBe(1);
  const early = await log.read(1, 1 << 20);
  expect(early.ok && early.bytes.length).toBe(0);
  failWrites = true;
  gate.resolve();
  await expect(slow.visible).rejects.toThrow(/ENOSPC/);
  await log.idle();
  expect([log.highWatermark, log.logEndOffset]).toEqual([1, 1]);
  failWrites = false;
  clock.advance(limits.logFailureRetryMs);
  const again = log.append(batchOf(2, 2), clock.nowMs());
  expect(again.baseOffset).toBe(1);
  await again.visible;
  await log.close();
  const reopened = await PartitionLog.open({ disk: real, dir: tmp.dir, config: testConfig(), clock });
  expect(reopened.logEndOffset).toBe(3);
  expect(rb.lastOffset(await readBatch(reopened, 1))).toBe(2);
  await reopened.close();
  real.close();
});

test("a seal that fails while a suffix truncation waits for it fails the truncation as a disk error, not as a broken invariant", async () => {
  using tmp = tempDir();
  const disk = new CountingDisk(new PosixDisk());
  const log = await PartitionLog.open({ disk, dir: tmp.dir, config: testConfig({ segmentBytes: 200 }), clock });
  disk.failDatasyncOf = (path) => path.endsWith("/00000000000000000000.log") && log.segmentCount > 1;
  const gate = Promise.withResolvers<void>();
  for (;;) {
    const appended = log.append(batchOf(log.logEndOffset), clock.nowMs());
    if (log.segmentCount > 1) {
      disk.holdDatasyncs = gate.promise; // the first segment's seal, started by this append's roll, waits here
      await appended.written;
      break;
    }
    await appended.written;
    await log.flush(); // so only the seal syncs the first segment again
  }
  const truncated = log.truncateSuffix(log.logEndOffset - 1); // waits for the seal
  gate.resolve();
  await expect(truncated).rejects.toThrow(LogFailedError);
  expect(log.failed).toBe(true);
  await log.idle();
  await log.close();
});

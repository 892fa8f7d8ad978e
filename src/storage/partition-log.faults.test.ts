/**
 * Storage under injected disk faults (SimDisk: failed, short and ENOSPC writes, fsync errors,
 * torn writes at a power loss), with the log kept running through them as a broker would:
 * - what a reader was shown stays true: no read ever returns bytes that a later read (or a
 *   reopen after the process died) does not return at the same offset;
 * - a failure cuts the log back to the high watermark, reads go on, and appends are taken again
 *   once the retry time passed and the disk has room;
 * - every acknowledged (visible) append survives a process crash, and every acknowledged sync
 *   (acks=-1) append survives a power loss.
 * Seeds are printed; rerun one with SKUA_SEED=<seed>. Also: a segment whose seal failed is synced
 * before the next open writes its index files, and the io_uring backend's zero padding left by a
 * crash reads as a clean end.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import { mulberry32 } from "../base/random.ts";
import { noFaults, SimDisk } from "../io/sim-disk.ts";
import { UringDisk } from "../io/uring-disk.ts";
import { buildBatch } from "./batch-builder.ts";
import { LogFailedError, PartitionLog } from "./partition-log.ts";
import * as rb from "./record-batch.ts";
import { batchOf, tempDir, testConfig } from "./test-helpers.ts";

const RUNS = 8;
const STEPS = 150;

/** Every batch in the log from its start, in order. */
async function readAll(log: PartitionLog): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20);
    if (!r.ok) throw new Error(`read ${offset}: out of range`);
    rb.scanBatches(r.bytes, 0, (at, size) => {
      out.push(r.bytes.slice(at, at + size));
      offset = rb.lastOffset(r.bytes, at) + 1;
    });
  }
  return out;
}

interface Acked {
  bytes: Uint8Array;
  sync: boolean;
}

for (let run = 0; run < RUNS; run++) {
  const seed = process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : (Date.now() + run * 7919) >>> 0;
  test(`faults never take back what a reader saw or lose acknowledged data (seed ${seed})`, async () => {
    console.log(`partition-log faults seed=${seed}`);
    const random = mulberry32(seed ^ 0x5eed);
    const disk = new SimDisk(seed);
    const faultsOn = () => {
      const capacityBytes = disk.usedBytes() + 10_000 + Math.floor(random() * 40_000);
      disk.faults = { writeFailProbability: 0.02, shortWriteProbability: 0.02, fsyncFailProbability: 0.03, capacityBytes };
    };
    const clock = new ManualClock(1_000_000);
    const config = testConfig({ segmentBytes: 2000 + Math.floor(random() * 6000) });
    const dir = "/data/t/0";
    const open = () => PartitionLog.open({ disk, dir, config, clock, indexIntervalBytes: 256 });
    let log = await open();
    faultsOn();
    const acked = new Map<number, Acked>(); // base offset -> bytes, once visible
    const seen = new Map<number, Uint8Array>(); // base offset -> bytes a read returned
    const syncAppends = new Map<number, Uint8Array>(); // base offset -> bytes of the latest sync append there
    let tag = 0;
    let errors = 0;
    let recoveredWithoutRestart = 0;

    const produce = async (): Promise<boolean> => {
      const bytes = buildBatch({ records: [{ key: `k${tag}`, value: "v".repeat(Math.floor(random() * 300)), timestampDelta: 0 }], baseTimestamp: tag++ });
      const sync = random() < 0.5;
      try {
        const r = log.append(bytes, clock.nowMs(), { sync });
        const copy = bytes.slice(); // after append: it patched the base offset in place
        if (sync) syncAppends.set(r.baseOffset, copy);
        else syncAppends.delete(r.baseOffset);
        await r.written;
        if (sync) await log.flush();
        await r.visible;
        expect(log.highWatermark).toBeGreaterThan(r.lastOffset);
        acked.set(r.baseOffset, { bytes: copy, sync });
        return true;
      } catch (e) {
        if (!(e instanceof LogFailedError)) expect(String(e)).toMatch(/simulated|cut back/);
        errors++;
        return false;
      }
    };

    /** A read from a random offset below the high watermark must agree with every earlier read. */
    const readSome = async () => {
      if (log.highWatermark === log.logStartOffset) return;
      const offset = log.logStartOffset + Math.floor(random() * (log.highWatermark - log.logStartOffset));
      const r = await log.read(offset, 1 + Math.floor(random() * 2000));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      rb.scanBatches(r.bytes, 0, (at, size) => {
        const bytes = r.bytes.slice(at, at + size);
        const before = seen.get(rb.baseOffset(bytes));
        if (before) expect(Buffer.compare(before, bytes)).toBe(0);
        seen.set(rb.baseOffset(bytes), bytes);
      });
    };

    for (let step = 0; step < STEPS; step++) {
      const highWatermarkBefore = log.highWatermark;
      await Promise.all([...Array.from({ length: 1 + Math.floor(random() * 4) }, produce), readSome()]);
      if (log.failed) {
        // The cut back keeps everything a reader could have seen, and reads go on meanwhile.
        await Promise.all([log.idle(), readSome()]);
        expect(log.highWatermark).toBeGreaterThanOrEqual(highWatermarkBefore);
        expect(log.logEndOffset).toBe(log.highWatermark);
        await readSome();
        // Space freed, retry time passed: the same log takes appends again.
        disk.faults = noFaults;
        clock.advance(limits.logFailureRetryMs);
        expect(await produce()).toBe(true);
        recoveredWithoutRestart++;
        faultsOn();
      }
      const roll = random();
      if (roll < 0.08) {
        // kill -9: the process is gone, what it wrote is in the kernel; reopen.
        await log.idle();
        disk.faults = noFaults;
        log = await open();
        await verify(log, acked, seen, null);
        faultsOn();
      } else if (roll < 0.12) {
        // Power loss: only synced bytes are sure to survive.
        await log.idle();
        disk.crash();
        disk.faults = noFaults;
        log = await open();
        await verify(log, acked, seen, syncAppends);
        faultsOn();
      }
    }
    await log.idle();
    disk.faults = noFaults;
    log = await open();
    await verify(log, acked, seen, null);
    console.log(`seed=${seed}: ${acked.size} batches acknowledged, ${errors} produce errors, ${recoveredWithoutRestart} recoveries without reopen, ${disk.faultsInjected} faults injected`);
    expect(acked.size).toBeGreaterThan(0);
  });
}

/**
 * Offsets are dense from the log start; every acknowledged batch and every batch a reader saw
 * is at its offset, byte for byte. After a power loss (`syncAppends` given) only the sync
 * (acks=-1) ones must be: a reader must never have seen a sync batch that was not yet synced.
 * Afterwards the models hold exactly what the log now holds below its end.
 */
async function verify(log: PartitionLog, acked: Map<number, Acked>, seen: Map<number, Uint8Array>, syncAppends: Map<number, Uint8Array> | null): Promise<void> {
  const powerLoss = syncAppends !== null;
  const batches = await readAll(log);
  let next = log.logStartOffset;
  const found = new Map<number, Uint8Array>();
  for (const b of batches) {
    expect(rb.baseOffset(b)).toBe(next);
    found.set(next, b);
    next = rb.lastOffset(b) + 1;
  }
  expect(next).toBe(log.logEndOffset);
  const mustSurvive = (base: number) => !powerLoss || acked.get(base)?.sync === true;
  for (const [base, { bytes }] of acked) {
    if (!mustSurvive(base)) continue;
    const got = found.get(base);
    expect(got === undefined ? "missing" : Buffer.compare(got, bytes)).toBe(0);
  }
  for (const [base, bytes] of seen) {
    const wasSync = syncAppends?.get(base);
    if (!powerLoss || (wasSync !== undefined && Buffer.compare(wasSync, bytes) === 0)) {
      const got = found.get(base);
      expect(got === undefined ? "missing" : Buffer.compare(got, bytes)).toBe(0);
    }
  }
  // A power loss may legitimately drop unsynced batches; what is left is the new truth.
  for (const model of [acked, seen] as Map<number, unknown>[]) {
    for (const base of [...model.keys()]) if (!found.has(base)) model.delete(base);
  }
  for (const [base, bytes] of found) if (seen.has(base)) seen.set(base, bytes);
  for (const [base, entry] of acked) if (Buffer.compare(entry.bytes, found.get(base)!) !== 0) acked.delete(base);
}

/** A disk and the batches of offsets 0-3, with segments sized to hold exactly those four. */
function fourBatchSegments() {
  const disk = new SimDisk(1);
  const clock = new ManualClock(1_000_000);
  const written = Array.from({ length: 4 }, (_, i) => batchOf(i));
  const config = testConfig({ segmentBytes: written.reduce((sum, b) => sum + b.length, 0) });
  const open = () => PartitionLog.open({ disk, dir: "/data/t/0", config, clock });
  return { disk, clock, written, open };
}

test("a segment whose seal failed is synced before the next open writes its index files", async () => {
  // Seed 990774300 of the runs above: the fdatasync of a rolled segment's seal failed, a kill -9
  // followed, the open rescanned that segment and wrote its index files while its last batches were
  // still only in the page cache; a power loss took them, the index files stayed, and the reopened
  // log believed in offsets its file no longer held ("read past written bytes").
  const { disk, clock, written, open } = fourBatchSegments();
  const log = await open();
  for (const [i, b] of written.entries()) {
    await log.append(b, clock.nowMs(), { sync: i < 2 }).written; // patches b's base offset in place
    if (i < 2) await log.flush(); // offsets 0-1 synced, 2-3 only in the kernel
  }
  disk.faults = { ...noFaults, fsyncFailProbability: 1 };
  await log.append(batchOf(4), clock.nowMs()).visible.catch(() => {}); // rolls: the seal of segment 0 fails
  await log.idle();
  expect(log.failed).toBe(true);
  disk.faults = noFaults;
  // kill -9: segment 0 has no index files, so the open rescans it and seals it.
  expect((await open()).logEndOffset).toBeGreaterThanOrEqual(4);
  disk.crash("unsyncedLost");
  const reopened = await open();
  expect(reopened.logEndOffset).toBeGreaterThanOrEqual(4);
  expect((await readAll(reopened)).slice(0, 4)).toEqual(written);
});

/**
 * Segment 0 holds offsets 0-3 only in the kernel, and the append of offset 4 rolls it while every
 * fdatasync fails; `failFirst` runs then (before the log's write loop). Once the log takes appends
 * again, an acks=-1 append at offset 5 is acknowledged, and a power loss follows: the log must still
 * hold it, so segment 0 must have been synced before the acknowledgement.
 */
async function ackedSyncAfterFailedSeal(reopenFirst: boolean, failFirst: (log: PartitionLog) => void): Promise<void> {
  const { disk, clock, written, open } = fourBatchSegments();
  let log = await open();
  for (const b of written) await log.append(b, clock.nowMs()).written;
  if (reopenFirst) log = await open(); // kill -9: the tail of segment 0 is still only in the page cache
  disk.faults = { ...noFaults, fsyncFailProbability: 1 };
  const rolled = log.append(batchOf(4), clock.nowMs()).visible.catch(() => {});
  failFirst(log);
  await rolled;
  await log.idle();
  expect(log.failed).toBe(true);
  disk.faults = noFaults;
  clock.advance(limits.logFailureRetryMs);
  const acked = log.append(batchOf(5), clock.nowMs(), { sync: true });
  await acked.written;
  await log.flush();
  await acked.visible;
  disk.crash("unsyncedLost");
  const reopened = await open();
  expect(reopened.logEndOffset).toBeGreaterThan(acked.baseOffset);
  expect((await readAll(reopened)).slice(0, 4)).toEqual(written);
}

test("an acks=-1 append after the failed seal of a segment reopened after kill -9 survives a power loss", async () => {
  await ackedSyncAfterFailedSeal(true, () => {});
});

test("an acks=-1 append after a failed flush of a rolled segment survives a power loss", async () => {
  await ackedSyncAfterFailedSeal(false, (log) => void log.flush().catch(() => {}));
});

test("zero padding left by the io_uring backend after a crash is a clean end", async () => {
  using tmp = tempDir();
  const disk = UringDisk.open(32);
  const clock = new ManualClock(1_000_000);
  const warnings: string[] = [];
  const open = () => PartitionLog.open({ disk, dir: tmp.dir, config: testConfig(), clock, log: (m) => warnings.push(m) });
  const log = await open();
  const written = [];
  for (let i = 0; i < 5; i++) written.push(buildBatch({ records: [{ key: "k", value: `value ${i}`, timestampDelta: 0 }], baseTimestamp: i }));
  for (const b of written) await log.append(b.slice(), clock.nowMs()).written;
  await log.flush();
  // No close: the segment file still ends in zero padding, as after kill -9.
  const reopened = await open();
  expect(warnings).toEqual([]);
  expect(reopened.logEndOffset).toBe(5);
  const batches = await readAll(reopened);
  expect(batches.length).toBe(5);
  await reopened.close();
  disk.close();
});

/**
 * Storage under injected disk faults (SimDisk: failed, short and ENOSPC writes, fsync errors,
 * torn writes at a crash): the log reports the error, never acknowledges unwritten data, and
 * after a crash and reopen holds every acknowledged batch at its offset with dense offsets.
 * Seeds are printed; rerun one with SKUA_SEED=<seed>. Also: the io_uring backend's zero
 * padding left by a crash reads as a clean end.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { mulberry32 } from "../base/random.ts";
import { noFaults, SimDisk } from "../io/sim-disk.ts";
import { UringDisk } from "../io/uring-disk.ts";
import { buildBatch } from "./batch-builder.ts";
import { PartitionLog } from "./partition-log.ts";
import * as rb from "./record-batch.ts";
import { tempDir, testConfig } from "./test-helpers.ts";

const RUNS = 8;
const STEPS = 120;

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

for (let run = 0; run < RUNS; run++) {
  const seed = process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : (Date.now() + run * 7919) >>> 0;
  test(`faults never lose acknowledged data (seed ${seed})`, async () => {
    console.log(`partition-log faults seed=${seed}`);
    const random = mulberry32(seed ^ 0x5eed);
    const disk = new SimDisk(seed);
    // Faults on while producing; off (and space freed) while recovering, as an operator would.
    const faultsOn = () => {
      const capacityBytes = disk.usedBytes() + 10_000 + Math.floor(random() * 40_000);
      disk.faults = { writeFailProbability: 0.02, shortWriteProbability: 0.02, fsyncFailProbability: 0.03, capacityBytes };
    };
    const faultsOff = () => (disk.faults = noFaults);
    const clock = new ManualClock(1_000_000);
    const config = testConfig({ segmentBytes: 2000 + Math.floor(random() * 6000) });
    const dir = "/data/t/0";
    const open = () => PartitionLog.open({ disk, dir, config, clock, indexIntervalBytes: 256 });
    let log = await open();
    faultsOn();
    const acked = new Map<number, Uint8Array>(); // base offset -> bytes, acknowledged after fsync
    let tag = 0;
    let errors = 0;

    const produce = async () => {
      const bytes = buildBatch({ records: [{ key: `k${tag}`, value: "v".repeat(Math.floor(random() * 300)), timestampDelta: 0 }], baseTimestamp: tag++ });
      let base: number;
      let copy: Uint8Array;
      try {
        const r = log.append(bytes, clock.nowMs());
        base = r.baseOffset;
        copy = bytes.slice(); // after append: it patched the base offset in place
        await r.written;
        await log.flush();
      } catch {
        errors++;
        return;
      }
      acked.set(base, copy);
    };

    for (let step = 0; step < STEPS; step++) {
      const errorsBefore = errors;
      await Promise.all(Array.from({ length: 1 + Math.floor(random() * 4) }, produce));
      // An error is reported and the log takes no more appends until it is reopened.
      if (errors > errorsBefore) expect(log.failed).toBe(true);
      if (log.failed || random() < 0.1) {
        // Power loss (the failed log is abandoned, as a crashed broker's would be), then reopen.
        disk.crash();
        faultsOff();
        log = await open();
        await verify(log, acked);
        faultsOn();
      }
    }
    disk.crash();
    faultsOff();
    log = await open();
    await verify(log, acked);
    console.log(`seed=${seed}: ${acked.size} batches acknowledged, ${errors} produce errors, ${disk.faultsInjected} faults injected`);
    expect(acked.size).toBeGreaterThan(0);
  });
}

/** Offsets are dense from the log start and every acknowledged batch is at its offset, byte for byte. */
async function verify(log: PartitionLog, acked: Map<number, Uint8Array>): Promise<void> {
  const batches = await readAll(log);
  let next = log.logStartOffset;
  const found = new Map<number, Uint8Array>();
  for (const b of batches) {
    expect(rb.baseOffset(b)).toBe(next);
    found.set(next, b);
    next = rb.lastOffset(b) + 1;
  }
  expect(next).toBe(log.logEndOffset);
  for (const [base, bytes] of acked) {
    const got = found.get(base);
    expect(got === undefined ? "missing" : Buffer.compare(got, bytes)).toBe(0);
  }
  // Unacknowledged batches that survived may be overwritten by later appends; forget nothing acked.
  for (const base of [...acked.keys()]) if (base >= next) acked.delete(base);
}

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

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { compactLog } from "./compaction.ts";
import { keyedBatch, latestByKey, readLog } from "./compaction-test-helpers.ts";
import { type CleanupConfig, PartitionLog } from "./partition-log.ts";
import { loadProducerState } from "./producer-snapshot.ts";
import * as rb from "./record-batch.ts";
import { testConfig } from "./test-helpers.ts";

const DAY_MS = 24 * 3600 * 1000;
const compactOnly = (overrides: Partial<CleanupConfig> = {}): CleanupConfig => ({
  delete: false, compact: true, deleteRetentionMs: DAY_MS, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, minCleanableDirtyRatio: 0.5, ...overrides,
});
const BIG_BUDGET = 1 << 26;
const noPause = () => Promise.resolve();

async function openLog(disk: SimDisk, clock: ManualClock, cleanup: CleanupConfig, segmentBytes = 1024): Promise<PartitionLog> {
  return PartitionLog.open({ disk, dir: "/data/t/0", config: testConfig({ segmentBytes, cleanup }), clock, indexIntervalBytes: 256 });
}

/** `rounds` rounds writing every one of `keys` keys once, one batch of `perBatch` records at a time. */
async function writeRounds(log: PartitionLog, clock: ManualClock, rounds: number, keys: number, perBatch = 4, compression: 0 | 1 = 0): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < keys; k += perBatch) {
      const pairs: Array<[string, string]> = [];
      for (let j = k; j < Math.min(keys, k + perBatch); j++) pairs.push([`key-${j}`, `v${round}-${j}`]);
      await log.append(keyedBatch(pairs, { baseTimestamp: clock.nowMs(), compression }), clock.nowMs()).visible;
    }
  }
}

/** A pass as housekeeping runs it, once seals finished and a second passed (records carry the time they were written). */
async function compact(log: PartitionLog, clock: ManualClock, budget = BIG_BUDGET) {
  await log.idle();
  clock.advance(1000);
  return compactLog(log, { nowMs: clock.nowMs(), keyMapBudgetBytes: budget, stableOffset: log.highWatermark, pause: noPause });
}

describe("compaction", () => {
  test("keeps the latest record of each key in closed segments, offsets and the end offset unchanged", async () => {
    const disk = new SimDisk(1);
    const clock = new ManualClock(1_000_000);
    const log = await openLog(disk, clock, compactOnly());
    await writeRounds(log, clock, 10, 20);
    const before = await readLog(log);
    const sizeBefore = log.sizeBytes;
    const stats = await compact(log, clock);
    expect(stats).not.toBeNull();
    expect(stats!.recordsRemoved).toBeGreaterThan(100);
    const after = await readLog(log);
    expect(latestByKey(after.records)).toEqual(latestByKey(before.records));
    expect(log.sizeBytes).toBeLessThan(sizeBefore / 2);
    // Offsets are kept: every record read now was at the same offset before, in the same order.
    const original = new Map(before.records.map((r) => [r.offset, r]));
    for (const r of after.records) expect(original.get(r.offset)).toEqual(r);
    expect(after.records.map((r) => r.offset)).toEqual([...after.records.map((r) => r.offset)].sort((a, b) => a - b));
    expect(log.logEndOffset).toBe(200);
    expect(log.logStartOffset).toBe(0);
    // The same after a reopen, from the index files the swap wrote.
    await log.close();
    const reopened = await openLog(disk, clock, compactOnly());
    expect((await readLog(reopened)).records).toEqual(after.records);
    expect(reopened.logEndOffset).toBe(200);
    await reopened.close();
  });

  test("a reader positioned inside a removed range continues at the next offset", async () => {
    const disk = new SimDisk(2);
    const clock = new ManualClock(1_000_000);
    const log = await openLog(disk, clock, compactOnly());
    await writeRounds(log, clock, 10, 20);
    await compact(log, clock);
    const { records } = await readLog(log);
    const kept = new Set(records.map((r) => r.offset));
    for (let offset = 0; offset < log.highWatermark; offset++) {
      const r = await log.read(offset, 1 << 20);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      // The first batch answered covers `offset` or starts after it, and holds the next kept record at or past it.
      expect(rb.lastOffset(r.bytes, 0)).toBeGreaterThanOrEqual(offset);
      const next = [...kept].find((o) => o >= offset);
      if (next !== undefined) expect(rb.baseOffset(r.bytes, 0)).toBeLessThanOrEqual(next);
    }
    await log.close();
  });

  test("compressed batches are thinned and recompressed with their own codec", async () => {
    const disk = new SimDisk(3);
    const clock = new ManualClock(1_000_000);
    const log = await openLog(disk, clock, compactOnly(), 2048);
    await writeRounds(log, clock, 8, 12, 6, 1);
    // Keys 0–2 once more, then other keys until those close: the last gzip batch keeps keys 3–5 only.
    for (const key of ["key-0", "key-1", "key-2"]) await log.append(keyedBatch([[key, "last"]], { baseTimestamp: clock.nowMs() }), clock.nowMs()).visible;
    for (let i = 0; i < 60; i++) await log.append(keyedBatch([[`f-${i}`, "filler"]], { baseTimestamp: clock.nowMs() }), clock.nowMs()).visible;
    const before = latestByKey((await readLog(log)).records);
    await compact(log, clock);
    const after = await readLog(log);
    expect(latestByKey(after.records)).toEqual(before);
    const thinned = after.batches.filter((b) => rb.recordsCount(b) > 0 && rb.recordsCount(b) < rb.lastOffsetDelta(b) + 1);
    expect(thinned.length).toBeGreaterThan(0);
    for (const b of thinned) {
      expect(rb.attributes(b) & rb.ATTR_COMPRESSION_MASK).toBe(1);
      expect(rb.computeCrc(b)).toBe(rb.crc(b));
    }
    await log.close();
  });

  test("tombstones go only after delete.retention.ms; the keys they deleted are gone", async () => {
    const disk = new SimDisk(4);
    const clock = new ManualClock(1_000_000);
    const log = await openLog(disk, clock, compactOnly({ deleteRetentionMs: 60_000, minCleanableDirtyRatio: 0 }));
    await writeRounds(log, clock, 5, 20);
    await log.append(keyedBatch([["key-3", null], ["key-7", null]], { baseTimestamp: clock.nowMs() }), clock.nowMs()).visible;
    const filler = async (n: number) => {
      for (let i = 0; i < n; i++) await log.append(keyedBatch([[`f-${i}`, "filler"]], { baseTimestamp: clock.nowMs() }), clock.nowMs()).visible;
    };
    await filler(60); // the tombstones' segment closes
    const before = latestByKey((await readLog(log)).records);
    expect(before.get("key-3")).toBeNull();
    const ofDeleted = async () => (await readLog(log)).records.filter((r) => r.key === "key-3" || r.key === "key-7");
    await compact(log, clock);
    // Within delete.retention.ms: only the tombstones are left of those keys.
    expect((await ofDeleted()).map((r) => r.value)).toEqual([null, null]);
    clock.advance(120_000);
    await compact(log, clock); // nothing dirty, but the tombstones are due
    expect(await ofDeleted()).toEqual([]);
    const after = latestByKey((await readLog(log)).records);
    for (const [key, value] of before) if (value !== null) expect(after.get(key)).toBe(value);
    await log.close();
  });

  test("a small key map compacts in several passes to the same records as a large one", async () => {
    const run = async (budget: number) => {
      const disk = new SimDisk(5);
      const clock = new ManualClock(1_000_000);
      const log = await openLog(disk, clock, compactOnly({ minCleanableDirtyRatio: 0 }));
      await writeRounds(log, clock, 6, 40);
      let passes = 0;
      while (true) {
        const stats = await compact(log, clock, budget);
        if (stats === null) break;
        passes++;
      }
      const result = (await readLog(log)).records;
      const segments = log.segmentCount;
      await log.close();
      return { result, passes, segments };
    };
    const large = await run(BIG_BUDGET);
    const small = await run(15 * (6 + 48)); // 15 keys a pass
    expect(large.passes).toBe(1);
    expect(small.passes).toBeGreaterThan(2);
    expect(latestByKey(small.result)).toEqual(latestByKey(large.result));
    expect(new Set(small.result.filter((r) => r.key !== null).map((r) => r.key)).size).toBe(40);
  });

  test("min.cleanable.dirty.ratio and min.compaction.lag.ms hold compaction back; max.compaction.lag.ms forces it", async () => {
    const disk = new SimDisk(6);
    const clock = new ManualClock(1_000_000);
    const log = await openLog(disk, clock, compactOnly({ minCompactionLagMs: 10_000 }));
    await writeRounds(log, clock, 6, 20);
    expect(await compact(log, clock)).toBeNull(); // every record is newer than the lag
    clock.advance(20_000);
    expect(await compact(log, clock)).not.toBeNull();
    await writeRounds(log, clock, 1, 4); // a little dirt
    clock.advance(20_000);
    log.reconfigure({ ...log.config, cleanup: compactOnly({ minCleanableDirtyRatio: 0.99 }) });
    await log.append(keyedBatch([["x", "y"]], { baseTimestamp: clock.nowMs() }), clock.nowMs()).visible;
    expect(await compact(log, clock)).toBeNull();
    log.reconfigure({ ...log.config, cleanup: compactOnly({ minCleanableDirtyRatio: 0.99, maxCompactionLagMs: 1000 }) });
    expect(await compact(log, clock)).not.toBeNull();
    await log.close();
  });

  test("the last batch of an idempotent producer stays, empty, with its sequence; the active segment is never touched", async () => {
    const disk = new SimDisk(7);
    const clock = new ManualClock(1_000_000);
    const log = await openLog(disk, clock, compactOnly({ minCleanableDirtyRatio: 0 }));
    await log.append(keyedBatch([["a", "1"], ["b", "1"]], { producerId: 42, baseSequence: 0 }), clock.nowMs()).visible;
    await log.append(keyedBatch([["a", "2"], ["b", "2"]]), clock.nowMs()).visible;
    await writeRounds(log, clock, 10, 8);
    const activeBefore = (await readLog(log, log.logEndOffset - 1)).batches;
    await compact(log, clock);
    const { batches } = await readLog(log);
    const producer = batches.filter((b) => rb.producerId(b) === 42);
    expect(producer.length).toBe(1);
    expect(rb.recordsCount(producer[0]!)).toBe(0);
    expect(rb.baseSequence(producer[0]!)).toBe(0);
    expect(rb.lastOffsetDelta(producer[0]!)).toBe(1);
    expect((await readLog(log, log.logEndOffset - 1)).batches).toEqual(activeBefore);
    // Rebuilt from the batch headers after compaction, the producer's state goes on at sequence 2.
    const state = await loadProducerState(disk, log);
    expect(state.checkPayload(keyedBatch([["c", "1"]], { producerId: 42, baseSequence: 2 })).kind).toBe("append");
    expect(state.checkPayload(keyedBatch([["c", "1"]], { producerId: 42, baseSequence: 5 })).kind).toBe("outOfOrder");
    await log.close();
  });
});

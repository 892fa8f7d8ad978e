import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import { ManualClock } from "../base/clock.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { concatBytes } from "../base/bytes.ts";
import { Flusher } from "./flusher.ts";
import { LogFailedError, PartitionLog, type LogConfig } from "./partition-log.ts";
import { RecentBatchCache } from "./recent-batch-cache.ts";
import { SealedFileLru } from "./sealed-file-lru.ts";
import * as rb from "./record-batch.ts";
import { batchOf, CountingDisk, tempDir, testConfig } from "./test-helpers.ts";

const disk = new PosixDisk();
const clock = new ManualClock(1_000_000);

function openLog(dir: string, config: LogConfig = testConfig(), extra: { cache?: RecentBatchCache; warnings?: string[] } = {}) {
  return PartitionLog.open({
    disk,
    dir,
    config,
    clock,
    cache: extra.cache,
    log: (m) => extra.warnings?.push(m),
    indexIntervalBytes: 256,
  });
}

/** Base offsets of the batches in `bytes`. */
function baseOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  rb.scanBatches(bytes, 0, (at) => {
    out.push(rb.baseOffset(bytes, at));
  });
  return out;
}

async function readOk(log: PartitionLog, offset: number, maxBytes = 1 << 20): Promise<Uint8Array> {
  const r = await log.read(offset, maxBytes);
  if (!r.ok) throw new Error(`read ${offset}: out of range`);
  return r.bytes;
}

/** Retention skips segments still being sealed (as the periodic housekeeping would): retry briefly. */
async function retentionOnceSealed(log: PartitionLog, nowMs: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const deleted = await log.enforceRetention(nowMs);
    if (deleted > 0) return deleted;
    await Bun.sleep(1);
  }
  return 0;
}

/** Appends `n` batches of `perBatch` records each; returns each batch's base offset. */
async function appendMany(log: PartitionLog, n: number, perBatch = 1, valueBytes = 20): Promise<number[]> {
  const bases: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = log.append(batchOf(i, perBatch, valueBytes), clock.nowMs());
    bases.push(r.baseOffset);
    await r.written;
  }
  return bases;
}

describe("PartitionLog", () => {
  test("append assigns dense offsets and reads round-trip across segment rolls", async () => {
    using tmp = tempDir();
    const log = await openLog(tmp.dir, testConfig({ segmentBytes: 2000 }));
    const bases = await appendMany(log, 60, 3, 50);
    expect(bases).toEqual(Array.from({ length: 60 }, (_, i) => i * 3));
    expect(log.logEndOffset).toBe(180);
    expect(log.highWatermark).toBe(180);
    expect(log.segmentCount).toBeGreaterThan(5);
    for (let offset = 0; offset < 180; offset++) {
      const bytes = await readOk(log, offset, 1);
      expect(baseOffsets(bytes)).toEqual([offset - (offset % 3)]); // at least one whole batch
      expect(rb.validateBatches(bytes).ok).toBe(true);
    }
    expect((await readOk(log, 180)).length).toBe(0);
    expect(await log.read(181, 100)).toMatchObject({ ok: false, error: "offsetOutOfRange" });
    await log.close();
  });

  test("reads honour maxBytes and return whole batches", async () => {
    using tmp = tempDir();
    const log = await openLog(tmp.dir);
    await appendMany(log, 20);
    const size = batchOf(0).length;
    expect(baseOffsets(await readOk(log, 5, size * 3 + 1))).toEqual([5, 6, 7]);
    expect(baseOffsets(await readOk(log, 5, 10))).toEqual([5]);
    await log.close();
  });

  test("coalesces appends made while a write is in flight into one disk write", async () => {
    using tmp = tempDir();
    const counting = new CountingDisk(disk);
    const log = await PartitionLog.open({ disk: counting, dir: tmp.dir, config: testConfig(), clock });
    const before = counting.writes;
    const results = Array.from({ length: 50 }, (_, i) => log.append(batchOf(i), clock.nowMs()));
    await Promise.all(results.map((r) => r.written));
    expect(counting.writes - before).toBeLessThanOrEqual(2);
    expect(log.highWatermark).toBe(50);
    expect(baseOffsets(await readOk(log, 0))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await log.close();
  });

  test("reopen keeps everything and continues offsets", async () => {
    using tmp = tempDir();
    const config = testConfig({ segmentBytes: 1500 });
    const first = await openLog(tmp.dir, config);
    await appendMany(first, 40, 2);
    await first.close();
    const warnings: string[] = [];
    const log = await openLog(tmp.dir, config, { warnings });
    expect(warnings).toEqual([]);
    expect(log.logEndOffset).toBe(80);
    expect(log.highWatermark).toBe(80);
    for (let offset = 0; offset < 80; offset++) expect(baseOffsets(await readOk(log, offset, 1))).toEqual([offset & ~1]);
    const r = log.append(batchOf(99), clock.nowMs());
    expect(r.baseOffset).toBe(80);
    await r.written;
    await log.close();
  });

  test("rolls when the active segment is older than segmentMs", async () => {
    using tmp = tempDir();
    const log = await openLog(tmp.dir, testConfig({ segmentMs: 1000 }));
    await log.append(batchOf(0), clock.nowMs()).written;
    await log.append(batchOf(1), clock.nowMs() + 999).written;
    expect(log.segmentCount).toBe(1);
    await log.append(batchOf(2), clock.nowMs() + 1000).written;
    expect(log.segmentCount).toBe(2);
    // A read goes on into the next segment when the first ended within maxBytes.
    expect(baseOffsets(await readOk(log, 0))).toEqual([0, 1, 2]);
    expect(baseOffsets(await readOk(log, 2))).toEqual([2]);
    await log.close();
  });

  test("a failed write rejects it and every later append; nothing unwritten is acknowledged", async () => {
    using tmp = tempDir();
    const counting = new CountingDisk(disk);
    const log = await PartitionLog.open({ disk: counting, dir: tmp.dir, config: testConfig(), clock });
    await log.append(batchOf(0), clock.nowMs()).written;
    counting.failWrites = true;
    const a = log.append(batchOf(1), clock.nowMs());
    const b = log.append(batchOf(2), clock.nowMs());
    await expect(a.written).rejects.toThrow("injected");
    await expect(b.written).rejects.toThrow();
    expect(log.highWatermark).toBe(1);
    expect(() => log.append(batchOf(3), clock.nowMs())).toThrow(LogFailedError);
    await log.close();
  });

  test("offsetForTimestamp finds the first record at or after a timestamp", async () => {
    using tmp = tempDir();
    const log = await openLog(tmp.dir, testConfig({ segmentBytes: 1000 }));
    // Batch i has records at 1000*i + 0..3.
    for (let i = 0; i < 30; i++) {
      const records = [0, 1, 2, 3].map((d) => ({ value: `v${i}`, timestampDelta: d }));
      const { buildBatch } = await import("./batch-builder.ts");
      await log.append(buildBatch({ records, baseTimestamp: 1000 * i }), clock.nowMs()).written;
    }
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestampMs: 0 });
    expect(await log.offsetForTimestamp(5002)).toEqual({ offset: 22, timestampMs: 5002 });
    expect(await log.offsetForTimestamp(5004)).toEqual({ offset: 24, timestampMs: 6000 });
    expect(await log.offsetForTimestamp(29_003)).toEqual({ offset: 119, timestampMs: 29_003 });
    expect(await log.offsetForTimestamp(29_004)).toBeNull();
    await log.close();
    const reopened = await openLog(tmp.dir, testConfig({ segmentBytes: 1000 }));
    expect(await reopened.offsetForTimestamp(17_001)).toEqual({ offset: 69, timestampMs: 17_001 });
    await reopened.close();
  });

  test("reads served from the recent batch cache need no disk reads", async () => {
    using tmp = tempDir();
    const cache = new RecentBatchCache(1 << 20);
    const log = await openLog(tmp.dir, testConfig(), { cache });
    await appendMany(log, 10);
    const bytes = await readOk(log, 4);
    expect(baseOffsets(bytes)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(cache.hits).toBe(1);
    expect(cache.misses).toBe(0);
    await log.close();
    expect(cache.sizeBytes).toBe(0);
  });

  test("retention deletes whole sealed segments and moves logStartOffset", async () => {
    using tmp = tempDir();
    const config = testConfig({ segmentBytes: 1000, retentionBytes: 2500 });
    const log = await openLog(tmp.dir, config);
    await appendMany(log, 60);
    const segmentsBefore = log.segmentCount;
    expect(await retentionOnceSealed(log, clock.nowMs())).toBeGreaterThan(0);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    expect(log.sizeBytes).toBeGreaterThanOrEqual(2500 - 1000);
    const start = log.logStartOffset;
    expect(start).toBeGreaterThan(0);
    expect(await log.read(start - 1, 100)).toMatchObject({ ok: false, error: "offsetOutOfRange", logStartOffset: start });
    expect(baseOffsets(await readOk(log, start, 1))).toEqual([start]);
    await log.close();
    const reopened = await openLog(tmp.dir, config);
    expect(reopened.logStartOffset).toBe(start);
    expect(reopened.logEndOffset).toBe(60);
    await reopened.close();
  });

  test("retention by time deletes segments whose newest timestamp is too old", async () => {
    using tmp = tempDir();
    const log = await openLog(tmp.dir, testConfig({ segmentBytes: 500, retentionMs: 10_000 }));
    for (let i = 0; i < 20; i++) await log.append(batchOf(i, 1, 20, i < 10 ? 1000 : 50_000), clock.nowMs()).written;
    await retentionOnceSealed(log, 30_000);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeLessThanOrEqual(10);
    await log.close();
  });
});

describe("recovery of a corrupt tail", () => {
  const N = 12;
  const K = 7;

  async function writeLog(dir: string): Promise<number[]> {
    const log = await openLog(dir);
    const positions: number[] = [];
    let position = 0;
    for (let i = 0; i < N; i++) {
      const batch = batchOf(i, 2, 40);
      positions.push(position);
      position += batch.length;
      await log.append(batch, clock.nowMs()).written;
    }
    await log.close();
    return positions;
  }

  async function expectSurvivors(dir: string, survivors: number): Promise<void> {
    const warnings: string[] = [];
    const log = await openLog(dir, testConfig(), { warnings });
    expect(warnings.length).toBe(1);
    expect(log.logEndOffset).toBe(survivors * 2);
    for (let offset = 0; offset < survivors * 2; offset++) {
      const bytes = await readOk(log, offset, 1);
      expect(baseOffsets(bytes)).toEqual([offset & ~1]);
      expect(rb.validateBatches(bytes).ok).toBe(true);
    }
    const r = log.append(batchOf(100, 2, 40), clock.nowMs());
    expect(r.baseOffset).toBe(survivors * 2);
    await r.written;
    await log.close();
    const again = await openLog(dir, testConfig(), { warnings });
    expect(warnings.length).toBe(1);
    expect(again.logEndOffset).toBe(survivors * 2 + 2);
    expect(baseOffsets(await readOk(again, survivors * 2 - 1))).toContain(survivors * 2);
    await again.close();
  }

  const logFile = (dir: string) => `${dir}/00000000000000000000.log`;

  test("flipped byte inside batch k's payload", async () => {
    using tmp = tempDir();
    const positions = await writeLog(tmp.dir);
    const bytes = fs.readFileSync(logFile(tmp.dir));
    bytes[positions[K]! + rb.BATCH_HEADER_BYTES + 5]! ^= 0x01;
    fs.writeFileSync(logFile(tmp.dir), bytes);
    await expectSurvivors(tmp.dir, K);
  });

  test("truncated mid-batch", async () => {
    using tmp = tempDir();
    const positions = await writeLog(tmp.dir);
    fs.truncateSync(logFile(tmp.dir), positions[K]! + 30);
    await expectSurvivors(tmp.dir, K);
  });

  test("garbage appended after the last batch", async () => {
    using tmp = tempDir();
    await writeLog(tmp.dir);
    fs.appendFileSync(logFile(tmp.dir), new Uint8Array(100).fill(0xab));
    await expectSurvivors(tmp.dir, N);
  });

  test("a batch whose base offset breaks density", async () => {
    using tmp = tempDir();
    const positions = await writeLog(tmp.dir);
    const bytes = fs.readFileSync(logFile(tmp.dir));
    rb.setBaseOffset(bytes, 999, positions[K]!);
    fs.writeFileSync(logFile(tmp.dir), bytes);
    await expectSurvivors(tmp.dir, K);
  });

  test("missing or torn index files of a sealed segment are rebuilt", async () => {
    using tmp = tempDir();
    const config = testConfig({ segmentBytes: 1200 });
    const log = await openLog(tmp.dir, config);
    await appendMany(log, 50, 1, 60);
    await log.close();
    const names = fs.readdirSync(tmp.dir).filter((n) => n.endsWith(".index")).sort();
    expect(names.length).toBeGreaterThan(2);
    fs.rmSync(`${tmp.dir}/${names[0]}`);
    fs.truncateSync(`${tmp.dir}/${names[1]!.replace(".index", ".timeindex")}`, 5);
    const reopened = await openLog(tmp.dir, config);
    expect(reopened.logEndOffset).toBe(50);
    for (let offset = 0; offset < 50; offset++) expect(baseOffsets(await readOk(reopened, offset, 1))).toEqual([offset]);
    await reopened.close();
  });
});

describe("Flusher (group commit)", () => {
  test("many concurrent flush requests share few datasyncs", async () => {
    using tmp = tempDir();
    const counting = new CountingDisk(disk);
    const logs = await Promise.all(
      [0, 1, 2, 3].map((p) => PartitionLog.open({ disk: counting, dir: `${tmp.dir}/t/${p}`, config: testConfig(), clock })),
    );
    const latencies: number[] = [];
    const flusher = new Flusher(clock, (ms) => latencies.push(ms));
    const before = counting.datasyncs;
    const requests: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      const log = logs[i % 4]!;
      requests.push(log.append(batchOf(i), clock.nowMs()).written.then(() => flusher.requestFlush(log)));
    }
    await Promise.all(requests);
    const syncs = counting.datasyncs - before;
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThan(100);
    expect(latencies.length).toBe(flusher.rounds);
    expect(flusher.rounds).toBeLessThan(100);
    for (const log of logs) await log.close();
  });

  test("a request during a running round joins the next round", async () => {
    let calls = 0;
    let release: () => void = () => {};
    const slow = { flush: () => (calls++, new Promise<void>((r) => (release = r))) };
    const flusher = new Flusher(clock);
    const first = flusher.requestFlush(slow);
    await Promise.resolve();
    await Promise.resolve();
    const second = flusher.requestFlush(slow);
    const third = flusher.requestFlush(slow);
    expect(calls).toBe(1);
    release();
    await first;
    expect(calls).toBe(2);
    release();
    await Promise.all([second, third]);
    expect(flusher.rounds).toBe(2);
  });
});

describe("append payloads with several batches", () => {
  test("patches each batch's base offset", async () => {
    using tmp = tempDir();
    const log = await openLog(tmp.dir);
    const r = log.append(concatBytes([batchOf(0, 3), batchOf(1, 2), batchOf(2, 1)]), clock.nowMs());
    expect(r.baseOffset).toBe(0);
    expect(r.lastOffset).toBe(5);
    await r.written;
    expect(baseOffsets(await readOk(log, 4))).toEqual([3, 5]);
    await log.close();
  });
});

describe("DeleteRecords", () => {
  test("moves the start inside a segment, deletes whole segments below it, and survives a reopen", async () => {
    using tmp = tempDir();
    const config = testConfig({ segmentBytes: 1500 });
    const log = await openLog(tmp.dir, config);
    await appendMany(log, 40, 2, 50); // offsets 0..79 over several segments
    const segmentsBefore = log.segmentCount;
    await log.deleteRecordsBefore(51);
    expect(log.logStartOffset).toBe(51);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    expect((await log.read(50, 1 << 20)).ok).toBe(false);
    expect(baseOffsets(await readOk(log, 51))[0]).toBe(50); // the batch holding 51 is returned whole
    await log.deleteRecordsBefore(10); // never backwards
    expect(log.logStartOffset).toBe(51);
    await log.close();

    const reopened = await openLog(tmp.dir, config);
    expect(reopened.logStartOffset).toBe(51);
    expect(reopened.logEndOffset).toBe(80);
    await reopened.deleteRecordsBefore(80); // everything: the log is empty but keeps its end
    expect(reopened.logStartOffset).toBe(80);
    expect((await reopened.read(80, 1000)).ok).toBe(true);
    await reopened.close();
  });
});

describe("open files of sealed segments", () => {
  test("stay within the shard's bound; reads of closed ones reopen them", async () => {
    using tmp = tempDir();
    const sealedFiles = new SealedFileLru(3);
    const config = testConfig({ segmentBytes: 600 });
    const open = () => PartitionLog.open({ disk, dir: tmp.dir, config, clock, sealedFiles, indexIntervalBytes: 256 });
    const log = await open();
    await appendMany(log, 60, 1, 100); // ~20 segments
    await log.close();
    const reopened = await open(); // every segment but the last is sealed at open
    expect(reopened.segmentCount).toBeGreaterThan(10);
    expect(sealedFiles.openCount).toBeLessThanOrEqual(3);
    for (let offset = 0; offset < 60; offset++) {
      expect(baseOffsets(await readOk(reopened, offset, 1))).toEqual([offset]);
      expect(sealedFiles.openCount).toBeLessThanOrEqual(3);
    }
    expect(sealedFiles.closed).toBeGreaterThan(10);
    await reopened.close();
    expect(sealedFiles.openCount).toBe(0);
  });
});

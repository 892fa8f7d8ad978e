/**
 * Transactions in one partition's log: markers appended as control batches, the last stable
 * offset, the aborted-transaction index (per segment, durable, rebuilt when missing), recovery
 * of open transactions after a crash (SimDisk power loss), and compaction keeping markers and
 * the index. Reads are checked the way a read_committed client consumes them: records up to the
 * LSO, minus the aborted transactions the broker lists.
 */
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { buildBatch } from "./batch-builder.ts";
import { compactLog } from "./compaction.ts";
import { isControlBatch, type TxnMarker } from "./control-batch.ts";
import { type CleanupConfig, PartitionLog } from "./partition-log.ts";
import { loadProducerState, saveProducerState } from "./producer-snapshot.ts";
import type { ProducerState } from "./producer-state.ts";
import * as rb from "./record-batch.ts";
import { forEachRecord } from "./records.ts";
import { type AbortedFilter, readCommittedValues, testConfig } from "./test-helpers.ts";
import { abortedTxnsIn, appendMarker } from "./txn-markers.ts";
import { type AbortedTxn, collectAborted } from "./txn-index.ts";

const DIR = "/data/t/0";
const decoder = new TextDecoder();

interface Partition {
  log: PartitionLog;
  producers: ProducerState;
}

async function openPartition(disk: SimDisk, clock: ManualClock, cleanup?: CleanupConfig): Promise<Partition> {
  const log = await PartitionLog.open({ disk, dir: DIR, config: testConfig({ segmentBytes: 700, cleanup }), clock, indexIntervalBytes: 256 });
  return { log, producers: await loadProducerState(disk, log) };
}

/** Closes cleanly as the shard does: the log, then the producer snapshot. */
async function closePartition(disk: SimDisk, p: Partition): Promise<void> {
  await p.log.close();
  await saveProducerState(disk, p.log, p.producers);
}

/** Sequences per producer, so each test writes what a real producer would. */
const sequences = new Map<number, number>();

/** Produces one batch as the shard does (check, append, record), synced (acks=-1). */
async function produce(p: Partition, producerId: number, values: string[], opts: { transactional?: boolean; key?: string; epoch?: number } = {}): Promise<number> {
  const baseSequence = producerId < 0 ? -1 : (sequences.get(producerId) ?? 0);
  if (producerId >= 0) sequences.set(producerId, baseSequence + values.length);
  const records = values.map((value, i) => ({ key: opts.key ?? `k-${value}`, value, timestampDelta: i }));
  const bytes = buildBatch({ records, baseTimestamp: 1000, producerId, producerEpoch: producerId < 0 ? -1 : (opts.epoch ?? 0), baseSequence, transactional: opts.transactional ?? producerId >= 0 });
  expect(p.producers.checkPayload(bytes).kind).toBe("append");
  const appended = p.log.append(bytes, 1000, { sync: true });
  p.producers.recordPayload(bytes, appended.visible);
  await appended.written;
  await p.log.flush();
  await appended.visible;
  return appended.baseOffset;
}

async function end(p: Partition, producerId: number, commit: boolean, epoch = 0): Promise<number> {
  const marker: TxnMarker = { producerId, producerEpoch: epoch, commit, coordinatorEpoch: 0 };
  const result = appendMarker(p.log, p.producers, marker, 2000);
  if (result.kind !== "appended") throw new Error(`marker refused: ${result.kind}`);
  await result.appended.written;
  await p.log.flush();
  await result.appended.visible;
  return result.appended.baseOffset;
}

const lso = (p: Partition) => p.producers.lastStableOffset(p.log.highWatermark);

/**
 * What a read_committed consumer gets from the start: fetches up to the LSO, dropping the records
 * of the aborted transactions the broker lists the way `filter`'s clients do.
 */
async function consumeCommitted(p: Partition, maxBytes = 300, filter: AbortedFilter = "set"): Promise<string[]> {
  const values: string[] = [];
  const end = lso(p);
  for (let offset = p.log.logStartOffset; offset < end;) {
    const read = await p.log.read(offset, maxBytes, end);
    if (!read.ok || read.bytes.length === 0) throw new Error(`nothing read at ${offset} below the LSO ${end}`);
    const fetched = readCommittedValues(read.bytes, offset, abortedTxnsIn(p.log, offset, read.bytes), filter);
    values.push(...fetched.values);
    offset = fetched.nextOffset;
  }
  return values;
}

/** Everything up to the high watermark, markers aside (read_uncommitted). */
async function consumeAll(p: Partition): Promise<string[]> {
  const values: string[] = [];
  for (let offset = p.log.logStartOffset; offset < p.log.highWatermark; ) {
    const read = await p.log.read(offset, 1 << 20);
    if (!read.ok) throw new Error("out of range");
    rb.scanBatches(read.bytes, 0, (at) => {
      if (!isControlBatch(read.bytes, at)) forEachRecord(read.bytes, at, (r) => void (r.offset >= offset && values.push(decoder.decode(r.value!))));
      offset = rb.lastOffset(read.bytes, at) + 1;
    });
  }
  return values;
}

const allAborted = (p: Partition) => p.log.abortedTxns(0, p.log.highWatermark);

describe("transactions in a partition log", () => {
  test("read_committed sees committed records only, never past the LSO; read_uncommitted sees everything", async () => {
    const disk = new SimDisk(1);
    const clock = new ManualClock(1_000_000);
    const p = await openPartition(disk, clock);
    await produce(p, -1, ["plain-1"]);
    const firstOfA = await produce(p, 11, ["a-1", "a-2"]);
    const firstOfB = await produce(p, 12, ["b-1"]);
    await produce(p, 11, ["a-3"]);
    await produce(p, -1, ["plain-2"]);
    expect(lso(p)).toBe(firstOfA);
    expect(await consumeCommitted(p)).toEqual(["plain-1"]);
    const abortAt = await end(p, 11, false);
    expect(lso(p)).toBe(firstOfB);
    expect(await consumeCommitted(p)).toEqual(["plain-1"]);
    await produce(p, 12, ["b-2"]);
    await end(p, 12, true);
    expect(lso(p)).toBe(p.log.highWatermark);
    expect(await consumeCommitted(p)).toEqual(["plain-1", "b-1", "plain-2", "b-2"]);
    expect(await consumeCommitted(p, 1)).toEqual(["plain-1", "b-1", "plain-2", "b-2"]); // one batch per read
    expect(await consumeAll(p)).toEqual(["plain-1", "a-1", "a-2", "b-1", "a-3", "plain-2", "b-2"]);
    expect(allAborted(p)).toEqual([{ producerId: 11, firstOffset: firstOfA, lastOffset: abortAt, lastStableOffset: firstOfB }]);
    // A read between the LSO and the high watermark is empty, not out of range.
    await produce(p, 13, ["c-1"]);
    const empty = await p.log.read(p.log.highWatermark - 1, 1000, lso(p));
    expect(empty.ok && empty.bytes.length).toBe(0);
    await p.log.close();
  });

  test("the aborted list suits a client taking one listed transaction per record (kafkajs): a transaction with only its marker in range is left out, first offsets are each one's first batch in range", async () => {
    const disk = new SimDisk(1);
    const p = await openPartition(disk, new ManualClock(1_000_000));
    // What the transactional chaos run found: a tailing fetch from B's first record, A's abort marker in range.
    await produce(p, 51, ["a-1"]);
    const firstOfB = await produce(p, 52, ["b-1"]);
    await end(p, 51, false);
    await produce(p, 53, ["c-1"]);
    const secondOfC = await produce(p, 53, ["c-2"]);
    await produce(p, 52, ["b-2"]);
    await end(p, 53, false);
    await end(p, 52, false);
    await produce(p, -1, ["plain"]);
    const read = await p.log.read(firstOfB, 1 << 20, lso(p));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    for (const filter of ["set", "one-per-record"] as const) {
      expect(readCommittedValues(read.bytes, firstOfB, abortedTxnsIn(p.log, firstOfB, read.bytes), filter).values).toEqual(["plain"]);
      expect(await consumeCommitted(p, 1 << 20, filter)).toEqual(["plain"]);
      expect(await consumeCommitted(p, 1, filter)).toEqual(["plain"]); // one batch per fetch: every fetch starts inside a transaction
    }
    // A (begun before the fetch offset, nothing of it in range but its marker) is not listed; B and C from their first batches.
    expect(abortedTxnsIn(p.log, firstOfB, read.bytes)).toEqual([{ producerId: 52, firstOffset: firstOfB }, { producerId: 53, firstOffset: firstOfB + 2 }]);
    // From C's second batch, C is listed from there, not from its first offset.
    const fromC = await p.log.read(secondOfC, 1 << 20, lso(p));
    if (!fromC.ok) throw new Error("out of range");
    expect(abortedTxnsIn(p.log, secondOfC, fromC.bytes)).toEqual([{ producerId: 53, firstOffset: secondOfC }, { producerId: 52, firstOffset: secondOfC + 1 }]);
    await p.log.close();
  });

  test("after a crash mid-transaction the open transaction holds the LSO; the index is durable across segments and rebuilt when missing", async () => {
    const disk = new SimDisk(7);
    const clock = new ManualClock(1_000_000);
    let p = await openPartition(disk, clock);
    for (let i = 0; i < 4; i++) await produce(p, -1, [`plain-${i}`.padEnd(60, ".")]);
    const firstOfA = await produce(p, 21, ["a-1".padEnd(60, ".")]);
    await produce(p, 22, ["b-1".padEnd(60, ".")]);
    for (let i = 0; i < 6; i++) await produce(p, 21, [`a-${i + 2}`.padEnd(60, ".")]);
    expect(p.log.segmentCount).toBeGreaterThan(1);
    disk.crash(); // power loss: everything synced survives, producer state is rebuilt from the log
    p = await openPartition(disk, clock);
    expect(lso(p)).toBe(firstOfA);
    expect(p.producers.openTxnFirstOffset(22)).toBeGreaterThan(firstOfA);
    await end(p, 21, false);
    await end(p, 22, true);
    for (let i = 0; i < 8; i++) await produce(p, -1, [`late-${i}`.padEnd(60, ".")]); // rolls: the marker's segment gets sealed
    const expected = ["plain-0", "plain-1", "plain-2", "plain-3", "b-1", ...Array.from({ length: 8 }, (_, i) => `late-${i}`)];
    const trim = (values: string[]) => values.map((v) => v.replace(/\.+$/, ""));
    expect(trim(await consumeCommitted(p))).toEqual(expected);
    const aborted = allAborted(p);
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toMatchObject({ producerId: 21, firstOffset: firstOfA });

    // A clean close: the snapshot and every segment's .txnindex are used as they are.
    await closePartition(disk, p);
    p = await openPartition(disk, clock);
    expect(allAborted(p)).toEqual(aborted);
    expect(trim(await consumeCommitted(p))).toEqual(expected);
    await closePartition(disk, p);

    // The .txnindex of the marker's (sealed) segment goes missing: the full scan rebuilds and rewrites it.
    const markerSegment = disk.peekList(DIR).filter((n) => n.endsWith(".txnindex")).find((n) => disk.peek(`${DIR}/${n}`)!.length > 0)!;
    expect(markerSegment).toBeDefined();
    await disk.remove(`${DIR}/${markerSegment}`);
    p = await openPartition(disk, clock);
    expect(allAborted(p)).toEqual(aborted);
    expect(disk.peek(`${DIR}/${markerSegment}`)!.length).toBe(34);
    expect(trim(await consumeCommitted(p))).toEqual(expected);
    await p.log.close();
  });

  test("DeleteRecords and retention take aborted transactions with their segments; the rest stays consistent", async () => {
    const disk = new SimDisk(3);
    const clock = new ManualClock(1_000_000);
    const p = await openPartition(disk, clock);
    await produce(p, 31, ["x-1".padEnd(80, ".")]);
    await end(p, 31, false);
    for (let i = 0; i < 10; i++) await produce(p, -1, [`p-${i}`.padEnd(80, ".")]);
    const firstOfY = await produce(p, 32, ["y-1".padEnd(80, ".")]);
    await end(p, 32, false);
    await produce(p, -1, ["last"]);
    expect(allAborted(p).map((t) => t.producerId)).toEqual([31, 32]);
    await p.log.deleteRecordsBefore(firstOfY - 1);
    expect(p.log.logStartOffset).toBe(firstOfY - 1);
    expect(allAborted(p).map((t) => t.producerId)).toEqual([32]);
    expect((await consumeCommitted(p)).map((v) => v.replace(/\.+$/, ""))).toEqual(["p-9", "last"]);
    await p.log.close();
  });

  test("compaction removes aborted records, compacts committed ones like any, keeps every marker and the index, and stops at the LSO", async () => {
    const cleanup: CleanupConfig = { delete: false, compact: true, deleteRetentionMs: 0, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, minCleanableDirtyRatio: 0 };
    const disk = new SimDisk(5);
    const clock = new ManualClock(1_000_000);
    let p = await openPartition(disk, clock, cleanup);
    for (let round = 0; round < 3; round++) {
      await produce(p, 41, [`t-${round}`.padEnd(60, ".")], { key: "shared" });
      await end(p, 41, round !== 1); // round 1 aborts
      await produce(p, -1, [`plain-${round}`.padEnd(60, ".")], { key: "plain" });
    }
    // An open transaction: compaction must not pass its first offset.
    const openAt = await produce(p, 42, ["open-1".padEnd(60, ".")], { key: "shared" });
    for (let i = 0; i < 8; i++) await produce(p, -1, [`tail-${i}`.padEnd(60, ".")], { key: `tail-${i}` });
    const trim = (values: string[]) => values.map((v) => v.replace(/\.+$/, ""));
    const compact = () => compactLog(p.log, { nowMs: clock.nowMs(), keyMapBudgetBytes: 1 << 20, stableOffset: lso(p), pause: () => Promise.resolve() });
    const aborted = allAborted(p);
    const markers = async () => (await readBatches(p)).filter((b) => isControlBatch(b)).length;
    expect(await markers()).toBe(3);
    expect(lso(p)).toBe(openAt);
    const first = await compact();
    expect(await markers()).toBe(3);
    expect(allAborted(p)).toEqual(aborted);
    expect(trim(await consumeAll(p))).toContain("open-1"); // at or past the LSO: not cleaned
    expect(trim(await consumeAll(p))).not.toContain("t-1"); // aborted, in a segment below the LSO: gone
    await end(p, 42, true);
    const second = await compact();
    expect((first?.recordsRemoved ?? 0) + (second?.recordsRemoved ?? 0)).toBe(5); // t-0, t-2 (superseded), t-1 (aborted), plain-0, plain-1
    expect(await markers()).toBe(4);
    expect(allAborted(p)).toEqual(aborted);
    const expected = ["plain-2", "open-1", ...Array.from({ length: 8 }, (_, i) => `tail-${i}`)];
    expect(trim(await consumeAll(p))).toEqual(expected);
    expect(trim(await consumeCommitted(p))).toEqual(expected);
    // Power loss, then the state is rebuilt from the compacted log: no transaction is left open.
    disk.crash();
    p = await openPartition(disk, clock, cleanup);
    expect(lso(p)).toBe(p.log.highWatermark);
    // The rebuild indexes what the log still holds: the aborted transaction's records are gone, so it needs no entry.
    expect(allAborted(p)).toEqual([]);
    expect(trim(await consumeCommitted(p))).toEqual(expected);
    await p.log.close();
  });
});

async function readBatches(p: Partition): Promise<Uint8Array[]> {
  const batches: Uint8Array[] = [];
  for (let offset = p.log.logStartOffset; offset < p.log.highWatermark; ) {
    const read = await p.log.read(offset, 1 << 20);
    if (!read.ok) throw new Error("out of range");
    rb.scanBatches(read.bytes, 0, (at, size) => {
      batches.push(read.bytes.slice(at, at + size));
      offset = rb.lastOffset(read.bytes, at) + 1;
    });
  }
  return batches;
}

describe("collectAborted", () => {
  test("finds the entries overlapping a range by binary search, and stops where an LSO reaches the bound", () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({ producerId: i, firstOffset: i * 10, lastOffset: i * 10 + 5, lastStableOffset: i * 10 + 6 }));
    const found: AbortedTxn[] = [];
    expect(collectAborted(entries, 503, 530, found)).toBe(true);
    expect(found.map((e) => e.producerId)).toEqual([50, 51, 52]);
    const none: AbortedTxn[] = [];
    expect(collectAborted(entries, 2000, 2100, none)).toBe(false);
    expect(none).toEqual([]);
    expect(collectAborted(entries, 507, 509, none)).toBe(true); // entry 50's LSO (506) < 509 but 51's first offset 510 is past: found by 51's LSO
    expect(none).toEqual([]);
  });
});

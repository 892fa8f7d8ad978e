/**
 * Seeded random transactions in one partition log on SimDisk, then a power loss, then a reopen:
 * three transactional producers and a plain one interleave batches, commits and aborts, with
 * segment rolls, synced (acks=-1) and unsynced (acks=1) appends. After the crash the log keeps
 * a prefix; an independent model of that prefix (not ProducerState) says what the rebuilt
 * partition must answer: its last stable offset, its aborted transactions (producer, first
 * offset), and the values a read_committed client reads, whichever way it filters the aborted
 * list (a set of aborted producers as Java does, or one listed transaction per record as kafkajs
 * does). The seed is printed on failure.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { mulberry32 } from "../base/random.ts";
import { buildBatch } from "./batch-builder.ts";
import { PartitionLog } from "./partition-log.ts";
import { loadProducerState } from "./producer-snapshot.ts";
import type { ProducerState } from "./producer-state.ts";
import { type AbortedFilter, readCommittedValues, testConfig } from "./test-helpers.ts";
import { abortedTxnsIn, appendMarker } from "./txn-markers.ts";

const DIR = "/data/t/0";

type Event = { kind: "data"; offset: number; producerId: number; value: string } | { kind: "marker"; offset: number; producerId: number; commit: boolean };

/** What a prefix of the events must read as, computed from the events alone. */
function model(events: Event[], endOffset: number) {
  const kept = events.filter((e) => e.offset < endOffset);
  const openFrom = new Map<number, number>();
  const aborted: Array<{ producerId: number; firstOffset: number }> = [];
  const fate = new Map<Event, "committed" | "aborted" | "open">();
  const pending = new Map<number, Event[]>();
  for (const e of kept) {
    if (e.kind === "data") {
      if (e.producerId < 0) {
        fate.set(e, "committed");
        continue;
      }
      if (!openFrom.has(e.producerId)) openFrom.set(e.producerId, e.offset);
      pending.set(e.producerId, [...(pending.get(e.producerId) ?? []), e]);
      fate.set(e, "open");
    } else if (openFrom.has(e.producerId)) {
      if (!e.commit) aborted.push({ producerId: e.producerId, firstOffset: openFrom.get(e.producerId)! });
      for (const d of pending.get(e.producerId) ?? []) fate.set(d, e.commit ? "committed" : "aborted");
      openFrom.delete(e.producerId);
      pending.delete(e.producerId);
    }
  }
  const lso = Math.min(endOffset, ...openFrom.values());
  const committed = kept.filter((e) => e.kind === "data" && e.offset < lso && fate.get(e) === "committed").map((e) => (e as { value: string }).value);
  return { lso, aborted, committed };
}

async function readCommitted(log: PartitionLog, lso: number, filter: AbortedFilter): Promise<string[]> {
  const values: string[] = [];
  for (let offset = log.logStartOffset; offset < lso;) {
    const read = await log.read(offset, 700, lso);
    if (!read.ok || read.bytes.length === 0) throw new Error(`nothing at ${offset} below ${lso}`);
    const fetched = readCommittedValues(read.bytes, offset, abortedTxnsIn(log, offset, read.bytes), filter);
    values.push(...fetched.values);
    offset = fetched.nextOffset;
  }
  return values;
}

async function run(seed: number): Promise<void> {
  const random = mulberry32(seed);
  const disk = new SimDisk(seed);
  const clock = new ManualClock(1_000_000);
  const config = testConfig({ segmentBytes: 400 + Math.floor(random() * 800) });
  const log = await PartitionLog.open({ disk, dir: DIR, config, clock, indexIntervalBytes: 128 });
  const producers: ProducerState = await loadProducerState(disk, log);
  const events: Event[] = [];
  const sequences = new Map<number, number>();
  const open = new Set<number>();
  const steps = 30 + Math.floor(random() * 50);
  for (let step = 0; step < steps; step++) {
    const sync = random() < 0.7 || step < steps / 2; // the tail is partly unsynced: a crash may lose some of it
    const producerId = [-1, 1, 2, 3][Math.floor(random() * 4)]!;
    const pending: Array<Promise<void>> = [];
    if (producerId >= 0 && open.has(producerId) && random() < 0.35) {
      const commit = random() < 0.6;
      const result = appendMarker(log, producers, { producerId, producerEpoch: 0, commit, coordinatorEpoch: 0 }, clock.nowMs());
      if (result.kind !== "appended") throw new Error(`seed ${seed}: marker refused`);
      events.push({ kind: "marker", offset: result.appended.baseOffset, producerId, commit });
      open.delete(producerId);
      pending.push(result.appended.written);
    } else {
      const value = `s${step}-p${producerId}`;
      const sequence = sequences.get(producerId) ?? 0;
      const bytes = buildBatch({ records: [{ value: value.padEnd(40, ".") }], baseTimestamp: clock.nowMs(), producerId, producerEpoch: producerId < 0 ? -1 : 0, baseSequence: producerId < 0 ? -1 : sequence, transactional: producerId >= 0 });
      expect(producers.checkPayload(bytes).kind).toBe("append");
      const appended = log.append(bytes, clock.nowMs(), { sync });
      producers.recordPayload(bytes, appended.visible);
      if (producerId >= 0) {
        sequences.set(producerId, sequence + 1);
        open.add(producerId);
      }
      events.push({ kind: "data", offset: appended.baseOffset, producerId, value: value.padEnd(40, ".") });
      pending.push(appended.written);
    }
    await Promise.all(pending);
    if (sync) await log.flush();
    clock.advance(10);
  }
  const live = model(events, log.highWatermark);
  expect(producers.lastStableOffset(log.highWatermark)).toBe(live.lso);
  disk.crash();
  const reopened = await PartitionLog.open({ disk, dir: DIR, config, clock, indexIntervalBytes: 128 });
  const rebuilt = await loadProducerState(disk, reopened);
  const expected = model(events, reopened.logEndOffset);
  const lso = rebuilt.lastStableOffset(reopened.highWatermark);
  expect({ seed, lso }).toEqual({ seed, lso: expected.lso });
  expect({ seed, aborted: reopened.abortedTxns(0, reopened.highWatermark).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })) }).toEqual({ seed, aborted: expected.aborted });
  const committed = expected.committed.map((v) => v.replace(/\.+$/, ""));
  for (const filter of ["set", "one-per-record"] as const) {
    expect({ seed, filter, values: (await readCommitted(reopened, lso, filter)).map((v) => v.replace(/\.+$/, "")) }).toEqual({ seed, filter, values: committed });
  }
  await reopened.close();
}

test("random transactions, a power loss, a reopen: LSO, aborted index and read_committed values match a model of what survived", async () => {
  const base = Number(process.env.SKUA_FUZZ_SEED ?? 1);
  for (let seed = base; seed < base + 60; seed++) await run(seed);
}, 60_000);

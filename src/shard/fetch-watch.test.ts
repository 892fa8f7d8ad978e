/**
 * The owner's fetch watch (LocalPartitions over a real disk): it wakes only when a partition
 * differs from what the fetch read — new data, a moved log start, the partition gone — never
 * just because data exists past the fetch offset; unwatch ends it early; caught-up reads are
 * answered without I/O and with empty (never null) records.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../base/clock.ts";
import { systemTimers } from "../base/timers.ts";
import { logger } from "../base/log.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import { LocalPartitions } from "./local-partitions.ts";
import { readWaitingOn } from "../kafka/fetch-wait.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const LONG_WAIT_MS = 60_000;
const TABLE = { version: 1, shardCount: 1, topics: [{ name: "t", id: "6c1b4bde-5d0c-4c39-8b7e-2f0e1f7c9a11", shards: [0, 0], configs: {} }] };

async function partitions(): Promise<LocalPartitions> {
  const dataDir = mkdtempSync(join(tmpdir(), "skua-watch-"));
  dirs.push(dataDir);
  const local = new LocalPartitions({ shardId: 0, disk: new PosixDisk(), dataDir, props: defaultProperties(), clock: systemClock, timers: systemTimers, log: logger("test"), onFsyncMs: () => {} });
  await local.sync(MetadataTable.fromSnapshot(TABLE));
  return local;
}

const produceTo = (local: LocalPartitions, partition: number) => local.produce([{ topic: "t", partition, records: buildBatch({ records: [{ value: "x" }] }), acks: 1 }]);

/** Settles `promise` against a turn of the event loop: undefined while it is still pending. */
async function settledNow<T>(promise: Promise<T>): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
}

test("a watch of what was read sleeps while data it already read sits past the fetch offset, and wakes on a produce", async () => {
  const local = await partitions();
  await produceTo(local, 0);
  const [read] = await local.read([{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20 }]);
  expect([read.errorCode, read.highWatermark, read.records.length > 0]).toEqual([ErrorCode.NONE, 1, true]);

  const watch = local.watch("w1", [{ topic: "t", partition: 0, highWatermark: read.highWatermark, logStartOffset: read.logStartOffset }], LONG_WAIT_MS);
  expect(await settledNow(watch)).toBeUndefined();
  await produceTo(local, 1); // another partition: no news for this watch
  expect(await settledNow(watch)).toBeUndefined();
  await produceTo(local, 0);
  expect(await watch).toEqual({ woken: true });
  await local.closeAll();
});

test("a watch wakes at once when the partition already changed, on DeleteRecords, and on release; unwatch ends it", async () => {
  const local = await partitions();
  await produceTo(local, 0);
  await produceTo(local, 0);
  const seen = { topic: "t", partition: 0, highWatermark: 1, logStartOffset: 0 };
  expect(await local.watch("stale", [seen], LONG_WAIT_MS)).toEqual({ woken: true });

  const now = { ...seen, highWatermark: 2 };
  const trimmed = local.watch("trim", [now], LONG_WAIT_MS);
  await local.deleteRecords([{ topic: "t", partition: 0, offset: 1 }]);
  expect(await trimmed).toEqual({ woken: true });

  const cancelled = local.watch("cancel", [{ ...now, logStartOffset: 1 }], LONG_WAIT_MS);
  expect(await settledNow(cancelled)).toBeUndefined();
  await local.unwatch("cancel");
  expect(await cancelled).toEqual({ woken: false });
  await local.unwatch("cancel"); // already over: nothing to do

  const moved = local.watch("move", [{ ...now, logStartOffset: 1 }], LONG_WAIT_MS);
  await local.release({ topic: "t", partition: 0 });
  expect(await moved).toEqual({ woken: true });
  await local.closeAll();
});

test("reads carry empty records, never null: caught up, out of range, not on this shard", async () => {
  const local = await partitions();
  await produceTo(local, 0);
  const answers = await local.read([
    { topic: "t", partition: 0, fetchOffset: 1, maxBytes: 1 << 20 },
    { topic: "t", partition: 0, fetchOffset: 5, maxBytes: 1 << 20 },
    { topic: "t", partition: 7, fetchOffset: 0, maxBytes: 1 << 20 },
  ]);
  expect(answers.map((a) => [a.errorCode, a.highWatermark, a.records.length])).toEqual([
    [ErrorCode.NONE, 1, 0],
    [ErrorCode.OFFSET_OUT_OF_RANGE, 1, 0],
    [ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, 0],
  ]);
  await local.closeAll();
});

test("the owner's whole read-and-wait (readWaiting): sleeps while caught up, answers the new records of a produce, and empty at max_wait_ms", async () => {
  const local = await partitions();
  await produceTo(local, 0);
  const tail = { topic: "t", partition: 0, fetchOffset: 1, maxBytes: 1 << 20 };
  const waiting = readWaitingOn(local.servers, 0, systemClock, { items: [tail], minBytes: 1, maxBytes: 1 << 20, waitMs: LONG_WAIT_MS });
  expect(await settledNow(waiting)).toBeUndefined();
  await produceTo(local, 1); // another partition: no news for this fetch
  expect(await settledNow(waiting)).toBeUndefined();
  await produceTo(local, 0);
  const [answer] = await waiting;
  expect([answer.errorCode, answer.highWatermark, answer.records.length > 0]).toEqual([ErrorCode.NONE, 2, true]);

  const startedMs = performance.now();
  const [timedOut] = await readWaitingOn(local.servers, 0, systemClock, { items: [{ ...tail, fetchOffset: 2 }], minBytes: 1, maxBytes: 1 << 20, waitMs: 50 });
  expect([timedOut.errorCode, timedOut.records.length]).toEqual([ErrorCode.NONE, 0]);
  expect(performance.now() - startedMs).toBeGreaterThanOrEqual(45);
  await local.closeAll();
});

import { expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { ManualClock } from "../base/clock.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { buildBatch } from "./batch-builder.ts";
import { PartitionLog } from "./partition-log.ts";
import { decodeSnapshot, encodeSnapshot, loadProducerState, saveProducerState } from "./producer-snapshot.ts";
import { ProducerState } from "./producer-state.ts";
import * as rb from "./record-batch.ts";
import { tempDir, testConfig } from "./test-helpers.ts";

const disk = new PosixDisk();
const clock = new ManualClock(1_000_000);
const open = (dir: string) => PartitionLog.open({ disk, dir, config: testConfig(), clock, indexIntervalBytes: 256 });
const batch = (producerId: number, baseSequence: number, count = 1) =>
  buildBatch({ records: Array.from({ length: count }, () => ({ value: "v".repeat(100) })), producerId, producerEpoch: 0, baseSequence });

async function appendAll(log: PartitionLog, batches: Uint8Array[]): Promise<ProducerState> {
  const state = new ProducerState();
  for (const b of batches) {
    const appended = log.append(b, clock.nowMs());
    state.recordPayload(b, null);
    await appended.written;
  }
  return state;
}

test("a snapshot round-trips; torn or corrupt bytes decode to null", () => {
  const state = new ProducerState();
  state.record({ producerId: 3, producerEpoch: 2, firstSequence: 0, lastSequence: 4 }, 10, 14, null);
  const bytes = encodeSnapshot(state, 15);
  const decoded = decodeSnapshot(bytes)!;
  expect(decoded.endOffset).toBe(15);
  expect(decoded.state.snapshot()).toEqual([[3, 2, [[0, 4, 10, 14]], -1, -1, -1]]);
  expect(decodeSnapshot(bytes.subarray(0, bytes.length - 1))).toBeNull();
  const flipped = new Uint8Array(bytes);
  flipped[flipped.length - 2] ^= 1;
  expect(decodeSnapshot(flipped)).toBeNull();
});

test("scanBatchHeaders from an offset visits only the batches ending at or after it", async () => {
  using tmp = tempDir();
  const log = await open(tmp.dir);
  await appendAll(log, Array.from({ length: 40 }, (_, i) => batch(1, i * 2, 2)));
  const bases: number[] = [];
  await log.scanBatchHeaders((bytes, at) => void bases.push(rb.baseOffset(bytes, at)), 51);
  expect(bases).toEqual(Array.from({ length: 15 }, (_, i) => 50 + i * 2));
  await log.close();
});

test("reopening loads the snapshot, scans only what came after it, and removes it", async () => {
  using tmp = tempDir();
  let log = await open(tmp.dir);
  const state = await appendAll(log, [batch(1, 0, 3), batch(2, 0)]);
  await log.close();
  await saveProducerState(disk, log, state);
  // Written after the snapshot (by an owner that did not load it): found by the tail scan.
  log = await open(tmp.dir);
  await appendAll(log, [batch(1, 3, 2)]);
  await log.close();
  log = await open(tmp.dir);
  const loaded = await loadProducerState(disk, log);
  expect(existsSync(`${tmp.dir}/producer_state.snapshot`)).toBe(false);
  expect(loaded.snapshot()).toEqual([[2, 0, [[0, 0, 3, 3]], -1, 0, -1], [1, 0, [[0, 2, 0, 2], [3, 4, 4, 5]], -1, 0, -1]]);
  await log.close();
});

test("a snapshot past the log end (the log was cut) or a corrupt one is ignored for a full scan", async () => {
  using tmp = tempDir();
  let log = await open(tmp.dir);
  const state = await appendAll(log, [batch(7, 0)]);
  await log.close();
  const lying = new ProducerState();
  lying.record({ producerId: 9, producerEpoch: 0, firstSequence: 0, lastSequence: 0 }, 0, 0, null);
  writeFileSync(`${tmp.dir}/producer_state.snapshot`, encodeSnapshot(lying, 99));
  log = await open(tmp.dir);
  expect((await loadProducerState(disk, log)).snapshot()).toEqual(state.snapshot());
  await log.close();
  writeFileSync(`${tmp.dir}/producer_state.snapshot`, "not a snapshot");
  log = await open(tmp.dir);
  expect((await loadProducerState(disk, log)).snapshot()).toEqual(state.snapshot());
  await log.close();
});

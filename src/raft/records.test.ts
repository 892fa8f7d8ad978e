/** The raft's durable records and batches: hard state slots, configuration batches, quorum arithmetic. */
import { expect, test } from "bun:test";
import { SimDisk } from "../io/sim-disk.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import { checkConfig, configBatch, decodeConfigBatch, quorumIndex } from "./config.ts";
import { HardStateFile } from "./hard-state.ts";

test("hard state: starts at (0, none), saves survive a crash, the newest valid slot wins", async () => {
  const disk = new SimDisk(1);
  let hs = await HardStateFile.open(disk, "/g");
  expect(hs.current).toEqual({ term: 0, votedFor: -1 });
  await hs.save({ term: 3, votedFor: 2 });
  await hs.save({ term: 4, votedFor: -1 });
  await hs.save({ term: 4, votedFor: 5 });
  disk.crash();
  hs = await HardStateFile.open(disk, "/g");
  expect(hs.current).toEqual({ term: 4, votedFor: 5 });
});

test("hard state: a torn or corrupt slot is ignored and the previous save stands", async () => {
  for (let seed = 0; seed < 20; seed++) {
    const disk = new SimDisk(seed);
    const hs = await HardStateFile.open(disk, "/g");
    await hs.save({ term: 7, votedFor: 1 }); // slot 1
    // The next save would go to slot 0: land a torn copy of it there without fdatasync, then lose power.
    const file = await disk.open("/g/raft-state", { create: false });
    const garbage = new Uint8Array(32).map((_, i) => (i * 37 + seed) & 0xff);
    await file.write(0, garbage.subarray(0, 1 + (seed % 31)));
    disk.crash();
    expect((await HardStateFile.open(disk, "/g")).current).toEqual({ term: 7, votedFor: 1 });
  }
});

test("hard state: the term never goes back and a vote never changes within a term", async () => {
  const hs = await HardStateFile.open(new SimDisk(2), "/g");
  await hs.save({ term: 5, votedFor: 3 });
  await expect(hs.save({ term: 4, votedFor: -1 })).rejects.toThrow("hard state");
  await expect(hs.save({ term: 5, votedFor: 2 })).rejects.toThrow("hard state");
  await hs.save({ term: 5, votedFor: 3 });
});

test("configuration batches: round trip, a control batch Kafka clients skip, data and transaction markers are not configurations", () => {
  const config = { voters: [1, 2, 5], learners: [7] };
  const bytes = configBatch(config, 1234);
  expect(rb.validateBatches(bytes).ok).toBe(true);
  expect(rb.attributes(bytes) & rb.ATTR_CONTROL).toBe(rb.ATTR_CONTROL);
  expect(decodeConfigBatch(bytes)).toEqual(config);
  expect(decodeConfigBatch(buildBatch({ records: [{ value: "x" }] }))).toBeNull();
  // A transaction commit marker: control key (version 0, type 1).
  const marker = buildBatch({ records: [{ key: new Uint8Array([0, 0, 0, 1]), value: new Uint8Array(6) }], transactional: true });
  const view = new DataView(marker.buffer);
  view.setInt16(rb.Field.attributes, rb.attributes(marker) | rb.ATTR_CONTROL);
  view.setUint32(rb.Field.crc, rb.computeCrc(marker));
  expect(decodeConfigBatch(marker)).toBeNull();
});

test("configurations must be non-empty, sorted, distinct and disjoint", () => {
  expect(() => checkConfig({ voters: [], learners: [1] })).toThrow();
  expect(() => checkConfig({ voters: [2, 1], learners: [] })).toThrow();
  expect(() => checkConfig({ voters: [1, 2], learners: [2] })).toThrow();
  checkConfig({ voters: [1], learners: [2, 3] });
});

test("quorum index: the largest index a majority of voters holds", () => {
  const at = (m: Record<number, number>) => (id: number) => m[id] ?? -1;
  expect(quorumIndex({ voters: [1], learners: [] }, at({ 1: 9 }))).toBe(9);
  expect(quorumIndex({ voters: [1, 2, 3], learners: [] }, at({ 1: 9, 2: 4, 3: 1 }))).toBe(4);
  expect(quorumIndex({ voters: [1, 2, 3, 4], learners: [] }, at({ 1: 9, 2: 4, 3: 1, 4: 8 }))).toBe(4);
  expect(quorumIndex({ voters: [1, 2, 3, 4, 5], learners: [9] }, at({ 1: 9, 2: 4, 3: 1, 9: 100 }))).toBe(1);
});

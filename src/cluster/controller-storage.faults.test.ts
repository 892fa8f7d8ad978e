/**
 * The controller's own files on the fault-injecting SimDisk (failed, short writes, fsync
 * errors while running; power loss with torn unsynced writes between runs): every metadata
 * update that was acknowledged survives crash and reopen in order, a torn tail is cut, and
 * producer ids are never handed out twice across crashes. Seeds are printed; rerun one with
 * SKUA_SEED=<seed>.
 */
import { expect, test } from "bun:test";
import { frameRecords } from "../base/framed-records.ts";
import { mulberry32 } from "../base/random.ts";
import { noFaults, SimDisk } from "../io/sim-disk.ts";
import type { MetadataUpdate } from "./metadata.ts";
import { MetadataLog } from "./metadata-log.ts";
import { ProducerIdStore } from "./producer-ids.ts";

const RUNS = 6;
const CYCLES = 30;
const STEPS_PER_CYCLE = 15;
const DATA_DIR = "/data";
const faultsOn = { writeFailProbability: 0.1, shortWriteProbability: 0.08, fsyncFailProbability: 0.1 };

const seeds = Array.from({ length: RUNS }, (_, run) => (process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : (Date.now() + run * 7919) >>> 0));
const framedBytes = (updates: MetadataUpdate[]) => updates.reduce((n, u) => n + frameRecords([new TextEncoder().encode(JSON.stringify(u))]).length, 0);

for (const seed of seeds) {
  test(`acknowledged metadata updates survive crashes; torn tails are cut (seed ${seed})`, async () => {
    console.log(`metadata-log faults seed=${seed}`);
    const random = mulberry32(seed ^ 0x3e7a);
    const disk = new SimDisk(seed);
    let history: MetadataUpdate[] = []; // acknowledged, plus what recovery kept of an unacknowledged last one
    let failedAttempts: MetadataUpdate[] = [];
    let cut = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      disk.faults = noFaults;
      const { log, updates } = await MetadataLog.open(disk, DATA_DIR, () => cut++);
      expect(updates.slice(0, history.length)).toEqual(history);
      expect(updates.length).toBeLessThanOrEqual(history.length + 1);
      if (updates.length > history.length) expect(failedAttempts).toContainEqual(updates.at(-1)!);
      history = updates;
      const file = await disk.open(`${DATA_DIR}/controller/metadata.log`, { create: false });
      expect(await file.size()).toBe(framedBytes(history)); // nothing past the last whole record
      failedAttempts = [];
      disk.faults = { ...noFaults, ...faultsOn };
      for (let step = 0; step < STEPS_PER_CYCLE; step++) {
        const update: MetadataUpdate = { version: history.length + 1, changes: [{ kind: "delete_topic", name: `t${cycle}-${step}-${"x".repeat(Math.floor(random() * 200))}` }] };
        try {
          await log.append(update);
          history.push(update);
          failedAttempts = [];
        } catch {
          failedAttempts.push(update); // not acknowledged: the controller retries with the same version
        }
      }
      // Power fails in the middle of an append: its write is issued, its fdatasync not yet.
      const torn: MetadataUpdate = { version: history.length + 1, changes: [{ kind: "delete_topic", name: `torn-${cycle}-${"y".repeat(Math.floor(random() * 300))}` }] };
      failedAttempts.push(torn);
      void log.append(torn).catch(() => {});
      disk.crash();
    }
    expect(cut).toBeGreaterThan(0); // torn tails did occur, and were cut
    expect(history.length).toBeGreaterThan(CYCLES); // the run did make progress
    expect(disk.faultsInjected).toBeGreaterThan(0);
    console.log(`metadata-log faults seed=${seed}: ${history.length} updates kept, ${disk.faultsInjected} faults, ${cut} tails cut`);
  });

  test(`producer ids are never reused across crashes (seed ${seed})`, async () => {
    console.log(`producer-ids faults seed=${seed}`);
    const random = mulberry32(seed ^ 0x91d);
    const disk = new SimDisk(seed);
    const handedOut: Array<{ firstId: number; count: number }> = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      disk.faults = noFaults;
      const store = await ProducerIdStore.open(disk, DATA_DIR);
      disk.faults = { ...noFaults, ...faultsOn };
      // Concurrent callers, as when several shards ask at once; each block must be unique.
      const asks = Array.from({ length: STEPS_PER_CYCLE }, () => store.allocate(1 + Math.floor(random() * 1000)).catch(() => null));
      for (const block of await Promise.all(asks)) if (block) handedOut.push(block);
      disk.crash();
    }
    disk.faults = noFaults;
    const next = await (await ProducerIdStore.open(disk, DATA_DIR)).allocate(1);
    const sorted = [...handedOut, next].sort((a, b) => a.firstId - b.firstId);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].firstId).toBeGreaterThanOrEqual(sorted[i - 1].firstId + sorted[i - 1].count);
    expect(sorted.at(-1)).toBe(next); // after every crash, new ids start past all handed out
    expect(handedOut.length).toBeGreaterThan(CYCLES);
  });
}

/** The group log: group commit, torn-tail recovery, compaction. */
import { describe, expect, test } from "bun:test";
import { SimDisk } from "../io/sim-disk.ts";
import { GroupLog, type GroupRecord } from "./group-log.ts";

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
const DIR = "/groups/0";
const offset = (o: number): GroupRecord => ({ k: "o", g: "g", t: "t", p: 0, o, e: -1, m: null, ts: 0 });

describe(`group log (SEED=${SEED})`, () => {
  test("concurrent appends share writes; after power loss every acknowledged record is there, in order", async () => {
    for (let round = 0; round < 20; round++) {
      const disk = new SimDisk(SEED + round);
      const { log } = await GroupLog.open({ disk, dir: DIR, warn: () => {} });
      const acked: number[] = [];
      const appends = Array.from({ length: 50 }, (_, i) => log.append([offset(i)]).then(() => acked.push(i)));
      await Promise.all(appends.slice(0, 25));
      void log.append([offset(999)]); // not awaited: may or may not survive, but never corrupts
      const ackedAtCrash = [...acked];
      disk.crash();
      const { records } = await GroupLog.open({ disk, dir: DIR, warn: () => {} });
      const offsets = records.map((r) => (r.k === "o" ? r.o : -1));
      for (const i of ackedAtCrash) expect(offsets).toContain(i);
      expect(offsets.filter((o) => o !== 999)).toEqual([...offsets.filter((o) => o !== 999)].sort((a, b) => a - b));
    }
  });

  test("compaction keeps exactly the live records, and later appends follow them", async () => {
    const disk = new SimDisk(SEED);
    const { log } = await GroupLog.open({ disk, dir: DIR, warn: () => {} });
    for (let i = 0; i < 100; i++) await log.append([offset(i)]);
    const before = log.bytes;
    await log.compact(() => [offset(99)]);
    expect(log.bytes).toBeLessThan(before / 50);
    await log.append([offset(100)]);
    await log.close();
    const { records } = await GroupLog.open({ disk, dir: DIR, warn: () => {} });
    expect(records).toEqual([offset(99), offset(100)]);
  });
});

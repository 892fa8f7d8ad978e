/**
 * Compaction under a crash at every step of the rewrite and the swap: the process dies at the
 * n-th disk operation (every later one fails), SimDisk then loses what was not synced (a random,
 * maybe torn, prefix of unsynced writes survives), and the log is reopened. Whatever n, the log
 * opens, reads back whole (CRC-checked batches, rising offsets), holds the same latest value for
 * every key as before compaction, and compacts to the same records when run again.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import type { Disk, DiskFile } from "../io/disk.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { compactLog } from "./compaction.ts";
import { keyedBatch, latestByKey, readLog } from "./compaction-test-helpers.ts";
import { PartitionLog } from "./partition-log.ts";
import { testConfig } from "./test-helpers.ts";

class Crashed extends Error {}

/** Passes operations through until the `crashAt`-th one; that one and all later ones throw. */
class CrashingDisk implements Disk {
  readonly name = "crashing";
  ops = 0;
  constructor(private readonly inner: Disk, private readonly crashAt: number) {}
  private step(): void {
    if (++this.ops >= this.crashAt) throw new Crashed(`crash at op ${this.crashAt}`);
  }
  async open(p: string, opts: { create: boolean }): Promise<DiskFile> {
    if (opts.create) this.step();
    const file = await this.inner.open(p, opts);
    const step = () => this.step();
    const dead = () => this.ops >= this.crashAt;
    return {
      path: file.path,
      size: () => file.size(),
      write: async (position, data) => (step(), file.write(position, data)),
      writtenThrough: (end) => file.writtenThrough(end),
      read: async (position, length) => {
        if (dead()) throw new Crashed("read after the crash");
        return file.read(position, length);
      },
      datasync: async () => (step(), file.datasync()),
      truncate: async (size) => (step(), file.truncate(size)),
      close: () => file.close(),
    };
  }
  mkdirp = (d: string) => this.inner.mkdirp(d);
  list = (d: string) => this.inner.list(d);
  remove = async (p: string) => (this.step(), this.inner.remove(p));
  rename = async (a: string, b: string) => (this.step(), this.inner.rename(a, b));
  exists = (p: string) => this.inner.exists(p);
  space = (dir: string) => this.inner.space(dir);
  syncDir = async (d: string) => (this.step(), this.inner.syncDir(d));
}

const cleanup = { delete: false, compact: true, deleteRetentionMs: 86_400_000, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, minCleanableDirtyRatio: 0 };
const DIR = "/data/t/0";
const open = (disk: Disk, clock: ManualClock) => PartitionLog.open({ disk, dir: DIR, config: testConfig({ segmentBytes: 1500, cleanup }), clock, indexIntervalBytes: 256 });

/** A log of 12 rounds over 16 keys (gzip every third round), closed cleanly; its records. */
async function seed(disk: SimDisk, clock: ManualClock) {
  const log = await open(disk, clock);
  for (let round = 0; round < 12; round++) {
    for (let k = 0; k < 16; k += 4) {
      const pairs: Array<[string, string | null]> = [0, 1, 2, 3].map((j) => [`key-${k + j}`, round === 9 && j === 0 ? null : `v${round}-${k + j}`]);
      await log.append(keyedBatch(pairs, { baseTimestamp: clock.nowMs(), compression: round % 3 === 0 ? 1 : 0 }), clock.nowMs()).visible;
    }
  }
  await log.flush();
  await log.close();
}

/** True if `work` finished, false if the crash point came first. */
function beforeCrash(work: Promise<unknown>): Promise<boolean> {
  return work.then(
    () => true,
    (e) => {
      if (!(e instanceof Crashed)) throw e;
      return false;
    },
  );
}

async function compactToEnd(log: PartitionLog, clock: ManualClock, budget: number) {
  await log.idle();
  for (let pass = 0; pass < 50; pass++) {
    if ((await compactLog(log, { nowMs: clock.nowMs(), keyMapBudgetBytes: budget, stableOffset: log.highWatermark, pause: () => Promise.resolve() })) === null) return;
  }
  throw new Error("compaction did not settle");
}

// One pass (every step), and several passes over ranges (a small key map: every fourth step, to stay quick).
for (const [budget, stride] of [[1 << 20, 1], [8 * (6 + 48), 4]] as const) {
  test(`a crash at every ${stride === 1 ? "" : "fourth "}step of compaction leaves a readable log with the same latest values (key map ${budget} bytes)`, async () => {
    const clock = new ManualClock(1_000_000);
    const reference = new SimDisk(1);
    await seed(reference, clock);
    clock.advance(1000);
    const log = await open(reference, clock);
    const expected = latestByKey((await readLog(log)).records);
    const endOffset = log.logEndOffset;
    await compactToEnd(log, clock, budget);
    const compacted = (await readLog(log)).records;
    expect(latestByKey(compacted)).toEqual(expected);
    await log.close();

    let crashes = 0;
    for (let crashAt = 1; ; crashAt += stride) {
      const sim = new SimDisk(1000 + crashAt);
      await seed(sim, new ManualClock(1_000_000));
      const crashing = new CrashingDisk(sim, crashAt);
      const victim = await open(sim, clock); // opened cleanly, then compacted through the crashing disk
      await victim.close();
      const live = await PartitionLog.open({ disk: crashing, dir: DIR, config: testConfig({ segmentBytes: 1500, cleanup }), clock, indexIntervalBytes: 256 }).catch((e) => e);
      // Done once compaction and the close (which syncs the reopened active segment) ran before the crash point.
      const finished = live instanceof PartitionLog && (await beforeCrash(compactToEnd(live, clock, budget))) && (await beforeCrash(live.close()));
      if (finished) break;
      crashes++;
      sim.crash();
      const reopened = await open(sim, clock);
      const after = await readLog(reopened);
      expect(latestByKey(after.records)).toEqual(expected);
      expect(reopened.logEndOffset).toBe(endOffset);
      await compactToEnd(reopened, clock, budget);
      expect((await readLog(reopened)).records).toEqual(compacted);
      await reopened.close();
    }
    console.log(`compaction crash test (budget ${budget}): ${crashes} crash points`);
    expect(crashes).toBeGreaterThan(40);
  }, 60_000);
}

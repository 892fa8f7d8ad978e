/** RaftLog over a PartitionLog on SimDisk: terms as partitionLeaderEpoch, truncation both ends, reset, and reopen after crashes. */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { compactLog } from "../storage/compaction.ts";
import { keyedBatch } from "../storage/compaction-test-helpers.ts";
import { LogFailedError } from "../storage/partition-log.ts";
import * as rb from "../storage/record-batch.ts";
import { CountingDisk } from "../storage/test-helpers.ts";
import { configBatch } from "./config.ts";
import { RaftLog } from "./raft-log.ts";
import { writeLogStart } from "./snapshot.ts";
import { entry } from "./test-cluster.ts";

const boot = { voters: [1, 2, 3], learners: [] };
const open = (disk: SimDisk) => RaftLog.open(disk, "/g", new ManualClock(0), boot, { segmentBytes: 400, segmentMs: 1e12, maxMessageBytes: 1 << 20 });

async function filled(disk: SimDisk): Promise<RaftLog> {
  const log = await open(disk);
  await log.appendAsLeader(entry("a", 2), 1, 0); // 0..1
  await log.appendAsLeader(configBatch({ voters: [1, 2, 3], learners: [4] }, 0), 1, 0); // 2
  await log.appendAsLeader(entry("b", 3), 2, 0); // 3..5
  await log.appendAsLeader(entry("c"), 4, 0); // 6
  return log;
}

test("terms are stamped as partitionLeaderEpoch and looked up by offset; configurations are tracked", async () => {
  const log = await filled(new SimDisk(1));
  expect([log.lastIndex, log.lastTerm, log.durableIndex]).toEqual([6, 4, 6]);
  expect([0, 1, 2, 3, 5, 6].map((i) => log.termAt(i))).toEqual([1, 1, 1, 2, 2, 4]);
  expect([log.termAt(-1), log.termAt(7)]).toEqual([-1, null]);
  expect([log.firstIndexOfTerm(2), log.lastIndexOfTerm(2), log.lastIndexOfTerm(3)]).toEqual([3, 5, null]);
  expect(log.config).toEqual({ index: 2, config: { voters: [1, 2, 3], learners: [4] } });
  expect(log.configAt(1)).toEqual(boot);
  const bytes = await log.read(3, 1);
  expect([rb.baseOffset(bytes), rb.partitionLeaderEpoch(bytes)]).toEqual([3, 2]);
});

test("suffix truncation drops terms and configurations after the cut, and survives a reopen", async () => {
  const disk = new SimDisk(2);
  const log = await filled(disk);
  await log.truncateSuffix(2);
  expect([log.lastIndex, log.lastTerm, log.config.index]).toEqual([1, 1, -1]);
  await log.writeAsFollower(withOffsets(entry("d"), 2, 5), 0);
  await log.sync();
  disk.crash();
  const again = await open(disk);
  expect((await again.entries()).map((e) => `${e.index}:${e.term}`)).toEqual(["1:1", "2:5"]);
});

test("prefix truncation keeps the term and configuration before the new start, durably", async () => {
  const disk = new SimDisk(3);
  const log = await filled(disk);
  await log.truncatePrefix(3);
  expect([log.startOffset, log.snapshotTerm, log.termAt(2), log.termAt(1)]).toEqual([3, 1, 1, null]);
  expect(log.snapshotConfig).toEqual({ voters: [1, 2, 3], learners: [4] });
  await expect(log.truncatePrefix(4)).rejects.toThrow("not a batch start");
  disk.crash();
  const again = await open(disk);
  expect([again.startOffset, again.snapshotTerm, again.lastIndex, again.termAt(3)]).toEqual([3, 1, 6, 2]);
  expect(again.config.config).toEqual({ voters: [1, 2, 3], learners: [4] });
});

test("reset to an offset (InstallSnapshot), also when a crash came between the record and the log reset", async () => {
  const disk = new SimDisk(4);
  const log = await filled(disk);
  await log.resetTo({ startOffset: 100, prevTerm: 6, config: boot });
  expect([log.startOffset, log.lastIndex, log.lastTerm, log.termAt(99)]).toEqual([100, 99, 6, 6]);
  await log.writeAsFollower(withOffsets(entry("x"), 100, 7), 0);
  await log.sync();
  // A second install, interrupted right after its record was written:
  await writeLogStart(disk, "/g", { startOffset: 500, prevTerm: 8, config: boot });
  disk.crash();
  const again = await open(disk);
  expect([again.startOffset, again.lastIndex, again.snapshotTerm]).toEqual([500, 499, 8]);
});

test("a reset to a start inside the log (a stale suffix past it) drops that suffix before the record: a crash in the reset never reopens it after the snapshot", async () => {
  const disk = new HaltingDisk(5);
  const log = await filled(disk); // 0..6; entries 3..5 (term 2) and 6 (term 4) are the stale suffix
  disk.haltAfterRenameTo = "/g/raft-snapshot";
  void log.resetTo({ startOffset: 4, prevTerm: 3, config: boot }); // the leader's entry 3 has term 3
  await disk.halted;
  disk.crash();
  const again = await open(disk);
  expect([again.startOffset, again.lastIndex, again.snapshotTerm]).toEqual([4, 3, 3]);
  expect(await again.entries()).toEqual([]);
});

/** A SimDisk whose rename to one path never returns: a process stopped right after that step. */
class HaltingDisk extends SimDisk {
  haltAfterRenameTo: string | null = null;
  private reached = () => {};
  readonly halted = new Promise<void>((resolve) => (this.reached = resolve));
  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    if (to !== this.haltAfterRenameTo) return;
    this.reached();
    await new Promise(() => {});
  }
}

/** A batch carrying its leader-assigned offsets and term, as a follower receives it. */
function withOffsets(bytes: Uint8Array, base: number, term: number): Uint8Array {
  rb.setBaseOffset(bytes, base);
  rb.setPartitionLeaderEpoch(bytes, term);
  return bytes;
}

test("Kafka compaction of a group's log (keepEveryBatch) removes records but no entry: offsets, terms and configurations stay, followers take the compacted entries, a reopen rebuilds the same terms", async () => {
  const disk = new SimDisk(7);
  const clock = new ManualClock(1_000_000);
  const cleanup = { delete: false, compact: true, deleteRetentionMs: 1e12, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, minCleanableDirtyRatio: 0.01 };
  const config = { segmentBytes: 300, segmentMs: 1e12, maxMessageBytes: 1 << 20, cleanup };
  const log = await RaftLog.open(disk, "/g", clock, boot, config);
  // As leaders write: each term opens with its configuration batch, then keyed batches overwrite two keys.
  for (let term = 1; term <= 3; term++) {
    await log.appendAsLeader(configBatch(boot, clock.nowMs()), term, clock.nowMs());
    for (let i = 0; i < 12; i++) await log.appendAsLeader(keyedBatch([[`k${i % 2}`, `t${term}-${i}`]], { baseTimestamp: clock.nowMs() }), term, clock.nowMs());
  }
  const shape = (entries: Array<{ index: number; baseOffset: number; term: number }>) => entries.map((e) => `${e.baseOffset}-${e.index}:${e.term}`);
  const before = shape(await log.entries());
  await log.log.idle();
  clock.advance(1000);
  const stats = await compactLog(log.log, { nowMs: clock.nowMs(), keyMapBudgetBytes: 1 << 20, stableOffset: log.log.highWatermark, keepEveryBatch: true });
  expect(stats!.recordsRemoved).toBeGreaterThan(0);
  expect(shape(await log.entries())).toEqual(before);

  // What a leader sends from the start is every entry, some of them now empty; a follower takes them all.
  const sent: Uint8Array[] = [];
  for (let next = 0; next <= log.lastIndex; ) {
    const bytes = await log.read(next, 200);
    expect(rb.validateBatches(bytes, 1 << 20, true).ok).toBe(true);
    rb.scanBatches(bytes, 0, (at, size) => {
      sent.push(bytes.slice(at, at + size));
      next = rb.lastOffset(bytes, at) + 1;
    });
  }
  expect(sent.some((b) => rb.recordsCount(b) === 0 && (rb.attributes(b) & rb.ATTR_CONTROL) === 0)).toBe(true);
  const follower = await RaftLog.open(new SimDisk(8), "/f", clock, boot, config);
  for (const b of sent) await follower.writeAsFollower(b, clock.nowMs());
  await follower.sync();
  expect(shape(await follower.entries())).toEqual(before);

  disk.crash();
  const again = await RaftLog.open(disk, "/g", clock, boot, config);
  expect(shape(await again.entries())).toEqual(before);
  expect([0, 12, 13, 25, 26, 38].map((i) => again.termAt(i))).toEqual([1, 1, 2, 2, 3, 3]);
  expect(again.config.index).toBe(26);
});

test("a sync after the storage failed under written entries (the seal of the segment they rolled past) fails: they are cut, never reported durable", async () => {
  const disk = new CountingDisk(new SimDisk(1));
  const log = await RaftLog.open(disk, "/g", new ManualClock(0), boot, { segmentBytes: 400, segmentMs: 1e12, maxMessageBytes: 1 << 20 });
  // Only the first segment's seal fails: the sync of the entries in the new one works.
  disk.failDatasyncOf = (path) => path.endsWith("/00000000000000000000.log") && log.log.segmentCount > 1;
  let synced = -1;
  for (;;) {
    const segments = log.log.segmentCount;
    const appended = log.appendAsLeader(entry("x"), 1, 0);
    if (log.log.segmentCount === segments) {
      synced = await appended;
      continue;
    }
    await expect(appended).rejects.toThrow(LogFailedError); // the append that rolled the log
    break;
  }
  await log.log.idle();
  expect([log.lastIndex, log.durableIndex]).toEqual([synced, synced]); // the entry past the roll is gone and was never durable
  await expect(log.writeAsLeader(entry("y"), 1, 0)).rejects.toThrow(LogFailedError);
});

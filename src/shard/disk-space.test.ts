import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { DiskSpaceGuard, effectiveMinFreeBytes } from "./disk-space.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function guard(minFreeBytes: number) {
  const disk = new SimDisk(1);
  disk.spaceReported = { totalBytes: 100 * MiB, freeBytes: 50 * MiB };
  const timers = new ManualTimers(new ManualClock());
  const lines: string[] = [];
  const log: Logger = { debug() {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error() {} };
  return { disk, timers, lines, guard: new DiskSpaceGuard({ disk, dir: "/data", minFreeBytes, checkIntervalMs: 1000, timers, log }) };
}

test("the automatic minimum is the smaller of 1 GiB and 5% of the file system; a set one is exact", () => {
  expect(effectiveMinFreeBytes(-1, { totalBytes: 100 * GiB, freeBytes: 0 })).toBe(1 * GiB);
  expect(effectiveMinFreeBytes(-1, { totalBytes: 10 * GiB, freeBytes: 0 })).toBe(Math.floor(0.5 * GiB));
  expect(effectiveMinFreeBytes(7, { totalBytes: 10 * GiB, freeBytes: 0 })).toBe(7);
});

test("appends are counted between checks, refused before they would pass the minimum, and taken again after space is freed", async () => {
  const { disk, timers, lines, guard: g } = guard(40 * MiB);
  await g.start();
  expect(g.refusal(6 * MiB)).toBeNull();
  expect(g.refusal(6 * MiB)).toContain("storage_min_free_bytes"); // 50 - 6 - 6 < 40, no statfs needed
  expect(lines).toEqual(["disk nearly full: refusing produce"]);
  disk.spaceReported = { totalBytes: 100 * MiB, freeBytes: 39 * MiB }; // someone else filled it
  timers.advance(1000);
  await Bun.sleep(0);
  expect(g.refusal(1)).not.toBeNull();
  disk.spaceReported = { totalBytes: 100 * MiB, freeBytes: 80 * MiB }; // retention, a deleted topic, an operator
  timers.advance(1000);
  await Bun.sleep(0);
  expect(g.refusal(1 * MiB)).toBeNull();
  expect(lines).toEqual(["disk nearly full: refusing produce", "disk space freed: taking produce again"]);
  g.stop();
  expect(timers.pendingCount).toBe(0);
});

test("a minimum of 0 turns the guard off: only ENOSPC itself refuses", async () => {
  const { disk, guard: g } = guard(0);
  disk.spaceReported = { totalBytes: 100 * MiB, freeBytes: 0 };
  await g.start();
  expect(g.refusal(10 * MiB)).toBeNull();
  g.stop();
});

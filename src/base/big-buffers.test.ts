import { expect, test } from "bun:test";
import { bigBuffer, collections, countBigBytes, startCollectionChecks } from "./big-buffers.ts";
import { ManualClock } from "./clock.ts";
import { ManualTimers } from "./manual-timers.ts";
import { limits } from "./limits.ts";

test("every collect-every bytes of large buffers, allocated here or moved here, runs one full collection", () => {
  const before = collections.count;
  const chunkBytes = limits.collectEveryBigBytes / 4;
  for (let i = 0; i < 3; i++) expect(bigBuffer(chunkBytes).length).toBe(chunkBytes);
  expect(collections.count).toBe(before); // three quarters: not yet
  countBigBytes(chunkBytes);
  expect(collections.count).toBe(before + 1);
  expect(collections.seconds).toBeGreaterThan(0);
  countBigBytes(limits.collectEveryBigBytes - 1);
  expect(collections.count).toBe(before + 1); // the count starts again after a collection
});

test("the idle check collects only once the thread went quiet, not while large buffers keep coming", () => {
  const timers = new ManualTimers(new ManualClock(0));
  const stop = startCollectionChecks(timers);
  try {
    countBigBytes(limits.collectEveryBigBytes); // a collection now, so the count starts from zero
    const before = collections.count;
    for (let i = 0; i < 3; i++) {
      countBigBytes(limits.idleCollectBytesMin); // busy: more than enough to collect, every interval
      timers.advance(limits.idleCollectCheckMs);
    }
    expect(collections.count).toBe(before);
    timers.advance(limits.idleCollectCheckMs); // an interval with nothing counted
    expect(collections.count).toBe(before + 1);
    timers.advance(limits.idleCollectCheckMs); // nothing left to collect
    expect(collections.count).toBe(before + 1);
  } finally {
    stop();
  }
});

/** The recovery throttle: the bucket's arithmetic, and a learner caught up at its rate while voters are not slowed. */
import { expect, test } from "bun:test";
import { RecoveryThrottle } from "./recovery-throttle.ts";
import { entry, TestCluster } from "./test-cluster.ts";

test("the bucket: a burst of 100 ms of the rate, debt paid back before the next send", () => {
  const t = new RecoveryThrottle(10_000); // bytes/s: a 1,000-byte burst
  expect(t.waitMs(0)).toBe(0);
  t.take(5_000, 0); // one append may overdraw
  expect(t.waitMs(0)).toBe(401); // 4,000 bytes of debt + 1 at 10 bytes/ms
  expect(t.waitMs(200)).toBe(201);
  expect(t.waitMs(401)).toBe(0);
  expect(t.waitMs(1_000_000)).toBe(0);
  t.take(1_000, 1_000_000); // refill is capped at the burst: a long idle time gives no more than 1,000 bytes
  expect(t.waitMs(1_000_000)).toBe(1);
  expect(() => new RecoveryThrottle(0)).toThrow();
});

test("a learner is caught up at the throttle's rate; voters' appends are not throttled", async () => {
  const rate = 20_000; // bytes/s
  const c = await TestCluster.create({ ids: [1, 2, 3, 4], config: { voters: [1, 2, 3], learners: [] }, appendBytesMax: 2_000, recoveryThrottle: new RecoveryThrottle(rate) });
  const leader = await c.elect();
  const value = "x".repeat(1_000);
  for (let i = 0; i < 40; i++) expect((await c.commit(leader, value)).ok).toBe(true); // ~40 KB
  const logBytes = (await c.group(leader).read(0, 1 << 20)).length;
  expect(logBytes).toBeGreaterThan(40_000);
  const g = c.group(leader);
  const adding = g.addLearner(4);
  const startMs = c.clock.nowMs();
  await c.run(20);
  expect((await adding).ok).toBe(true);
  // While the learner catches up, a voter's append still commits at once.
  const committedAt = c.clock.nowMs();
  expect((await c.commit(leader, "voters-first")).ok).toBe(true);
  expect(c.clock.nowMs() - committedAt).toBeLessThan(50);
  let caughtUpMs = -1;
  for (let t = 0; t < 10_000 && caughtUpMs < 0; t += 50) {
    await c.run(50);
    const match = c.state(leader).peers.find((p) => p.id === 4)?.matchIndex ?? -1;
    if (match >= c.state(leader).commitIndex) caughtUpMs = c.clock.nowMs() - startMs;
  }
  const expectedMs = (logBytes / rate) * 1000; // ~2 s; the first burst and timer granularity shave or add a little
  expect(caughtUpMs).toBeGreaterThan(expectedMs * 0.8);
  expect(caughtUpMs).toBeLessThan(expectedMs * 1.5);
  expect(await c.valuesOf(4)).toEqual(await c.valuesOf(leader));
});

test("without a throttle the same learner catches up within a few heartbeats", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3, 4], config: { voters: [1, 2, 3], learners: [] }, appendBytesMax: 2_000 });
  const leader = await c.elect();
  for (let i = 0; i < 40; i++) await c.commit(leader, "x".repeat(1_000));
  void c.group(leader).addLearner(4);
  await c.run(200);
  expect(c.state(leader).peers.find((p) => p.id === 4)?.matchIndex).toBe(c.state(leader).commitIndex);
});

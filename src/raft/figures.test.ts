/**
 * The Raft paper's Figure 7 (a new leader brings six divergent followers to its log) and
 * Figure 8 (a leader must not commit an older term's entry by counting replicas), on real groups.
 * Indexes here are 0-based offsets: the paper's index i is offset i - 1.
 */
import { afterEach, expect, test } from "bun:test";
import { plantedBugs, resetPlantedBugs } from "./planted-bugs.ts";
import { describe as entriesOf, forceElection, giveLog } from "./scenario-helpers.ts";
import { TestCluster, testTimings } from "./test-cluster.ts";

afterEach(resetPlantedBugs);

const figure7 = {
  leader: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
  a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
  b: [1, 1, 1, 4],
  c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
  d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
  e: [1, 1, 1, 4, 4, 4, 4],
  f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
};

test("Figure 7: the leader of term 8 brings each follower (a–f) to exactly its log", async () => {
  const logs = Object.values(figure7);
  const ids = logs.map((_, i) => i + 1); // 1 = leader, 2..7 = a..f
  const c = await TestCluster.create({ ids }, false);
  for (const [i, terms] of logs.entries()) await giveLog(c, ids[i]!, terms, 7);
  await forceElection(c, 1); // votes: a, b, e, f (c and d hold more up-to-date logs and refuse)
  expect(c.state(1)).toMatchObject({ role: "leader", term: 8 });
  await c.run(10 * testTimings.heartbeatIntervalMs);
  const leaderLog = await c.logOf(1);
  expect(leaderLog).toEqual([...figure7.leader.map((t, i) => `${i}:${t}`), "10:8c"]);
  for (const id of ids) expect(await c.logOf(id)).toEqual(leaderLog);
  for (const id of ids) expect(c.state(id).commitIndex).toBe(10);
});

/**
 * Figure 8 with five servers S1..S5 (offsets: index 1 → 0, index 2 → 1). S1 led term 2 and put
 * index 2 on S2; S5 led term 3 and put its own index 2 on itself only. In term 4 S1 leads again
 * and copies its term-2 entry to S3: it is now on a majority (S1, S2, S3) but must not count as
 * committed, because S5 can still win term 5 (votes of S2, S3, S4) and overwrite it.
 */
async function figure8(): Promise<TestCluster> {
  const c = await TestCluster.create({ ids: [1, 2, 3, 4, 5], appendBytesMax: 1 }, false);
  await giveLog(c, 1, [1, 2], 3);
  await giveLog(c, 2, [1, 2], 3);
  await giveLog(c, 3, [1], 3);
  await giveLog(c, 4, [1], 3);
  await giveLog(c, 5, [1, 3], 3);
  // (c): S1 leads term 4; S4 and S5 hear nothing from it, and its term-4 entry (the no-op) reaches no one:
  // the first append carrying it arrives without its entries (so the log check still answers), later ones are lost.
  const stripped = new Set<number>();
  c.net.filter = (m) => {
    if (m.from !== 1 || m.kind === "vote") return "deliver";
    if (m.to === 4 || m.to === 5) return "drop";
    if (m.kind !== "append" || !entriesOf(m.entries).some((e) => e.endsWith(":4"))) return "deliver";
    if (stripped.has(m.to)) return "drop";
    stripped.add(m.to);
    return { ...m, entries: new Uint8Array(0) };
  };
  await forceElection(c, 1);
  expect(c.state(1)).toMatchObject({ role: "leader", term: 4 });
  await c.run(5 * testTimings.heartbeatIntervalMs);
  expect(await c.logOf(3)).toEqual(["0:1", "1:2"]); // index 2 of term 2 is on S1, S2, S3
  return c;
}

test("Figure 8: an entry of an older term on a majority is not committed; the next leader may overwrite it", async () => {
  const c = await figure8();
  for (const id of [1, 2, 3]) expect(c.state(id).commitIndex).toBe(-1);
  // (d): S1 crashes; S5 wins term 5 with S2, S3, S4 and overwrites index 2 everywhere with its term-3 entry.
  await c.crash(1);
  c.net.filter = () => "deliver";
  await forceElection(c, 5);
  expect(c.state(5)).toMatchObject({ role: "leader", term: 5 });
  await c.run(10 * testTimings.heartbeatIntervalMs);
  for (const id of [2, 3, 4, 5]) expect(await c.logOf(id)).toEqual(["0:1", "1:3", "2:5c"]);
  for (const id of [2, 3, 4, 5]) expect(c.commits.get(id)).toEqual([2]);
  c.checkNoFailures();
});

test("Figure 8 (e): once S1 puts an entry of term 4 on a majority, index 2 commits and S5 cannot win", async () => {
  const c = await figure8();
  c.net.filter = (m) => (m.from === 1 && (m.to === 4 || m.to === 5) ? "drop" : "deliver");
  await c.run(5 * testTimings.heartbeatIntervalMs);
  expect(c.state(1).commitIndex).toBe(2); // the no-op of term 4 at index 3 (offset 2) commits index 2 with it
  await c.crash(1);
  c.net.filter = () => "deliver";
  c.clock.advance(10 * testTimings.electionTimeoutMs);
  await forceElection(c, 5);
  await c.run(testTimings.heartbeatIntervalMs);
  expect(c.state(5).role).not.toBe("leader"); // S2 and S3 hold index 2 of term 4: S5's log is behind
  for (const id of [2, 3]) expect((await c.logOf(id)).slice(0, 3)).toEqual(["0:1", "1:2", "2:4c"]);
});

test("Figure 8 with the planted bug 'commit an older term's entry by counting': a committed entry is later lost", async () => {
  plantedBugs.commitOlderTermByCounting = true;
  const c = await figure8();
  expect(c.state(1).commitIndex).toBe(1); // the bug: index 2 of term 2 counted as committed by S1
  expect((await c.logOf(1))[1]).toBe("1:2");
  await c.crash(1);
  c.net.filter = () => "deliver";
  await forceElection(c, 5);
  await c.run(10 * testTimings.heartbeatIntervalMs);
  // State-machine safety is broken: S1 committed (index 2, term 2), the others commit (index 2, term 3).
  for (const id of [2, 3, 4, 5]) {
    expect(c.state(id).commitIndex).toBeGreaterThanOrEqual(1);
    expect((await c.logOf(id))[1]).toBe("1:3");
  }
});

/** RaftGroup basics on the in-test harness: election, replication, commit, restart. */
import { expect, test } from "bun:test";
import { TestCluster, testTimings } from "./test-cluster.ts";

test("three nodes elect one leader and commit proposals on all", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  const r = await c.commit(leader, "a");
  expect(r.ok).toBe(true);
  await c.commit(leader, "b");
  await c.run(100);
  for (const id of c.ids) {
    expect(await c.valuesOf(id)).toEqual(["a", "b"]);
    expect(c.state(id).commitIndex).toBe(c.state(leader).lastIndex);
  }
});

test("single node group commits alone", async () => {
  const c = await TestCluster.create({ ids: [1] });
  const leader = await c.elect();
  expect(leader).toBe(1);
  expect((await c.commit(1, "x")).ok).toBe(true);
});

test("a new group's preferred first leader is elected within a few heartbeat intervals, even if a peer starts late", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], preferredFirstLeader: 3 }, false);
  const hb = testTimings.heartbeatIntervalMs;
  c.groups.get(3)!.start();
  c.groups.get(1)!.start();
  await c.run(hb * 3); // node 2 has not created the group yet: node 3's early pre-votes reach only node 1
  c.groups.get(2)!.start();
  expect(await c.elect(hb * 4)).toBe(3);
  expect(c.state(3).term).toBe(1); // the tries before a majority answered did not raise the term
});

test("without a preferred first leader a new group waits at least one election timeout", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  await c.run(testTimings.electionTimeoutMs - 10);
  expect(c.leader()).toBeNull();
  await c.elect();
});

test("the preferred first leader waits the usual timeout once the group has had a term", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], preferredFirstLeader: 1 });
  expect(await c.elect(testTimings.heartbeatIntervalMs * 3)).toBe(1);
  c.net.isolate(1);
  await c.run(testTimings.electionTimeoutMs * 4);
  const next = c.leader();
  expect(next === 2 || next === 3).toBe(true);
  c.net.heal();
  await c.run(testTimings.electionTimeoutMs * 3);
  expect(c.leader()).toBe(next!); // node 1 rejoins as a follower instead of campaigning every heartbeat
});

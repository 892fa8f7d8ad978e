/** RaftGroup basics on the in-test harness: election, replication, commit, restart. */
import { expect, test } from "bun:test";
import { TestCluster } from "./test-cluster.ts";

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

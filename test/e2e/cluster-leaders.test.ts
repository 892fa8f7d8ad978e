/**
 * Leader balancing (issue 13, item 4) on three `dist/skua` nodes with a topic of 12 partitions
 * at RF=3: the leaderships spread to 4 per node; after kill -9 of a node its leaderships go to
 * the others, and once it is restarted the balancer hands it its share again (counts within one),
 * within a bound; the time is printed (bench/README.md, "Leader balancing"). With
 * `enable_leader_balancer=false`, leaderships moved by hand onto one node stay there.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { topicState, withAdmin, type PartitionState } from "../chaos/workload.ts";
import { startCluster, type Cluster } from "../helpers/cluster.ts";
import { evenCounts, killAndRestart, leaderCounts, waitForLeaders } from "../helpers/leaders.ts";

setDefaultTimeout(60_000);

const TOPIC = "leaders";
const PARTITIONS = 12;
/** Generous: the balancer's default timings bring it back in a few seconds (see the printed time). */
const BACK_BOUND_MS = 30_000;

const waitFor = (via: string[], what: string, done: (state: PartitionState[]) => boolean, timeoutMs: number) => waitForLeaders(via, TOPIC, PARTITIONS, what, done, timeoutMs);
/** Every partition has a leader (none is mid-election) and the counts differ by at most one. */
const evenlyLed = (state: PartitionState[], ids: number[]) => state.every((p) => p.leader >= 0) && evenCounts(leaderCounts(state, ids));

/** A cluster with the topic created and every replica in sync. */
async function clusterWithTopic(sets: Record<string, string>): Promise<Cluster> {
  const cluster = await startCluster({ nodes: 3, sets });
  try {
    await withAdmin(cluster.bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true }));
    await waitFor(cluster.bootstrap, "every replica in sync", (s) => s.every((p) => p.leader >= 0 && p.isr.length === 3), 20_000);
    return cluster;
  } catch (error) {
    await cluster[Symbol.asyncDispose]();
    throw error;
  }
}

test("leaderships spread evenly; after kill -9 and a restart the node gets its share back within a bound", async () => {
  // Shorter than the defaults (2 s, 5 s) to keep the suite short; bench/leader-recovery.ts measures the defaults.
  await using cluster = await clusterWithTopic({ leader_balancer_idle_timeout: "1000", leader_balancer_mute_timeout: "2000" });
  const ids = cluster.nodes.map((n) => n.id);
  const balanced = await waitFor(cluster.bootstrap, "even leader counts", (s) => evenlyLed(s, ids), BACK_BOUND_MS);
  expect(leaderCounts(balanced, ids)).toEqual([4, 4, 4]);

  const victim = ids[2]!;
  // Returns once the others lead every partition (the victim none), then restarts it.
  const { readyAtMs } = await killAndRestart(cluster, victim, TOPIC, PARTITIONS);
  // Not checked here: how many it leads once in sync (the balancer may already have handed some back).
  await waitFor(cluster.bootstrap, "the restarted node in every ISR", (s) => s.every((p) => p.isr.includes(victim)), BACK_BOUND_MS);
  const inSyncAtMs = Date.now();
  const back = await waitFor(cluster.bootstrap, "even leader counts again", (s) => evenlyLed(s, ids), BACK_BOUND_MS);
  const evenAtMs = Date.now();
  console.log(`leader balancing: node ${victim} restarted (ready) -> in every ISR ${inSyncAtMs - readyAtMs} ms -> leader counts ${leaderCounts(back, ids).join(",")} ${evenAtMs - readyAtMs} ms after ready`);
  expect(leaderCounts(back, ids)[2]).toBeGreaterThanOrEqual(3);
});

test("enable_leader_balancer=false: leaderships piled on one node stay there", async () => {
  // Short timings: were the balancer on, it would act within about a second and a half.
  await using cluster = await clusterWithTopic({ enable_leader_balancer: "false", leader_balancer_idle_timeout: "500", leader_balancer_mute_timeout: "1000" });
  const first = cluster.nodes[0]!;
  const admin = (id: number) => cluster.nodes.find((n) => n.id === id)!.adminUrl;
  for (const p of await topicState(cluster.bootstrap, TOPIC)) {
    if (p.leader === first.id) continue;
    const view = (await (await fetch(`${admin(p.leader)}/v1/partitions/kafka/${TOPIC}/${p.partition}`)).json()) as { raft_group_id: number };
    const moved = await fetch(`${admin(p.leader)}/v1/raft/${view.raft_group_id}/transfer_leadership?target=${first.id}`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(moved.status).toBe(200);
  }
  await waitFor(cluster.bootstrap, `every leadership on node ${first.id}`, (s) => s.every((p) => p.leader === first.id), 10_000);
  await Bun.sleep(3000); // the balancer's idle and mute timeouts twice over
  const state = await topicState(cluster.bootstrap, TOPIC);
  expect(state.filter((p) => p.leader === first.id).length).toBe(PARTITIONS);
});

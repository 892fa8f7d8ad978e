/**
 * Moving replicas to another core of their node (issue 13, item 3: the core of Redpanda's
 * `POST /v1/partitions/kafka/{topic}/{partition}/replicas`) on three `dist/skua --smp 2` nodes,
 * while an idempotent acks=-1 producer writes: the leader's replica and a follower's change
 * core in one request. Each node's old shard lets go of its replica (the leader hands its
 * leadership on first) and the new shard opens it from the same files: the admin API shows the
 * replica hosted on the new core, in sync; then the third node's replica moves through skua's
 * `POST …/shard` on that node; a restart keeps them there; the chaos checker finds
 * every acknowledged record once, and the replicas identical on disk.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { check, failures } from "../chaos/checker.ts";
import { settleAndRead, stopAndReadReplicas } from "../chaos/final-check.ts";
import type { History } from "../chaos/history.ts";
import { ChaosProducer, withAdmin } from "../chaos/workload.ts";
import { startCluster, type ClusterNode } from "../helpers/cluster.ts";
import { pollUntil } from "../helpers/broker.ts";

setDefaultTimeout(120_000);

const TOPIC = "cores";

interface PartitionView {
  leader_id: number;
  status: string;
  replicas: Array<{ node_id: number; core: number; in_sync: boolean }>;
  this_replica: { role: string; core: number } | null;
}

const view = async (node: ClusterNode) => (await (await fetch(`${node.adminUrl}/v1/partitions/kafka/${TOPIC}/0`)).json()) as PartitionView;

test("a leader's and a follower's replica move to the other core of their nodes under acks=-1 produce: nothing lost, a restart keeps them there", async () => {
  await using cluster = await startCluster({ nodes: 3, smp: 2, sets: { enable_leader_balancer: false } });
  await withAdmin(cluster.bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true }));
  const history: History = { attempts: [], finalLog: [], groupReads: [], commits: [], replicas: [] };
  const startedMs = Date.now();
  const producer = new ChaosProducer(cluster.bootstrap, TOPIC, 0, ["k"], history, () => Date.now() - startedMs, 21, 0);
  producer.start();
  const acked = () => history.attempts.filter((a) => a.acked !== null).length;
  await pollUntil("produce acknowledged", async () => (acked() >= 30 ? true : undefined), 15_000);

  const before = await pollUntil("a leader", async () => { const v = await view(cluster.nodes[0]!); return v.leader_id >= 0 ? v : undefined; }, 10_000);
  const leader = before.leader_id;
  const follower = before.replicas.find((r) => r.node_id !== leader)!.node_id;
  const moved = new Map([leader, follower].map((id) => [id, 1 - before.replicas.find((r) => r.node_id === id)!.core]));
  const target = before.replicas.map((r) => ({ node_id: r.node_id, core: moved.get(r.node_id) ?? r.core }));
  const answer = await fetch(`${cluster.nodes[0]!.adminUrl}/v1/partitions/kafka/${TOPIC}/0/replicas`, { method: "POST", body: JSON.stringify(target), headers: { "content-type": "application/json" } });
  expect(answer.status).toBe(200);
  const movedAtAcks = acked();

  // Each moved replica is hosted on its new core, and all three are in sync again.
  const hostedOnTarget = async () => {
    for (const [id, core] of moved) {
      const v = await view(cluster.node(id));
      if (v.this_replica?.core !== core || v.replicas.find((r) => r.node_id === id)?.core !== core || !v.replicas.every((r) => r.in_sync)) return undefined;
    }
    return true;
  };
  await pollUntil("the moved replicas on their new cores, in sync", hostedOnTarget, 20_000);
  await pollUntil("produce acknowledged after the move", async () => (acked() >= movedAtAcks + 30 ? true : undefined), 20_000);
  // skua's own endpoint (`skua shard move`) on the third node: the same change, for its replica.
  const third = before.replicas.find((r) => !moved.has(r.node_id))!;
  const byShard = await fetch(`${cluster.node(third.node_id).adminUrl}/v1/partitions/kafka/${TOPIC}/0/shard`, { method: "POST", body: JSON.stringify({ shard: 1 - third.core }), headers: { "content-type": "application/json" } });
  expect(await byShard.json()).toEqual({ moved: true, topic: TOPIC, partition: 0, from: third.core, to: 1 - third.core });
  moved.set(third.node_id, 1 - third.core);
  await pollUntil("the third node's replica on its new core, in sync", hostedOnTarget, 20_000);
  console.log(`core move: nodes ${[...moved].map(([id, core]) => `${id} -> core ${core}`).join(", ")} (node ${leader} led); ${acked()} acknowledged so far`);

  // The new core is the replica's home: a restart opens it there.
  await cluster.stop(leader);
  await cluster.start(leader);
  await pollUntil("the restarted node's replica on its new core, in sync", hostedOnTarget, 30_000);

  await producer.stop();
  const state = await settleAndRead(cluster, TOPIC, 1, 3, history, 30_000);
  const problems = await stopAndReadReplicas(cluster, TOPIC, state, history);
  const verdict = check(history);
  console.log(`checked: ${verdict.acked} acknowledged of ${verdict.attempted}; lost ${verdict.lost}, duplicated ${verdict.duplicated}, diverged ${verdict.diverged}`);
  expect([...verdict.problems, ...problems]).toEqual([]);
  expect(failures(verdict)).toBe(0);
  expect(verdict.comparedPartitions).toBe(1);
});

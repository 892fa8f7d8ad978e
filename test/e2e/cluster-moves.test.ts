/**
 * Moving a partition's replicas by hand (issue 13, item 3) across three `dist/skua` founders
 * and a fourth node that joined: while an idempotent acks=-1 producer keeps writing to an RF=3
 * partition, `POST /v1/partitions/kafka/{topic}/0/replicas` replaces the leader's node with node
 * 3. The leader adds node 3 as a learner, promotes it, hands its leadership to a target voter,
 * is removed, and the controller finishes the move: Metadata shows the new replicas (all in
 * sync), the old node's data is gone, and the chaos checker finds every acknowledged record
 * once in the partition read back from the new replica set. Then kafkajs's
 * AlterPartitionReassignments moves it back and ListPartitionReassignments lists the move;
 * decommissioning node 2 moves its replica to node 3, after which node 2 leaves the cluster (the
 * node list, Metadata, the controller group: node 3 takes its vote), decommissioning node 1 then
 * is refused (nowhere to go), and node 2 restarted under its old id is refused.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { check, failures } from "../chaos/checker.ts";
import type { History } from "../chaos/history.ts";
import { ChaosProducer, readAll, topicState, withAdmin } from "../chaos/workload.ts";
import { adminJson, freePort, rpcNodeArgs, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";

const TOPIC = "moved";

const nodeArgs = rpcNodeArgs;
const getJson = adminJson;

const postReplicas = (broker: Broker, body: unknown) =>
  fetch(`${broker.adminUrl}/v1/partitions/kafka/${TOPIC}/0/replicas`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

interface PartitionView { status: string; leader_id: number; replicas: Array<{ node_id: number; core: number }> }

test("a partition's replicas move onto a joined node under acks=-1 produce: nothing lost or duplicated, Metadata shows the new replicas; then back with kafkajs; decommission", async () => {
  const rpcPorts = [freePort(), freePort(), freePort()];
  const nodes = await Promise.all(rpcPorts.map((port) => startBroker({ smp: 1, extraArgs: nodeArgs(port, rpcPorts) })));
  const all: Broker[] = [...nodes];
  try {
    await pollUntil("a controller and three nodes", async () => {
      const h = await getJson<{ controller_id: number; all_nodes: number[] }>(nodes[0], "/v1/cluster/health_overview");
      return h.controller_id >= 0 && h.all_nodes.length === 3 ? true : undefined;
    }, 30_000);
    const bootstrap = nodes.flatMap((n) => n.brokers);
    await withAdmin(bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true }));
    const fourth = await startBroker({ smp: 1, extraArgs: nodeArgs(freePort(), [rpcPorts[0]!]) });
    all.push(fourth);
    await pollUntil("node 3 in the node list", async () => ((await getJson<{ all_nodes: number[] }>(nodes[0], "/v1/cluster/health_overview")).all_nodes.includes(3) ? true : undefined), 10_000);

    const history: History = { attempts: [], finalLog: [], groupReads: [], commits: [], replicas: [] };
    const startedMs = Date.now();
    const producer = new ChaosProducer(bootstrap, TOPIC, 0, ["k"], history, () => Date.now() - startedMs, 13, 0);
    producer.start();
    const acked = () => history.attempts.filter((a) => a.acked !== null).length;
    await pollUntil("produce acknowledged", async () => (acked() >= 30 ? true : undefined), 15_000);

    // Bad targets are refused with the reason; then the leader's node is replaced by node 3.
    const view = await getJson<PartitionView>(nodes[0], `/v1/partitions/kafka/${TOPIC}/0`);
    const from = view.leader_id;
    const refused = await postReplicas(nodes[1]!, [{ node_id: 0, core: 0 }, { node_id: 9, core: 0 }]);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toContain("node 9 is not in the cluster");
    const target = [...view.replicas.filter((r) => r.node_id !== from), { node_id: 3, core: 0 }];
    const moved = await postReplicas(nodes[(from + 1) % 3]!, target);
    expect(moved.status).toBe(200);
    // A small partition may finish moving before this first look: the view says in_progress or, already, done.
    expect(["in_progress", "done"]).toContain((await getJson<PartitionView>(nodes[0], `/v1/partitions/kafka/${TOPIC}/0`)).status);

    await pollUntil("the move finished", async () => {
      const p = await getJson<PartitionView>(nodes[(from + 1) % 3]!, `/v1/partitions/kafka/${TOPIC}/0`);
      const moves = await getJson<unknown[]>(nodes[(from + 1) % 3]!, "/v1/partitions/reconfigurations");
      return p.status === "done" && moves.length === 0 ? true : undefined;
    }, 20_000);
    const ackedAtFinish = acked();
    await pollUntil("produce acknowledged after the move", async () => (acked() >= ackedAtFinish + 30 ? true : undefined), 15_000);
    await producer.stop();

    const expected = target.map((r) => r.node_id).sort();
    const settled = await pollUntil("Metadata shows the new replicas, all in sync", async () => {
      const [p] = await topicState(bootstrap, TOPIC);
      return p && JSON.stringify(p.replicas) === JSON.stringify(expected) && JSON.stringify(p.isr) === JSON.stringify(expected) ? p : undefined;
    }, 10_000);
    expect(settled.leader).not.toBe(from);
    await pollUntil("the old replica's data removed", async () => (!existsSync(join(all[from]!.dataDir, "kafka", TOPIC, "0")) ? true : undefined), 5_000);
    expect(existsSync(join(fourth.dataDir, "kafka", TOPIC, "0"))).toBe(true);

    // Read back through the nodes holding it now (the old one is not asked).
    const holders = expected.map((n) => all[n]!).flatMap((b) => b.brokers);
    history.finalLog = await readAll(holders, TOPIC, 1, 15_000);
    const verdict = check(history);
    expect(failures(verdict)).toBe(0);
    expect(history.finalLog.length).toBeGreaterThanOrEqual(acked());

    // The Kafka APIs tools use: AlterPartitionReassignments moves it back (cores picked by skua), ListPartitionReassignments shows it.
    const original = view.replicas.map((r) => r.node_id);
    await withAdmin(bootstrap, async (admin) => {
      await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: original }] }] });
      const listed = await admin.listPartitionReassignments({});
      const ours = listed.topics.find((t) => t.topic === TOPIC)?.partitions[0];
      if (ours) expect({ adding: ours.addingReplicas, removing: ours.removingReplicas }).toEqual({ adding: [from], removing: [3] }); // else already finished
      const bad = await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [0, 9] }] }] }).catch((e: { errors?: Array<{ type: string; message: string }> }) => e);
      expect((bad as { errors: Array<{ type: string }> }).errors[0]!.type).toBe("INVALID_REPLICA_ASSIGNMENT"); // kafkajs keeps the code, not the message
    });
    await pollUntil("Metadata shows the original replicas again", async () => {
      const [p] = await topicState(bootstrap, TOPIC);
      return p && JSON.stringify(p.replicas) === JSON.stringify([...original].sort()) && p.isr.length === 3 ? true : undefined;
    }, 20_000);
    await pollUntil("node 3's replica removed", async () => (!existsSync(join(fourth.dataDir, "kafka", TOPIC, "0")) ? true : undefined), 5_000);

    // Decommissioning node 2 (a controller voter) moves its replica to node 3 (the only node without one); then node 2 leaves
    // the cluster (node 3 takes its controller vote); node 1 then has nowhere to send its replica.
    const put = (broker: Broker, path: string) => fetch(`${broker.adminUrl}${path}`, { method: "PUT", headers: { "content-type": "application/json" } });
    expect((await put(nodes[0]!, "/v1/brokers/2/decommission")).status).toBe(200);
    const drained = await pollUntil("node 2 drained and gone", async () => {
      const progress = await getJson<{ finished: boolean; status: string; replicas_left: number }>(nodes[0]!, "/v1/brokers/2/decommission");
      return progress.status === "removed" ? progress : undefined;
    }, 20_000);
    expect(drained).toMatchObject({ finished: true, replicas_left: 0 });
    await pollUntil("Metadata without node 2", async () => {
      const [p] = await topicState(bootstrap, TOPIC);
      return p && JSON.stringify(p.replicas) === "[0,1,3]" && p.isr.length === 3 ? true : undefined;
    }, 10_000);
    // Every node's Metadata, node 2's own included (it applied its removal), leaves it out.
    await pollUntil("Metadata brokers without node 2 on every node", async () => {
      for (const node of all) {
        const { brokers } = await withAdmin(node.brokers, (admin) => admin.describeCluster());
        if (JSON.stringify(brokers.map((b) => b.nodeId).sort()) !== "[0,1,3]") return undefined;
      }
      return true;
    }, 10_000);
    await pollUntil("node 2 says it left", async () => (nodes[2]!.stderr().includes("this node was decommissioned and has left the cluster") ? true : undefined), 5_000);
    const listed = await getJson<Array<{ node_id: number }>>(nodes[0]!, "/v1/brokers");
    expect(listed.map((b) => b.node_id).sort()).toEqual([0, 1, 3]);
    expect((await getJson<{ all_nodes: number[] }>(nodes[1]!, "/v1/cluster/health_overview")).all_nodes).toEqual([0, 1, 3]);
    const nowhere = await put(nodes[1]!, "/v1/brokers/1/decommission");
    expect(nowhere.status).toBe(400);
    expect(((await nowhere.json()) as { message: string }).message).toContain("nowhere to go");
    const back = await put(nodes[1]!, "/v1/brokers/2/recommission");
    expect(back.status).toBe(400);
    expect(((await back.json()) as { message: string }).message).toContain("has left the cluster");
    // The controller group keeps three voters without node 2: it still commits with node 2 stopped (a topic is created).
    await nodes[2]!.stop("SIGTERM");
    await withAdmin([...nodes[0]!.brokers, ...fourth.brokers], (admin) => admin.createTopics({ topics: [{ topic: "after", numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true }));
    // Restarted with its data, node 2 is refused under its old id and stops.
    const refusedStart = await nodes[2]!.restart().then(() => "started", (error: unknown) => String(error));
    expect(refusedStart).toContain("cannot rejoin under that id");
  } finally {
    await Promise.all(all.map((n) => n[Symbol.asyncDispose]()));
  }
}, 90_000);

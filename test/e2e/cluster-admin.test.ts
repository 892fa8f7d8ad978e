/**
 * The admin API of a three-node cluster (issue 11, item 9): health overview, one replicated
 * partition's replicas and leader, a leadership transfer through the admin API, and the
 * replication metrics.
 */
import { expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { adminGet, freePort, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";

interface PartitionView { raft_group_id: number; leader_id: number; term: number; status: string; replicas: Array<{ node_id: number; core: number; in_sync: boolean; lag: number | null }> }

async function json<T>(broker: Broker, path: string): Promise<T> {
  const { status, text } = await adminGet(broker, path);
  expect(status).toBe(200);
  return JSON.parse(text) as T;
}

test("health overview, a partition's replicas and leader, leadership transfer and replication metrics on three nodes", async () => {
  const rpcPorts = [freePort(), freePort(), freePort()];
  const seeds = rpcPorts.map((p) => `127.0.0.1:${p}`).join(",");
  const nodes = await Promise.all(rpcPorts.map((port) => startBroker({ smp: 2, extraArgs: ["--rpc-addr", `127.0.0.1:${port}`, "--seeds", seeds] })));
  try {
    const admin = new Kafka({ brokers: nodes[0].brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "viewed", numPartitions: 2, replicationFactor: 3 }] });
    await admin.disconnect();

    const healthy = await pollUntil("a healthy cluster", async () => {
      const h = await json<{ is_healthy: boolean; all_nodes: number[]; leaderless_count: number; under_replicated_count: number }>(nodes[0], "/v1/cluster/health_overview");
      return h.is_healthy ? h : undefined;
    }, 30_000);
    expect(healthy).toMatchObject({ all_nodes: [0, 1, 2], leaderless_count: 0, under_replicated_count: 0 });

    const view = await pollUntil("every replica in sync", async () => {
      const v = await json<PartitionView>(nodes[1], "/v1/partitions/kafka/viewed/0");
      return v.leader_id >= 0 && v.replicas.every((r) => r.in_sync) ? v : undefined;
    }, 20_000);
    expect(view.replicas.map((r) => r.node_id).sort()).toEqual([0, 1, 2]);
    expect(view.status).toBe("done");
    const onLeader = await json<PartitionView>(nodes[view.leader_id], "/v1/partitions/kafka/viewed/0");
    expect(onLeader.replicas.every((r) => r.lag !== null)).toBe(true); // the leader knows each replica's lag

    // Transfer through a node that does not lead: refused with the reason; through the leader: done.
    const target = [0, 1, 2].find((n) => n !== view.leader_id)!;
    const other = nodes[[0, 1, 2].find((n) => n !== view.leader_id && n !== target)!];
    const refused = await fetch(`${other.adminUrl}/v1/raft/${view.raft_group_id}/transfer_leadership?target=${target}`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(refused.status).toBe(400);
    const moved = await fetch(`${nodes[view.leader_id].adminUrl}/v1/raft/${view.raft_group_id}/transfer_leadership?target=${target}`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(moved.status).toBe(200);
    const after = await pollUntil("the new leader", async () => {
      const v = await json<PartitionView>(nodes[0], "/v1/partitions/kafka/viewed/0");
      return v.leader_id === target ? v : undefined;
    }, 20_000);
    expect(after.term).toBeGreaterThan(view.term);

    const listed = await json<Array<{ node_id: number; is_alive: boolean; num_cores: number; kafka_port?: number; rack?: string | null }>>(nodes[0], "/v1/brokers");
    expect(listed.map((b) => b.node_id).sort()).toEqual([0, 1, 2]);
    expect(listed.every((b) => b.is_alive && b.num_cores === 2 && typeof b.kafka_port === "number" && b.rack === null)).toBe(true);

    const metrics = await (await fetch(`${nodes[target].adminUrl}/metrics`)).text();
    expect(metrics).toContain("skua_cluster_under_replicated_partitions");
    expect(metrics).toMatch(/skua_raft_leadership_changes_total [1-9]/);
    expect(metrics).toContain('skua_raft_replica_lag_max{topic="viewed",partition="0"}');
  } finally {
    await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
  }
}, 120_000);

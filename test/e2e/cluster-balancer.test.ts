/**
 * The partition balancer (issue 13, item 1): three `dist/skua` founders hold a topic of 6
 * partitions at RF 3 (6 replicas each) with ~1 MiB in each partition; a fourth node joins and,
 * with `partition_autobalancing_mode=node_add` (the default), the controller leader moves
 * replicas onto it until counts per node differ by at most one. Recovery is throttled
 * (`raft_learner_recovery_rate` 1 MiB/s), so the moves are still running when the controller
 * leader is restarted: the next leader resumes them from the controller's record, and every
 * record is still there afterwards.
 */
import { expect, test } from "bun:test";
import { readAll, topicState, withAdmin, chaosKafka } from "../chaos/workload.ts";
import { adminJson, freePort, rpcNodeArgs, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";

const TOPIC = "balanced";
const PARTITIONS = 6;
const RECORDS_PER_PARTITION = 40;
const VALUE = "v".repeat(25_000); // 40 × 25 KB ≈ 1 MiB per partition

const nodeArgs = rpcNodeArgs;
const getJson = adminJson;

/** Replicas per node, from Metadata. */
async function replicaCounts(bootstrap: string[]): Promise<Record<number, number>> {
  const counts: Record<number, number> = { 0: 0, 1: 0, 2: 0, 3: 0 };
  for (const p of await topicState(bootstrap, TOPIC)) for (const n of p.replicas) counts[n]!++;
  return counts;
}

test("a joined node gets replicas until counts per node differ by at most one; a restart of the controller leader mid-way resumes the moves", async () => {
  const rpcPorts = [freePort(), freePort(), freePort()];
  const sets = { raft_learner_recovery_rate: 1024 * 1024 };
  const nodes = await Promise.all(rpcPorts.map((port) => startBroker({ smp: 1, sets, extraArgs: nodeArgs(port, rpcPorts) })));
  const all: Broker[] = [...nodes];
  try {
    await pollUntil("a controller and three nodes", async () => {
      const h = await getJson<{ controller_id: number; all_nodes: number[] }>(nodes[0]!, "/v1/cluster/health_overview");
      return h.controller_id >= 0 && h.all_nodes.length === 3 ? true : undefined;
    }, 30_000);
    const bootstrap = nodes.flatMap((n) => n.brokers);
    await withAdmin(bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true }));
    const producer = chaosKafka(bootstrap, "balancer-producer").producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < RECORDS_PER_PARTITION; i++) {
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, key: `k${i}`, value: VALUE })) });
    }
    await producer.disconnect();
    expect(await replicaCounts(bootstrap)).toEqual({ 0: 6, 1: 6, 2: 6, 3: 0 });

    const controllerId = (await getJson<{ controller_id: number }>(nodes[0]!, "/v1/cluster/health_overview")).controller_id;
    expect(controllerId).toBeGreaterThanOrEqual(0);
    expect(controllerId).toBeLessThan(3);
    const fourth = await startBroker({ smp: 1, sets, extraArgs: nodeArgs(freePort(), [rpcPorts[0]!]) });
    all.push(fourth);
    const joinedMs = Date.now();
    // The balancer (on the controller leader) starts moves onto node 3: at most 8 at once, all four it needs.
    await pollUntil("moves onto node 3 under way", async () => {
      const moves = await getJson<unknown[]>(all[controllerId]!, "/v1/partitions/reconfigurations");
      return moves.length > 0 ? true : undefined;
    }, 15_000);
    // Throttled at 1 MiB/s, a 1 MiB partition is still moving: restart the controller leader now.
    await all[controllerId]!.restart();
    const observer = nodes[(controllerId + 1) % 3]!;
    const counts = await pollUntil("replica counts within one of each other, no move left", async () => {
      const moves = await getJson<unknown[]>(observer, "/v1/partitions/reconfigurations");
      const c = await replicaCounts(bootstrap).catch(() => null);
      if (moves.length > 0 || c === null) return undefined;
      const values = Object.values(c);
      return Math.max(...values) - Math.min(...values) <= 1 ? c : undefined;
    }, 25_000);
    const balancedMs = Date.now() - joinedMs;
    expect(counts[3]).toBeGreaterThanOrEqual(4); // 18 replicas over 4 nodes: 4 or 5 each
    // Node 3 took about 4 MiB from three senders, each at most 1 MiB/s: no faster than ~1.3 s.
    expect(balancedMs).toBeGreaterThan(1000);
    const settled = await pollUntil("every partition led, all replicas in sync", async () => {
      const state = await topicState(bootstrap, TOPIC).catch(() => []);
      return state.length === PARTITIONS && state.every((p) => p.leader >= 0 && p.isr.length === 3) ? state : undefined;
    }, 15_000);
    expect(settled.flatMap((p) => p.replicas).filter((n) => n === 3).length).toBe(counts[3]);
    const records = await readAll(bootstrap, TOPIC, PARTITIONS, 15_000);
    expect(records.length).toBe(PARTITIONS * RECORDS_PER_PARTITION);
    // The balancer plans no more: the counts stay as they are.
    await Bun.sleep(1500); // two balancer rounds
    expect(await getJson<unknown[]>(observer, "/v1/partitions/reconfigurations")).toEqual([]);
  } finally {
    await Promise.all(all.map((n) => n[Symbol.asyncDispose]()));
  }
}, 60_000);

/**
 * Maintenance mode and a rolling restart (issue 13, item 6) on three `dist/skua` nodes: an
 * acks=-1 idempotent kafkajs producer and a kafkajs consumer group run on a topic of 3
 * partitions at RF=3 while, for each node in turn, `PUT /v1/brokers/{id}/maintenance` moves its
 * leaderships away, the controller's too (its status says draining, then finished with nothing
 * led, and another node is the controller), a second node is
 * refused maintenance meanwhile, the node is stopped (SIGTERM) and started again, and `DELETE`
 * ends its maintenance. At the end the chaos checker finds every acknowledged record once in the
 * log, replicas identical; the group consumed every acknowledged record; no send failed and the
 * consumer never crashed (kafkajs retried only retriable errors).
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { check, failures } from "../chaos/checker.ts";
import { settleAndRead, stopAndReadReplicas } from "../chaos/final-check.ts";
import type { History } from "../chaos/history.ts";
import { ChaosProducer, startGroupConsumer, topicState, waitSettled, withAdmin } from "../chaos/workload.ts";
import { pollUntil } from "../helpers/broker.ts";
import { startCluster, type ClusterNode } from "../helpers/cluster.ts";

setDefaultTimeout(90_000);

const TOPIC = "rolling";
const PARTITIONS = 3;
const GROUP = "rolling-group";

interface MaintenanceStatus { draining: boolean; finished: boolean; partitions: number }

const send = (node: ClusterNode, method: string, path: string) => fetch(`${node.adminUrl}${path}`, { method, headers: { "content-type": "application/json" } });

async function json<T>(node: ClusterNode, path: string): Promise<T> {
  const response = await fetch(`${node.adminUrl}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

test("rolling restart under produce and consume: each node drained by maintenance mode, restarted; nothing lost or duplicated, only retriable errors", async () => {
  // No wait for more members when the group re-forms on a new coordinator (each leadership move takes the coordinator along).
  await using cluster = await startCluster({ nodes: 3, sets: { group_initial_rebalance_delay: 0 } });
  await withAdmin(cluster.bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true }));
  await waitSettled(cluster.bootstrap, TOPIC, 20_000);
  const history: History = { attempts: [], finalLog: [], groupReads: [], commits: [], replicas: [] };
  const startedMs = Date.now();
  const producer = new ChaosProducer(cluster.bootstrap, TOPIC, 0, ["a", "b", "c", "d", "e"], history, () => Date.now() - startedMs, 7);
  producer.start();
  const consumer = await startGroupConsumer(cluster.bootstrap, TOPIC, GROUP, history);
  const crashes: string[] = [];
  consumer.on(consumer.events.CRASH, (event) => crashes.push(String(event.payload.error)));
  const acked = () => history.attempts.filter((a) => a.acked !== null).length;
  try {
    await pollUntil("produce acknowledged and consumed", async () => (acked() >= 20 && history.groupReads.length >= 20 ? true : undefined), 20_000);

    for (const node of cluster.nodes) {
      const other = cluster.nodes.find((n) => n.id !== node.id)!;
      const startedAtMs = Date.now();
      expect((await send(other, "PUT", `/v1/brokers/${node.id}/maintenance`)).status).toBe(200);
      const third = cluster.nodes.find((n) => n.id !== node.id && n.id !== other.id)!;
      const refused = await send(other, "PUT", `/v1/brokers/${third.id}/maintenance`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { message: string }).message).toContain("one node at a time");
      const drained = await pollUntil(`node ${node.id} drained`, async () => {
        const status = await json<MaintenanceStatus>(other, `/v1/brokers/${node.id}/maintenance`);
        const { controller_id } = await json<{ controller_id: number }>(other, "/v1/cluster/health_overview");
        return status.finished && status.partitions === 0 && controller_id >= 0 && controller_id !== node.id ? status : undefined;
      }, 15_000, 100);
      expect(drained.draining).toBe(true);
      const listed = await json<Array<{ node_id: number; maintenance_status: MaintenanceStatus }>>(node, "/v1/brokers");
      expect(listed.find((b) => b.node_id === node.id)?.maintenance_status.draining).toBe(true);
      expect((await topicState(cluster.bootstrap, TOPIC)).some((p) => p.leader === node.id)).toBe(false);
      const drainedMs = Date.now() - startedAtMs;

      const ackedBefore = acked();
      expect(await cluster.stop(node.id)).toBe(0);
      await cluster.start(node.id);
      expect((await send(other, "DELETE", `/v1/brokers/${node.id}/maintenance`)).status).toBe(200);
      expect((await json<MaintenanceStatus>(other, `/v1/brokers/${node.id}/maintenance`)).draining).toBe(false);
      // As an operator would: the next node only once every partition is fully replicated again.
      await pollUntil("cluster healthy", async () => ((await json<{ is_healthy: boolean }>(other, "/v1/cluster/health_overview")).is_healthy ? true : undefined), 20_000, 100);
      console.log(`node ${node.id}: drained in ${drainedMs} ms, restarted and healthy after ${Date.now() - startedAtMs} ms; ${acked() - ackedBefore} records acknowledged meanwhile`);
    }

    const ackedAtEnd = acked();
    await pollUntil("produce acknowledged after the last restart", async () => (acked() >= ackedAtEnd + 20 ? true : undefined), 20_000);
    await producer.stop();
    const values = new Set(history.attempts.filter((a) => a.acked !== null).map((a) => a.value));
    await pollUntil("the group consumed every acknowledged record", async () => {
      const seen = new Set(history.groupReads.map((r) => r.value));
      return [...values].every((v) => seen.has(v)) ? true : undefined;
    }, 20_000);
  } finally {
    await producer.stop();
    await consumer.disconnect().catch(() => {});
  }
  const state = await settleAndRead(cluster, TOPIC, PARTITIONS, 3, history, 20_000);
  const problems = await stopAndReadReplicas(cluster, TOPIC, state, history);
  const verdict = check(history);
  const redelivered = history.groupReads.length - new Set(history.groupReads.map((r) => r.value)).size;
  console.log(`checked: ${verdict.acked} acknowledged of ${verdict.attempted}; lost ${verdict.lost}, duplicated ${verdict.duplicated}, diverged ${verdict.diverged}; producer failures ${producer.failures} (${producer.lastError}); consumer crashes ${crashes.length}; group redeliveries ${redelivered}`);
  expect([...verdict.problems, ...problems]).toEqual([]);
  expect(failures(verdict)).toBe(0);
  expect(verdict.comparedPartitions).toBe(PARTITIONS);
  expect(producer.failures).toBe(0);
  expect(crashes).toEqual([]);
});

/**
 * FindCoordinator in a cluster when this node does not know the coordinator yet (just restarted,
 * or the internal topic just created): it waits a little for the leader to become known rather
 * than answering COORDINATOR_NOT_AVAILABLE at once, which clients retry only a few times. The
 * metadata table is real; the leader table is a stand-in the test fills.
 */
import { expect, test } from "bun:test";
import { MetadataTable, type NodeRecord } from "../../cluster/metadata.ts";
import { GROUP_LOG_PARTITIONS, groupPartitionOf } from "../../group/partitioning.ts";
import { GROUP_TOPIC } from "../../group/replicated-store.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerContext } from "../handler.ts";
import { findCoordinatorHandler } from "./find-coordinator.ts";

const node = (id: number): NodeRecord => ({ id, rpc: { host: "127.0.0.1", port: 33000 + id }, kafka: { host: "127.0.0.1", port: 9090 + id }, shardCount: 1, rack: null });
const GROUP = "g";
/** Raft group of partition p of the offsets topic: 100 + p. */
const groupOf = (partition: number) => 100 + partition;

function context(leaders: Map<number, number>): BrokerContext {
  const offsets = {
    name: GROUP_TOPIC, id: "00000000-0000-0000-0000-000000000050", shards: Array.from({ length: GROUP_LOG_PARTITIONS }, () => 0), configs: {},
    assignments: Array.from({ length: GROUP_LOG_PARTITIONS }, (_, p) => ({ group: groupOf(p), replicas: [1, 2, 3].map((n) => ({ node: n, shard: 0 })) })),
  };
  const table = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [offsets], nodes: [node(1), node(2), node(3)] }, 1);
  const partial: Partial<BrokerContext> = {
    metadata: () => table,
    authorize: () => true,
    clock: { nowMs: () => Date.now() },
    leaders: { get: (group: number) => (leaders.has(group) ? { leader: leaders.get(group)!, term: 1, inSync: [1, 2, 3] } : undefined), lastLeader: () => undefined } as BrokerContext["leaders"],
  };
  return partial as BrokerContext;
}

const info = { apiKey: 10, apiVersion: 4, correlationId: 1, clientId: null };
const find = async (c: BrokerContext) => {
  const started = Date.now();
  const r = (await findCoordinatorHandler.handle(c, { key: "", keyType: 0, coordinatorKeys: [GROUP] }, info)) as { coordinators: Array<{ errorCode: number; nodeId: number; port: number }> };
  return { ...r.coordinators[0]!, tookMs: Date.now() - started };
};

test("a coordinator learnt while the request waits is answered; one never learnt is COORDINATOR_NOT_AVAILABLE after the bounded wait", async () => {
  const leaders = new Map<number, number>();
  const c = context(leaders);
  setTimeout(() => leaders.set(groupOf(groupPartitionOf(GROUP)), 2), 300);
  expect(await find(c)).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 2, port: 9092 });

  leaders.clear();
  const unknown = await find(c);
  expect(unknown).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
  expect(unknown.tookMs).toBeGreaterThanOrEqual(1400);
  expect(unknown.tookMs).toBeLessThan(5000);

  leaders.set(groupOf(groupPartitionOf(GROUP)), 3);
  expect(await find(c)).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 3, tookMs: expect.any(Number) });
});

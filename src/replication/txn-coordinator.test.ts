/**
 * The transaction coordinator over `__transaction_state` replicas on three nodes in one process
 * (real RPC and files): only the leader of an id's partition serves it (NOT_COORDINATOR
 * elsewhere); after the leader's node stops, the new leader rebuilds the ids from the replicated
 * log, finishes a transaction left in PrepareCommit (its commit markers sent, with a higher
 * coordinator epoch, never an abort), and fences and aborts an ongoing one at the next
 * InitProducerId.
 */
import { afterEach, expect, test } from "bun:test";
import { systemClock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import { systemTimers } from "../base/timers.ts";
import { MetadataTable, type TopicRecord } from "../cluster/metadata.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { TxnCoordinator } from "../txn/coordinator.ts";
import { txnPartitionOf } from "../txn/partitioning.ts";
import { TXN_TOPIC } from "../txn/replicated-txn-store.ts";
import type { TxnMarker } from "../txn/types.ts";
import { TestCluster, until } from "./test-nodes.ts";

let cluster: TestCluster | null = null;
const coordinators: TxnCoordinator[] = [];
afterEach(async () => {
  for (const c of coordinators.splice(0)) await c.stop();
  await cluster?.stop();
  cluster = null;
});

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** Two transactional ids of partition 0 (the only partition the test topic has). */
const [ID_PREPARED, ID_ONGOING] = Array.from({ length: 2000 }, (_, i) => `txn-${i}`).filter((id) => txnPartitionOf(id) === 0);
const txnTopic: TopicRecord = {
  name: TXN_TOPIC, id: "00000000-0000-0000-0000-000000000051", shards: [0], configs: {},
  assignments: [{ group: 1, replicas: [1, 2, 3].map((node) => ({ node, shard: 0 })) }],
};
const data = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "a", id: crypto.randomUUID(), shards: [0, 0, 0], configs: {} }] });

interface NodeCoordinator {
  coordinator: TxnCoordinator;
  markers: TxnMarker[];
  /** While false the partitions refuse markers (the transaction stays prepared). */
  accept: boolean;
}

async function coordinatorOn(c: TestCluster, node: number, firstProducerId: number): Promise<NodeCoordinator> {
  let nextId = firstProducerId;
  const self: NodeCoordinator = { coordinator: null!, markers: [], accept: true };
  self.coordinator = new TxnCoordinator({
    shardId: 0, shardCount: 1, dataDir: "/unused", disk: new SimDisk(1), props: defaultProperties(), clock: systemClock, timers: systemTimers, log: quiet,
    metadata: () => data,
    newProducerId: async () => nextId++,
    writeMarkers: async (batch) => {
      if (!self.accept) return batch.map(() => ErrorCode.NOT_LEADER_OR_FOLLOWER);
      self.markers.push(...batch);
      return batch.map(() => ErrorCode.NONE);
    },
    completeGroup: async () => ErrorCode.NONE,
    replicas: c.node(node).shards[0]!.replication.txnLog,
  });
  await self.coordinator.start();
  coordinators.push(self.coordinator);
  return self;
}

const init = (c: TxnCoordinator, id: string) => c.initProducerId({ transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
const parts = (...ps: number[]) => ps.map((partition) => ({ topic: "a", partition }));

test("the leader of an id's __transaction_state partition coordinates it; a new leader finishes a prepared commit and aborts an ongoing transaction", async () => {
  cluster = new TestCluster(3);
  await cluster.start([txnTopic]);
  const c = cluster;
  const byNode = new Map<number, NodeCoordinator>();
  for (const node of [1, 2, 3]) byNode.set(node, await coordinatorOn(c, node, node * 1000));

  // Exactly one node serves the ids: the one whose replica leads (and loaded the partition).
  let leader = -1;
  for (let attempt = 0; attempt < 200 && leader < 0; attempt++) {
    for (const [node, { coordinator }] of byNode) if ((await init(coordinator, ID_PREPARED)).errorCode === ErrorCode.NONE) leader = node;
    if (leader < 0) await Bun.sleep(20);
  }
  expect(leader).toBeGreaterThan(0);
  const old = byNode.get(leader)!;
  for (const [node, { coordinator }] of byNode) if (node !== leader) expect((await init(coordinator, ID_PREPARED)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);

  // One transaction left in PrepareCommit (its partitions refuse markers), another one ongoing.
  old.accept = false;
  const p = await init(old.coordinator, ID_PREPARED);
  const prepared = { transactionalId: ID_PREPARED, producerId: p.producerId, producerEpoch: p.producerEpoch };
  expect(await old.coordinator.addPartitions({ ...prepared, partitions: parts(0, 1), verifyOnly: false })).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  expect(await old.coordinator.end({ ...prepared, commit: true })).toBe(ErrorCode.NONE);
  const o = await init(old.coordinator, ID_ONGOING);
  const ongoing = { transactionalId: ID_ONGOING, producerId: o.producerId, producerEpoch: o.producerEpoch };
  expect(await old.coordinator.addPartitions({ ...ongoing, partitions: parts(2), verifyOnly: false })).toEqual([ErrorCode.NONE]);
  expect(old.coordinator.stateOf(ID_PREPARED)?.state).toBe("PrepareCommit");

  // The leader's node stops: a survivor's replica leads, its coordinator loads the partition and finishes the commit.
  await old.coordinator.stop();
  await c.stopNode(leader);
  const survivors = [1, 2, 3].filter((n) => n !== leader);
  let next: NodeCoordinator | undefined;
  await until("a new coordinator completed the prepared commit", () => {
    next = survivors.map((n) => byNode.get(n)!).find((x) => x.coordinator.stateOf(ID_PREPARED)?.state === "CompleteCommit");
    return next !== undefined;
  }, 15_000);
  expect(next!.markers.map((m) => [m.partition, m.commit, m.producerId, m.producerEpoch])).toEqual([[0, true, p.producerId, p.producerEpoch], [1, true, p.producerId, p.producerEpoch]]);
  expect(next!.markers[0]!.coordinatorEpoch).toBeGreaterThan(0); // above the old leader's (the first load wrote 0)

  // The ongoing transaction kept its state; the next InitProducerId fences and aborts it, then succeeds.
  expect(next!.coordinator.stateOf(ID_ONGOING)).toMatchObject({ state: "Ongoing", producerId: o.producerId });
  expect((await init(next!.coordinator, ID_ONGOING)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
  await until("the ongoing transaction aborted", () => next!.coordinator.stateOf(ID_ONGOING)?.state === "CompleteAbort");
  expect(next!.markers.filter((m) => m.partition === 2).map((m) => [m.commit, m.producerEpoch])).toEqual([[false, o.producerEpoch + 1]]);
  expect(await init(next!.coordinator, ID_ONGOING)).toEqual({ errorCode: ErrorCode.NONE, producerId: o.producerId, producerEpoch: o.producerEpoch + 2 });
  // The old producer of the prepared id is fenced on the new coordinator too.
  expect(await next!.coordinator.end({ ...prepared, producerEpoch: p.producerEpoch - 1, commit: true })).toBe(ErrorCode.PRODUCER_FENCED);
}, 30_000);

/**
 * Transactions on a replicated partition, three nodes in one process over real RPC: markers go
 * through Raft on the leader and are answered at commit; every replica derives the last stable
 * offset and the aborted-transaction index from the log it holds, so after the leader's node
 * stops the new leader answers read_committed as the old one did (an open transaction still
 * holds the LSO, an aborted one is still listed), and finishes it with the next marker.
 */
import { afterEach, expect, test } from "bun:test";
import type { TopicRecord } from "../cluster/metadata.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import { forEachRecord } from "../storage/records.ts";
import type { ReplicatedPartition } from "./replicated-partition.ts";
import { leaderOf, replicas, TestCluster, until } from "./test-nodes.ts";

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

const PRODUCER = 9;
const topic: TopicRecord = {
  name: "t", id: "00000000-0000-0000-0000-000000000002", shards: [0], configs: {},
  assignments: [{ group: 1, replicas: [1, 2, 3].map((node) => ({ node, shard: 0 })) }],
};

const txnBatch = (text: string, sequence: number) =>
  buildBatch({ records: [{ value: new TextEncoder().encode(text) }], baseTimestamp: Date.now(), producerId: PRODUCER, producerEpoch: 0, baseSequence: sequence, transactional: true });
const marker = (commit: boolean, coordinatorEpoch = 5) => ({ producerId: PRODUCER, producerEpoch: 0, commit, coordinatorEpoch });


/** What a read_committed fetch from 0 returns: the data values (aborted ones included, as Kafka sends them), the LSO, the aborted list. */
async function readCommitted(r: ReplicatedPartition) {
  const read = await r.read({ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20, readCommitted: true });
  expect(read.errorCode).toBe(ErrorCode.NONE);
  const values: string[] = [];
  rb.scanBatches(read.records, 0, (at) => {
    expect(rb.lastOffset(read.records, at)).toBeLessThan(read.lastStableOffset);
    if ((rb.attributes(read.records, at) & rb.ATTR_CONTROL) === 0) forEachRecord(read.records, at, (rec) => void values.push(new TextDecoder().decode(rec.value!)));
  });
  return { values, lastStableOffset: read.lastStableOffset, highWatermark: read.highWatermark, aborted: read.abortedTransactions };
}

test("markers through Raft; every replica derives the LSO and aborted index; a new leader answers read_committed as the old one did", async () => {
  cluster = new TestCluster(3, 1);
  await cluster.start([topic]);
  const leader = await leaderOf(cluster);
  const produce = (r: ReplicatedPartition, records: Uint8Array) => r.produce({ topic: "t", partition: 0, records, acks: -1 });

  // An open transaction holds the LSO at its first offset; read_uncommitted sees it.
  const t1 = await produce(leader.replica, txnBatch("t1", 0));
  expect(t1.errorCode).toBe(ErrorCode.NONE);
  expect(leader.replica.lastStableOffset).toBe(t1.baseOffset);
  expect((await readCommitted(leader.replica)).values).toEqual([]);

  // A follower refuses markers; the leader's abort is answered at commit and lists the transaction as aborted.
  const follower = replicas(cluster).find((r) => r.node !== leader.node)!;
  expect(await follower.replica.writeMarker(marker(false))).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  expect(await leader.replica.writeMarker(marker(false))).toBe(ErrorCode.NONE);
  const afterAbort = await readCommitted(leader.replica);
  expect(afterAbort.lastStableOffset).toBe(afterAbort.highWatermark);
  expect(afterAbort.values).toEqual(["t1"]);
  expect(afterAbort.aborted).toEqual([{ producerId: PRODUCER, firstOffset: t1.baseOffset }]);

  // A second transaction stays open; an older coordinator's marker is fenced.
  const t2 = await produce(leader.replica, txnBatch("t2", 1));
  expect(t2.errorCode).toBe(ErrorCode.NONE);
  expect(await leader.replica.writeMarker(marker(true, 4))).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  expect(leader.replica.lastStableOffset).toBe(t2.baseOffset);

  // The followers derived the same from what they appended.
  const hw = leader.replica.highWatermark;
  await until("followers committed the leader's log", () => replicas(cluster!).every((r) => r.replica.group.inspect().commitIndex >= hw - 1));
  for (const { replica } of replicas(cluster)) {
    expect(replica.lastStableOffset).toBe(t2.baseOffset);
    expect(replica.group.partitionLog.abortedTxns(0, hw).map((a) => [a.producerId, a.firstOffset])).toEqual([[PRODUCER, t1.baseOffset]]);
  }

  // The leader's node stops: the new leader holds the LSO at t2 and lists t1 as aborted, then commits t2.
  await cluster.stopNode(leader.node);
  const next = await leaderOf(cluster, [1, 2, 3].filter((n) => n !== leader.node));
  const before = await readCommitted(next.replica);
  expect(before.lastStableOffset).toBe(t2.baseOffset);
  expect(before.values).toEqual(["t1"]);
  expect(before.aborted).toEqual([{ producerId: PRODUCER, firstOffset: t1.baseOffset }]);
  expect(await next.replica.writeMarker(marker(true, 6))).toBe(ErrorCode.NONE);
  const committed = await readCommitted(next.replica);
  expect(committed.lastStableOffset).toBe(committed.highWatermark);
  expect(committed.values).toEqual(["t1", "t2"]);
  expect(committed.aborted).toEqual([{ producerId: PRODUCER, firstOffset: t1.baseOffset }]);
  // ListOffsets latest under read_committed is the LSO; DescribeProducers names the producer.
  expect((await next.replica.listOffset({ topic: "t", partition: 0, timestampMs: -1, readCommitted: true })).offset).toBe(committed.lastStableOffset);
  expect(next.replica.describeProducers().activeProducers.map((p) => [p.producerId, p.coordinatorEpoch, p.currentTxnStartOffset])).toEqual([[PRODUCER, 6, -1]]);

  // The stopped node comes back (its state reopened from its log) and catches up to the same LSO and aborted list.
  await cluster.restartNode(leader.node);
  const back = cluster.replica(leader.node, "t", 0)!.replica;
  const end = next.replica.highWatermark;
  await until("the restarted replica caught up", () => back.group.inspect().commitIndex >= end - 1);
  expect(back.lastStableOffset).toBe(next.replica.lastStableOffset);
  expect(back.group.partitionLog.abortedTxns(0, end)).toEqual(next.replica.group.partitionLog.abortedTxns(0, end));
}, 30_000);

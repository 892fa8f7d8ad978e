/**
 * Replicated partitions on three nodes in one process over real RPC on loopback and real files:
 * leader election, acks=-1 answered only once a majority holds the batch, the high watermark,
 * failover keeping every acknowledged batch, an idempotent retry after failover, catch-up.
 */
import { afterEach, expect, test } from "bun:test";
import type { TopicRecord } from "../cluster/metadata.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import { keyedBatch } from "../storage/compaction-test-helpers.ts";
import { CountingDisk } from "../storage/test-helpers.ts";
import { forEachRecord } from "../storage/records.ts";
import type { ReplicatedPartition } from "./replicated-partition.ts";
import { leaderOf, replicas, TestCluster, until } from "./test-nodes.ts";

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

const topic = (replicas: Array<[node: number, shard: number]>): TopicRecord => ({
  name: "t", id: "00000000-0000-0000-0000-000000000001", shards: [replicas[0]![1]], configs: {},
  assignments: [{ group: 1, replicas: replicas.map(([node, shard]) => ({ node, shard })) }],
});

const value = (text: string) => new TextEncoder().encode(text);
const batch = (text: string, idempotent?: { producerId: number; sequence: number }) =>
  buildBatch({
    records: [{ value: value(text) }],
    baseTimestamp: Date.now(),
    ...(idempotent ? { producerId: idempotent.producerId, producerEpoch: 0, baseSequence: idempotent.sequence } : {}),
  });


const produce = (r: ReplicatedPartition, records: Uint8Array, acks = -1) => r.produce({ topic: "t", partition: 0, records, acks });

/** Values of the records a consumer reads from offset 0 (whole batches below the high watermark). */
async function consume(r: ReplicatedPartition): Promise<string[]> {
  const read = await r.read({ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20 });
  expect(read.errorCode).toBe(ErrorCode.NONE);
  const out: string[] = [];
  rb.scanBatches(read.records, 0, (at) => {
    if ((rb.attributes(read.records, at) & rb.ATTR_CONTROL) !== 0) return;
    expect(rb.lastOffset(read.records, at)).toBeLessThan(read.highWatermark);
    forEachRecord(read.records, at, (r) => void out.push(new TextDecoder().decode(r.value!)));
  });
  return out;
}

test("acks=-1 is answered only once a majority holds the batch; acks=1 at the leader; consumers never see past the high watermark", async () => {
  // An election timeout well above the 250 ms this test watches a cut-off leader for (check-quorum steps it down after one).
  cluster = new TestCluster(3, 1, { election_timeout_ms: 1500, raft_heartbeat_interval_ms: 100 });
  await cluster.start([topic([[1, 0], [2, 0], [3, 0]])]);
  const leader = await leaderOf(cluster);
  const first = await produce(leader.replica, batch("a"));
  expect(first.errorCode).toBe(ErrorCode.NONE);
  const holding = replicas(cluster).filter((r) => r.replica.group.inspect().durableIndex >= first.baseOffset);
  expect(holding.length).toBeGreaterThanOrEqual(2);
  expect(await consume(leader.replica)).toEqual(["a"]);

  // Both followers gone: the leader still appends (acks=1 answers) but nothing commits.
  const followers = [1, 2, 3].filter((n) => n !== leader.node);
  for (const n of followers) await cluster.stopNode(n);
  const hwBefore = leader.replica.highWatermark;
  const acked1 = await produce(leader.replica, batch("b"), 1);
  expect(acked1.errorCode).toBe(ErrorCode.NONE);
  let answered = false;
  const pending = produce(leader.replica, batch("c")).then((r) => ((answered = true), r));
  await Bun.sleep(250); // well under an election timeout: the leader has not yet stepped down
  expect(answered).toBe(false);
  expect(leader.replica.highWatermark).toBe(hwBefore);
  expect(leader.replica.group.partitionLog.logEndOffset).toBeGreaterThan(hwBefore);
  expect(await consume(leader.replica)).toEqual(["a"]);
  // Check-quorum: the cut-off leader steps down; the pending produce is refused (retriable), never acknowledged.
  const refused = await pending;
  expect(refused.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
}, 20_000);

test("stopping the leader's node elects a new leader that keeps every acknowledged batch; a retried idempotent batch is a duplicate, its sequence with other records refused; the old leader catches up", async () => {
  cluster = new TestCluster(3, 2);
  await cluster.start([topic([[1, 1], [2, 0], [3, 1]])]);
  const leader = await leaderOf(cluster);
  const acked: Array<{ text: string; baseOffset: number }> = [];
  for (let i = 0; i < 20; i++) {
    const r = await produce(leader.replica, batch(`v${i % 10}`, { producerId: 7, sequence: i }));
    expect(r.errorCode).toBe(ErrorCode.NONE);
    acked.push({ text: `v${i % 10}`, baseOffset: r.baseOffset });
  }
  await cluster.stopNode(leader.node);
  const survivors = [1, 2, 3].filter((n) => n !== leader.node);
  const next = await leaderOf(cluster, survivors);
  expect(next.node).not.toBe(leader.node);
  expect(next.replica.leaderState.term).toBeGreaterThan(leader.replica.leaderState.term);

  // The producer never heard the answer to its last batch and retries it at the new leader.
  const retry = await produce(next.replica, batch("v9", { producerId: 7, sequence: 19 }));
  expect(retry).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: acked[19]!.baseOffset });
  // Its sequence with other records is no retry (the new leader learned the batch's records as a follower): refused, not acknowledged.
  const reused = await produce(next.replica, batch("other", { producerId: 7, sequence: 19 }));
  expect(reused.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const after = await produce(next.replica, batch("v0", { producerId: 7, sequence: 20 }));
  expect(after.errorCode).toBe(ErrorCode.NONE);
  expect(await consume(next.replica)).toEqual([...acked.map((a) => a.text), "v0"]);

  // Fetches name the epoch: the old one is fenced, a future one unknown.
  const old = await next.replica.read({ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1024, currentLeaderEpoch: leader.replica.leaderState.term });
  expect(old.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
  const future = await next.replica.read({ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1024, currentLeaderEpoch: next.replica.leaderState.term + 5 });
  expect(future.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  // OffsetForLeaderEpoch: the old epoch ends where the new leader's first entry begins.
  const end = next.replica.epochEnd({ topic: "t", partition: 0, currentLeaderEpoch: -1, leaderEpoch: leader.replica.leaderState.term });
  expect(end.errorCode).toBe(ErrorCode.NONE);
  expect(end.endOffset).toBe(acked[19]!.baseOffset + 1);

  await cluster.restartNode(leader.node);
  const back = cluster.replica(leader.node, "t", 0)!.replica;
  const target = next.replica.group.partitionLog.logEndOffset;
  await until("the restarted node caught up", () => back.group.partitionLog.logEndOffset >= target && back.group.inspect().commitIndex >= target - 1);
  expect(await back.group.inspectLog()).toEqual((await next.replica.group.inspectLog()).filter((e) => e.index < back.group.partitionLog.logEndOffset));
  expect(back.isLeader).toBe(false);
}, 30_000);

test("a leader stopped after writing a batch but before its fdatasync returned: reopened, it knows the batch, and the producer's retry there is a duplicate", async () => {
  const disks = new Map<number, CountingDisk>();
  cluster = new TestCluster(3, 1, {}, (node) => {
    const disk = new CountingDisk(new PosixDisk());
    disks.set(node, disk);
    return disk;
  });
  await cluster.start([topic([[1, 0], [2, 0], [3, 0]])]);
  const leader = await leaderOf(cluster);
  for (let i = 0; i < 3; i++) expect((await produce(leader.replica, batch(`v${i}`, { producerId: 7, sequence: i }))).errorCode).toBe(ErrorCode.NONE);

  // The leader's fdatasync of the next batch hangs; the followers write and hold it.
  const release = Promise.withResolvers<void>();
  disks.get(leader.node)!.holdDatasyncs = release.promise;
  const originalAt = leader.replica.group.partitionLog.logEndOffset;
  const unanswered = produce(leader.replica, batch("v3", { producerId: 7, sequence: 3 }));
  await until("the followers hold the batch", () => replicas(cluster!).every((r) => r.replica.group.partitionLog.logEndOffset > originalAt));
  // Stopped meanwhile: the produce is refused at once, the fdatasync returns after, and the close keeps the written batch.
  const stopping = cluster.stopNode(leader.node);
  expect((await unanswered).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  disks.get(leader.node)!.holdDatasyncs = null;
  release.resolve();
  await stopping;

  // Back, and leading again (as a restarted node may be elected): the retry is answered with the original's offset.
  await cluster.restartNode(leader.node);
  const back = cluster.replica(leader.node, "t", 0)!.replica;
  const current = await leaderOf(cluster);
  if (current.node !== leader.node) {
    await until("the restarted node caught up", () => back.group.inspect().commitIndex >= current.replica.group.inspect().commitIndex);
    expect(await current.replica.transferLeadership(leader.node)).toEqual({ ok: true });
  }
  await until("the restarted node leads", () => back.isLeader && back.group.termAt(back.group.inspect().commitIndex) === back.leaderState.term);
  const retry = await produce(back, batch("v3", { producerId: 7, sequence: 3 }));
  expect(retry).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: originalAt });
  expect(await consume(back)).toEqual(["v0", "v1", "v2", "v3"]);
}, 30_000);

test("retention on every replica: whole segments past retention.bytes and below the commit index leave; reads below the start are out of range", async () => {
  cluster = new TestCluster(3, 1, { log_compaction_interval_ms: 50 });
  const t = { ...topic([[1, 0], [2, 0], [3, 0]]), configs: { "segment.bytes": "1024", "retention.bytes": "2048" } };
  await cluster.start([t]);
  const leader = await leaderOf(cluster);
  for (let i = 0; i < 40; i++) expect((await produce(leader.replica, batch(`record-${i}-${"x".repeat(200)}`))).errorCode).toBe(ErrorCode.NONE);
  // retention.bytes keeps the oldest segment while the rest is under 2048 bytes: at most one segment (~1.3 KiB) more.
  await until("every replica applied retention", () => replicas(cluster!).every((r) => r.replica.logStartOffset > 0 && r.replica.sizeBytes < 2048 + 1536));
  for (const { replica } of replicas(cluster)) expect(replica.logStartOffset).toBeLessThanOrEqual(replica.group.inspect().commitIndex + 1);
  const below = await leader.replica.read({ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20 });
  expect(below.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  const from = await leader.replica.read({ topic: "t", partition: 0, fetchOffset: leader.replica.logStartOffset, maxBytes: 1 << 20 });
  expect(from.errorCode).toBe(ErrorCode.NONE);
  expect(from.records.length).toBeGreaterThan(0);
}, 20_000);

test("a compacted topic compacts on every replica, every entry kept; a new replica catches up from the compacted leader with the same entries, then leads with the producer's state and the latest value of each key", async () => {
  cluster = new TestCluster(4, 1, { log_compaction_interval_ms: 50 });
  const t = { ...topic([[1, 0], [2, 0], [3, 0]]), configs: { "cleanup.policy": "compact", "segment.bytes": "1024", "min.cleanable.dirty.ratio": "0.01" } };
  await cluster.start([t]);
  const leader = await leaderOf(cluster);
  const latest = new Map<string, string>();
  /** Batch `i` of an idempotent producer: 10 records over the 5 keys (sequence numbers 10 i ..). */
  const keyed = (i: number) => {
    const pairs = Array.from({ length: 10 }, (_, r): [string, string] => [`k${r % 5}`, `v${i}-${r}`]);
    for (const [k, v] of pairs) latest.set(k, v);
    return keyedBatch(pairs, { baseTimestamp: Date.now(), producerId: 9, baseSequence: 10 * i });
  };
  let written = 0;
  for (let i = 0; i < 100; i++) {
    const b = keyed(i);
    written += b.length;
    expect((await produce(leader.replica, b)).errorCode).toBe(ErrorCode.NONE);
  }
  // Every batch stays (the entries), most as a header only.
  await until("every replica compacted", () => replicas(cluster!).every((r) => r.replica.sizeBytes < written / 2));

  // Node 4 replaces a follower: it reads the whole log from the leader, removed ranges and all.
  const follower = replicas(cluster).find((r) => r.node !== leader.node)!.node;
  const assignment = t.assignments![0]!;
  const kept = assignment.replicas.filter((r) => r.node !== follower);
  await cluster.applyChange({ kind: "set_assignment", topic: "t", partition: 0, assignment: { ...assignment, target: [...kept, { node: 4, shard: 0 }] } });
  await until("the move finished", () => cluster!.finishedMoves === 1, 20_000);
  const fourth = cluster.replica(4, "t", 0)!.replica;
  const end = leader.replica.group.partitionLog.logEndOffset;
  await until("node 4 caught up", () => fourth.group.inspect().commitIndex >= end - 1);
  const entries = async (r: ReplicatedPartition) => (await r.group.inspectLog()).filter((e) => e.index < end).map((e) => `${e.baseOffset}-${e.index}:${e.term}`);
  expect(await entries(fourth)).toEqual(await entries(leader.replica));

  expect(await leader.replica.transferLeadership(4)).toEqual({ ok: true });
  await until("node 4 leads", () => fourth.isLeader && fourth.group.termAt(fourth.group.inspect().commitIndex) === fourth.leaderState.term);
  expect((await produce(fourth, keyed(100))).errorCode).toBe(ErrorCode.NONE); // its sequence follows the last batch's
  const read = await fourth.read({ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20 });
  const seen = new Map<string, string>();
  rb.scanBatches(read.records, 0, (at) => {
    if ((rb.attributes(read.records, at) & rb.ATTR_CONTROL) === 0) forEachRecord(read.records, at, (r) => void seen.set(new TextDecoder().decode(r.key!), new TextDecoder().decode(r.value!)));
  });
  expect(seen).toEqual(latest);
}, 40_000);

test("every shard of every node learns each group's leader, term and in-sync replicas; a stopped follower leaves the ISR", async () => {
  cluster = new TestCluster(3, 2, { election_timeout_ms: 300, raft_heartbeat_interval_ms: 50 });
  const topics: TopicRecord[] = [{
    name: "t", id: "00000000-0000-0000-0000-000000000002", shards: [0, 1, 0, 1], configs: {},
    // Partitions 2 and 3 have no replica on node 3: it learns of them only from reports.
    assignments: [
      { group: 1, replicas: [{ node: 1, shard: 0 }, { node: 2, shard: 1 }, { node: 3, shard: 0 }] },
      { group: 2, replicas: [{ node: 2, shard: 0 }, { node: 3, shard: 1 }, { node: 1, shard: 1 }] },
      { group: 3, replicas: [{ node: 1, shard: 1 }, { node: 2, shard: 1 }] },
      { group: 4, replicas: [{ node: 1, shard: 0 }, { node: 2, shard: 0 }] },
    ],
  }];
  await cluster.start(topics);
  const c = cluster;
  const actual = (group: number) => {
    for (const node of c.nodes) for (const shard of node.shards) for (const r of shard.replication.partitions.all()) if (r.groupId === group && r.isLeader) return { leader: node.id, term: r.leaderState.term };
    return undefined;
  };
  const everyoneKnows = (group: number, inSync: number[]) => {
    const truth = actual(group);
    return truth !== undefined && c.nodes.filter((n) => n.running).every((n) => n.shards.every((s) => {
      const known = s.replication.leaders.get(group);
      return known?.leader === truth.leader && known.term === truth.term && JSON.stringify(known.inSync) === JSON.stringify(inSync);
    }));
  };
  await until("every shard knows every leader with a full ISR", () => everyoneKnows(1, [1, 2, 3]) && everyoneKnows(2, [1, 2, 3]) && everyoneKnows(3, [1, 2]) && everyoneKnows(4, [1, 2]));
  const leader1 = actual(1)!.leader;
  const follower = [1, 2, 3].find((n) => n !== leader1)!;
  await cluster.stopNode(follower);
  const rest = [1, 2, 3].filter((n) => n !== follower);
  await until("the stopped follower left group 1's ISR everywhere", () => everyoneKnows(1, rest), 10_000);
}, 30_000);

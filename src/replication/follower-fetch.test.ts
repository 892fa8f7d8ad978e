/**
 * Follower fetching (KIP-392) on three nodes in one process, racks a, b, c: an in-sync follower
 * serves a consumer's read (a ReadItem with a client rack) up to the commit index it has learned,
 * with the leader epoch checks; a read without one, or on a follower out of the ISR, gets
 * NOT_LEADER_OR_FOLLOWER; the leader
 * names the follower in the consumer's rack and stops doing so once that follower left the ISR.
 */
import { afterEach, expect, test } from "bun:test";
import type { TopicRecord } from "../cluster/metadata.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import type { ReadItem } from "../kafka/ops.ts";
import { leaderOf, replicas, TestCluster, until } from "./test-nodes.ts";

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

const TOPIC: TopicRecord = {
  name: "t", id: "00000000-0000-0000-0000-000000000007", shards: [0], configs: {},
  assignments: [{ group: 1, replicas: [{ node: 1, shard: 0 }, { node: 2, shard: 0 }, { node: 3, shard: 0 }] }],
};
const RACKS: Record<number, string> = { 1: "a", 2: "b", 3: "c" };
const read = (fetchOffset: number, more: Partial<ReadItem> = {}): ReadItem => ({ topic: "t", partition: 0, fetchOffset, maxBytes: 1 << 20, ...more });
const batchCount = (records: Uint8Array) => {
  let n = 0;
  rb.scanBatches(records, 0, (at) => ((rb.attributes(records, at) & rb.ATTR_CONTROL) === 0 && n++, true));
  return n;
};

test("an in-sync follower serves consumers up to its high watermark; the leader names the replica in the consumer's rack", async () => {
  cluster = new TestCluster(3, 1, { election_timeout_ms: 300, raft_heartbeat_interval_ms: 50 });
  cluster.rackOf = (node) => RACKS[node] ?? null;
  await cluster.start([TOPIC]);
  const c = cluster;
  const leader = await leaderOf(c);
  for (const text of ["x", "y", "z"]) {
    const answer = await leader.replica.produce({ topic: "t", partition: 0, records: buildBatch({ records: [{ value: new TextEncoder().encode(text) }], baseTimestamp: Date.now() }), acks: -1 });
    expect(answer.errorCode).toBe(ErrorCode.NONE);
  }
  const hw = leader.replica.highWatermark;
  const followerNode = [1, 2, 3].find((n) => n !== leader.node)!;
  const follower = replicas(c).find((r) => r.node === followerNode)!.replica;
  await until("the follower knows the commit and that it is in sync", () =>
    follower.highWatermark === hw && c.node(followerNode).shards[0]!.replication.leaders.get(1)?.inSync.length === 3);

  // Without a client rack (Fetch below v11, or follower fetching off): the leader only.
  expect((await follower.read(read(0))).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const served = await follower.read(read(0, { clientRack: "" }));
  expect(served.errorCode).toBe(ErrorCode.NONE);
  expect(served.highWatermark).toBe(hw);
  expect(batchCount(served.records)).toBe(3);
  // As the leader reported it: this follower out of the ISR answers NOT_LEADER_OR_FOLLOWER (the client goes to the leader).
  const table = c.node(followerNode).shards[0]!.replication.leaders;
  const known = table.get(1)!;
  table.update(1, { ...known, inSync: known.inSync.filter((n) => n !== followerNode) }, leader.node);
  expect(await follower.read(read(0, { clientRack: "" }))).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: leader.node } });
  table.update(1, known, leader.node);
  // At its high watermark: empty, no error; past its log end: OFFSET_OUT_OF_RANGE (the client goes back to the leader).
  const atEnd = await follower.read(read(hw, { clientRack: "b" }));
  expect({ errorCode: atEnd.errorCode, bytes: atEnd.records.length }).toEqual({ errorCode: ErrorCode.NONE, bytes: 0 });
  expect((await follower.read(read(follower.group.partitionLog.logEndOffset + 5, { clientRack: "b" }))).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  // Leader epochs as on the leader: an older one is fenced and told the leader, a newer one unknown.
  const term = leader.replica.leaderState.term;
  const fenced = await follower.read(read(0, { clientRack: "", currentLeaderEpoch: term - 1 }));
  expect(fenced).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, currentLeader: { leaderId: leader.node, leaderEpoch: term } });
  expect((await follower.read(read(0, { clientRack: "", currentLeaderEpoch: term + 1 }))).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);

  // The leader: a consumer in the follower's rack is sent there (no records); in its own rack, or none, it reads here.
  const redirected = await leader.replica.read(read(0, { clientRack: RACKS[followerNode] }));
  expect(redirected).toMatchObject({ errorCode: ErrorCode.NONE, preferredReadReplica: followerNode, highWatermark: hw });
  expect(redirected.records.length).toBe(0);
  for (const clientRack of [RACKS[leader.node]!, "", "elsewhere"]) {
    const here = await leader.replica.read(read(0, { clientRack }));
    expect(here.preferredReadReplica ?? -1).toBe(-1);
    expect(batchCount(here.records)).toBe(3);
  }

  // A stopped follower leaves the ISR: the leader stops naming it.
  await c.stopNode(followerNode);
  await until("the follower left the leader's ISR", () => !c.node(leader.node).shards[0]!.replication.leaders.get(1)!.inSync.includes(followerNode), 10_000);
  expect((await leader.replica.read(read(0, { clientRack: RACKS[followerNode] }))).preferredReadReplica ?? -1).toBe(-1);
}, 30_000);

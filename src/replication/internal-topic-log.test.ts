/**
 * The group coordinator's view of `__consumer_offsets` replicas (InternalTopicLog) on three nodes
 * in one process over real RPC and files: an append resolves once committed and is then in the
 * committed values; a follower refuses appends; after the leader's node stops, the new leader's
 * replica says it leads (ready) and its committed values hold everything appended before.
 */
import { afterEach, expect, test } from "bun:test";
import type { TopicRecord } from "../cluster/metadata.ts";
import { TestCluster, until } from "./test-nodes.ts";

const TOPIC = "__consumer_offsets";
let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

const groupTopic: TopicRecord = {
  name: TOPIC, id: "00000000-0000-0000-0000-000000000050", shards: [0], configs: {},
  assignments: [{ group: 1, replicas: [1, 2, 3].map((node) => ({ node, shard: 0 })) }],
};
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (values: Uint8Array[]) => values.map((v) => new TextDecoder().decode(v));

function readyLeader(c: TestCluster, nodes: number[]): number | undefined {
  return nodes.find((n) => {
    const r = c.replica(n, TOPIC, 0)?.replica;
    return r !== undefined && r.isLeader && r.group.termAt(r.group.inspect().commitIndex) === r.leaderState.term;
  });
}

test("appends commit on a majority, a follower refuses them, and a new leader reads every committed value", async () => {
  cluster = new TestCluster(3);
  await cluster.start([groupTopic]);
  const c = cluster;
  let leader: number | undefined;
  await until("a ready leader", () => (leader = readyLeader(c, [1, 2, 3])) !== undefined);
  const logOf = (node: number) => c.node(node).shards[0]!.replication.groupLog;

  await logOf(leader!).append(0, [encode('{"a":1}'), encode('{"b":2}')]);
  await logOf(leader!).append(0, [encode('{"c":3}')]);
  expect(decode(await logOf(leader!).readCommitted(0))).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  const follower = [1, 2, 3].find((n) => n !== leader)!;
  // Neither a ready leader nor a follower is "elected, not ready" (the window between election and the first commit of its term).
  expect([1, 2, 3].map((n) => logOf(n).electedNotReady(0))).toEqual([false, false, false]);
  await expect(logOf(follower).append(0, [encode("{}")])).rejects.toThrow(/not the leader/);

  const survivors = [1, 2, 3].filter((n) => n !== leader);
  const told: Array<{ node: number; partition: number; leading: boolean }> = [];
  for (const node of survivors) logOf(node).onLeadership((partition, leading) => told.push({ node, partition, leading }));
  await c.stopNode(leader!);
  let next: number | undefined;
  await until("a new ready leader", () => (next = readyLeader(c, survivors)) !== undefined);
  await until("the new leader told it leads", () => told.some((t) => t.node === next && t.partition === 0 && t.leading));
  expect(decode(await logOf(next!).readCommitted(0))).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  await logOf(next!).append(0, [encode('{"d":4}')]);
  expect(decode(await logOf(next!).readCommitted(0))).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
}, 30_000);

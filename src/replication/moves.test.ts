/**
 * Replica moves on four nodes in one process (real RPC on loopback, real files): the test
 * stands in for the controller (TestCluster.applyChange records a move, and a finish when the
 * leader asks), the shards' MoveDriver changes the group's membership. While acks=-1 produce
 * runs, the partition moves off its leader's node onto node 4: nothing acknowledged is lost or
 * duplicated, the group's voters end as the target's nodes, the old node closes its replica and
 * removes its data, and a cancelled move goes back to the replicas it started from.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { PartitionAssignment, Replica, TopicRecord } from "../cluster/metadata.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import { forEachRecord } from "../storage/records.ts";
import { partitionDir, type ReplicatedPartition } from "./replicated-partition.ts";
import { TestCluster, until } from "./test-nodes.ts";

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

const ASSIGNMENT: PartitionAssignment = { group: 1, replicas: [1, 2, 3].map((node) => ({ node, shard: 0 })) };
const TOPIC: TopicRecord = { name: "t", id: "00000000-0000-0000-0000-000000000003", shards: [0], configs: {}, assignments: [ASSIGNMENT] };

function leader(c: TestCluster): ReplicatedPartition | undefined {
  for (const node of c.nodes) {
    const r = c.replica(node.id, "t", 0)?.replica;
    if (r?.isLeader && r.group.termAt(r.group.inspect().commitIndex) === r.leaderState.term) return r;
  }
  return undefined;
}

/** acks=-1 produce of numbered values at whichever replica leads, until stopped; what was acknowledged. */
function producer(c: TestCluster) {
  const acked: string[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const r = leader(c);
      if (!r) {
        await Bun.sleep(5); // no leader ready: poll
        i--;
        continue;
      }
      const text = `v${i}`;
      const answer = await r.produce({ topic: "t", partition: 0, records: buildBatch({ records: [{ value: new TextEncoder().encode(text) }], baseTimestamp: Date.now() }), acks: -1 });
      if (answer.errorCode === ErrorCode.NONE) acked.push(text);
      else await Bun.sleep(5); // refused (a transfer under way): back off as a client does, and let timers run
    }
  })();
  return { acked, stop: async () => ((running = false), await done) };
}

async function values(r: ReplicatedPartition): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0; offset < r.highWatermark; ) {
    const read = await r.read({ topic: "t", partition: 0, fetchOffset: offset, maxBytes: 1 << 20 });
    expect(read.errorCode).toBe(ErrorCode.NONE);
    rb.scanBatches(read.records, 0, (at) => {
      offset = rb.lastOffset(read.records, at) + 1;
      if ((rb.attributes(read.records, at) & rb.ATTR_CONTROL) === 0) forEachRecord(read.records, at, (rec) => void out.push(new TextDecoder().decode(rec.value!)));
    });
  }
  return out;
}

const move = (c: TestCluster, assignment: PartitionAssignment) => c.applyChange({ kind: "set_assignment", topic: "t", partition: 0, assignment });
const nodesOf = (replicas: Replica[]) => replicas.map((r) => r.node);

test("a move off the leader's node onto a fourth node under acks=-1 produce: nothing lost or duplicated, the old replica's data removed", async () => {
  cluster = new TestCluster(4, 1);
  await cluster.start([TOPIC]);
  const c = cluster;
  await until("a leader", () => leader(c) !== undefined);
  const from = c.nodes.find((n) => c.replica(n.id, "t", 0)?.replica === leader(c))!.id;
  const target = [...ASSIGNMENT.replicas.filter((r) => r.node !== from), { node: 4, shard: 0 }];
  const load = producer(c);
  await until("some acknowledged", () => load.acked.length >= 20);
  await move(c, { ...ASSIGNMENT, target });
  expect(c.replica(4, "t", 0)).toBeDefined(); // opened as a learner as soon as the move is recorded
  await until("the move finished", () => c.finishedMoves === 1, 20_000);
  const ackedAtFinish = load.acked.length;
  await until("more acknowledged after the move", () => load.acked.length >= ackedAtFinish + 20);
  await load.stop();

  expect(c.replica(from, "t", 0)).toBeUndefined();
  expect(existsSync(partitionDir(c.node(from).dataDir, { topic: "t", partition: 0 }))).toBe(false);
  const now = leader(c)!;
  expect(now.group.inspect().config).toEqual({ voters: nodesOf(target).sort(), learners: [] });
  const read = await values(now);
  expect(new Set(read).size).toBe(read.length); // no duplicates
  for (const text of load.acked) expect(read).toContain(text);
  // The new replica holds the same log as the leader.
  const fourth = c.replica(4, "t", 0)!.replica;
  await until("node 4 caught up", () => fourth.group.inspect().commitIndex >= now.group.inspect().commitIndex);
  const end = now.group.inspect().commitIndex;
  expect((await fourth.group.inspectLog()).filter((e) => e.index <= end)).toEqual((await now.group.inspectLog()).filter((e) => e.index <= end));
}, 40_000);

test("a cancelled move goes back to the replicas it started from; the cancelled addition's data is removed", async () => {
  cluster = new TestCluster(4, 1);
  await cluster.start([TOPIC]);
  const c = cluster;
  await until("a leader", () => leader(c) !== undefined);
  const target = [{ node: 1, shard: 0 }, { node: 2, shard: 0 }, { node: 4, shard: 0 }];
  await move(c, { ...ASSIGNMENT, target });
  await until("node 4 is a voter", () => leader(c)?.group.inspect().config.voters.includes(4) === true);
  // Cancel: back to the replicas, node 4 retiring until that finishes.
  await move(c, { ...ASSIGNMENT, target: ASSIGNMENT.replicas, retiring: [{ node: 4, shard: 0 }] });
  await until("the move back finished", () => c.finishedMoves === 1, 20_000);
  expect(leader(c)!.group.inspect().config).toEqual({ voters: [1, 2, 3], learners: [] });
  expect(c.replica(4, "t", 0)).toBeUndefined();
  expect(existsSync(partitionDir(c.node(4).dataDir, { topic: "t", partition: 0 }))).toBe(false);
}, 40_000);

import { afterEach, expect, test } from "bun:test";
import { ErrorCode } from "../protocol/errors.ts";
import { Controller } from "./controller.ts";
import { MetadataTable, type MetadataChange, type MetadataUpdate, type Replica } from "./metadata.ts";
import { defaultProperties } from "./properties.ts";
import { planFinish, planMoves, type MoveRequest } from "./replica-moves.ts";
import { cleanUp, disk, tempDir, track } from "./test-helpers.ts";

afterEach(cleanUp);

const r = (node: number, shard = 0): Replica => ({ node, shard });
const node = (id: number, shardCount = 2) => ({ kind: "upsert_node" as const, node: { id, rpc: { host: "h", port: id }, kafka: { host: "h", port: id }, shardCount, rack: null } });
const topicChange: MetadataChange = {
  kind: "upsert_topic",
  topic: { name: "t", id: "00000000-0000-0000-0000-00000000000a", shards: [0, 1], configs: {}, assignments: [{ group: 1, replicas: [r(0), r(1), r(2)] }, { group: 2, replicas: [r(1, 1), r(2, 1), r(0, 1)] }] },
};

/** A cluster's table: nodes 0–3 (two shards each), topic t with two partitions on nodes 0–2. */
function clusterTable(localNode = 3): MetadataTable {
  const table = new MetadataTable(localNode);
  table.apply({ version: 1, changes: [node(0), node(1), node(2), node(3), topicChange] });
  return table;
}

function commit(table: MetadataTable, requests: MoveRequest[]) {
  const planned = planMoves(table, requests);
  if (planned.changes.length > 0) table.apply({ version: table.version + 1, changes: planned.changes });
  return planned.outcomes.map((o) => o.errorCode);
}

test("a move records its target; the target's node owns the partition at once; Metadata's replicas are both sets until it finishes", () => {
  const table = clusterTable();
  expect(table.ownerOf("t", 0)).toBeUndefined();
  expect(commit(table, [{ topic: "t", partition: 0, replicas: [r(0), r(1), r(3, 1)] }])).toEqual([ErrorCode.NONE]);
  expect(table.assignment("t", 0)).toEqual({ group: 1, replicas: [r(0), r(1), r(2)], target: [r(0), r(1), r(3, 1)] });
  expect(table.ownerOf("t", 0)).toBe(1); // node 3's shard 1 opens the new replica
  expect(table.assignment("t", 1)!.target).toBeUndefined(); // the other partition untouched
  expect(table.topic("t")!.id).toBe("00000000-0000-0000-0000-00000000000a");

  // Asked again: nothing new; another target while it runs: refused.
  expect(planMoves(table, [{ topic: "t", partition: 0, replicas: [r(0), r(1), r(3, 1)] }]).changes).toEqual([]);
  expect(commit(table, [{ topic: "t", partition: 0, replicas: [r(0), r(2), r(3, 1)] }])).toEqual([ErrorCode.REASSIGNMENT_IN_PROGRESS]);

  // The leader's finish with a stale target changes nothing; with the target, the target becomes the replicas.
  expect(planFinish(table.assignment("t", 0), 1, [r(0), r(1), r(2)])).toBeNull();
  expect(planFinish(table.assignment("t", 0), 99, [r(0), r(1), r(3, 1)])).toBeNull();
  const finished = planFinish(table.assignment("t", 0), 1, [r(0), r(1), r(3, 1)])!;
  table.apply({ version: table.version + 1, changes: [{ kind: "set_assignment", topic: "t", partition: 0, assignment: finished }] });
  expect(table.assignment("t", 0)).toEqual({ group: 1, replicas: [r(0), r(1), r(3, 1)] });
  expect(table.topic("t")!.shards).toEqual([0, 1]);
  expect(table.partitionOfGroup(1)).toEqual({ topic: "t", partition: 0 });
});

test("a cancel moves back to the replicas, keeping the additions as retiring until it finishes", () => {
  const table = clusterTable(3);
  expect(commit(table, [{ topic: "t", partition: 0, replicas: null }])).toEqual([ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]);
  commit(table, [{ topic: "t", partition: 0, replicas: [r(3), r(1), r(2)] }]);
  expect(commit(table, [{ topic: "t", partition: 0, replicas: null }])).toEqual([ErrorCode.NONE]);
  expect(table.assignment("t", 0)).toEqual({ group: 1, replicas: [r(0), r(1), r(2)], target: [r(0), r(1), r(2)], retiring: [r(3)] });
  expect(table.ownerOf("t", 0)).toBe(0); // node 3 keeps its replica until the move back finishes
  expect(commit(table, [{ topic: "t", partition: 0, replicas: null }])).toEqual([ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]);
  const back = planFinish(table.assignment("t", 0), 1, [r(0), r(1), r(2)])!;
  table.apply({ version: table.version + 1, changes: [{ kind: "set_assignment", topic: "t", partition: 0, assignment: back }] });
  expect(table.assignment("t", 0)).toEqual({ group: 1, replicas: [r(0), r(1), r(2)] });
  expect(table.ownerOf("t", 0)).toBeUndefined();
});

test("bad targets are refused with the reason; each request of a call is answered on its own", () => {
  const table = clusterTable();
  const outcomes = planMoves(table, [
    { topic: "t", partition: 0, replicas: [r(0), r(0, 1), r(3)] },
    { topic: "t", partition: 1, replicas: [r(1, 1), r(2, 1), r(7)] },
    { topic: "u", partition: 0, replicas: [r(0)] },
    { topic: "t", partition: 5, replicas: [r(0)] },
  ]).outcomes;
  expect(outcomes.map((o) => o.errorCode)).toEqual([ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  expect(outcomes[0]!.errorMessage).toContain("named twice");
  expect(outcomes[1]!.errorMessage).toContain("node 7 is not in the cluster");
  const problem = (replicas: Replica[]) => planMoves(table, [{ topic: "t", partition: 0, replicas }]).outcomes[0]!.errorMessage;
  expect(problem([])).toContain("at least one replica");
  expect(problem([r(0), r(1), r(2), r(3), r(4)])).toContain("5 replicas but the cluster has 4 nodes");
  expect(problem([r(0), r(1), r(3, 2)])).toContain("cores 0..1");
  expect(problem([r(0, 1), r(1), r(3)])).toContain("node 0's replica changes core in a move between nodes");
  expect(planMoves(table, [{ topic: "t", partition: 0, replicas: [r(0)] }, { topic: "t", partition: 0, replicas: [r(1)] }]).outcomes[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  // Good and bad in one call: only the good ones are recorded.
  const mixed = planMoves(table, [{ topic: "t", partition: 0, replicas: [r(3), r(1), r(2)] }, { topic: "t", partition: 1, replicas: [r(9)] }]);
  expect(mixed.changes).toHaveLength(1);
  expect(planMoves(table, [{ topic: "t", partition: 0, replicas: [r(0), r(1), r(2)] }]).changes).toEqual([]); // already there
});

test("the same nodes on other cores or in another order: the replicas change at once, without a move", () => {
  const table = clusterTable();
  expect(commit(table, [{ topic: "t", partition: 0, replicas: [r(0, 1), r(1), r(2)] }])).toEqual([ErrorCode.NONE]);
  expect(table.assignment("t", 0)).toEqual({ group: 1, replicas: [r(0, 1), r(1), r(2)] });
  expect(commit(table, [{ topic: "t", partition: 0, nodes: [2, 0, 1] }])).toEqual([ErrorCode.NONE]); // Kafka's ids: each node keeps its core
  expect(table.assignment("t", 0)).toEqual({ group: 1, replicas: [r(2), r(0, 1), r(1)] });
  // While a move runs, a core change waits like any other.
  expect(commit(table, [{ topic: "t", partition: 0, replicas: [r(2), r(0, 1), r(3)] }])).toEqual([ErrorCode.NONE]);
  expect(commit(table, [{ topic: "t", partition: 0, replicas: [r(2, 1), r(0, 1), r(1)] }])).toEqual([ErrorCode.REASSIGNMENT_IN_PROGRESS]);
});

test("applying a core change on the replica's node: the old shard lets go before the shards get the update; other nodes hand nothing over", async () => {
  for (const self of [0, 1]) {
    const calls: string[] = [];
    const shards = { publish: async (u: MetadataUpdate) => void calls.push(`publish ${u.version}`), release: async (shard: number, ref: { topic: string; partition: number }) => void calls.push(`release ${ref.topic}/${ref.partition} from ${shard}`), shardBytes: async () => [0, 0] };
    const controller = await track(Controller.open({ disk, dataDir: tempDir("skua-core-move-"), props: defaultProperties(), shardCount: 2, shards, warn: () => {}, clustered: true }));
    controller.joinCluster(self, { propose: async () => true }, async () => {});
    await controller.applyCommitted({ version: 1, changes: [node(0), node(1), node(2), topicChange] });
    await controller.applyCommitted({ version: 2, changes: planMoves(controller.table, [{ topic: "t", partition: 0, replicas: [r(0, 1), r(1), r(2)] }]).changes });
    expect(calls).toEqual(self === 0 ? ["publish 1", "release t/0 from 0", "publish 2"] : ["publish 1", "publish 2"]);
  }
});

test("a move's record survives a restart of the controller (so the move resumes), and the finish does too", async () => {
  const dataDir = tempDir("skua-moves-");
  const published: MetadataUpdate[] = [];
  const shards = { publish: async (u: MetadataUpdate) => void published.push(u), release: async () => {}, shardBytes: async () => [0, 0] };
  const open = () => track(Controller.open({ disk, dataDir, props: defaultProperties(), shardCount: 2, shards, warn: () => {}, clustered: true }));
  const first = await open();
  await first.change(async () => ({ changes: [node(0), node(1), node(2), node(3), topicChange], result: null }));
  await first.change(async (table) => ({ ...planMoves(table, [{ topic: "t", partition: 1, replicas: [r(1, 1), r(2, 1), r(3, 0)] }]), result: null }));
  await first.close();
  const second = await open();
  expect(second.table.assignment("t", 1)).toEqual({ group: 2, replicas: [r(1, 1), r(2, 1), r(0, 1)], target: [r(1, 1), r(2, 1), r(3, 0)] });
  await second.change(async (table) => {
    const assignment = planFinish(table.assignment("t", 1), 2, [r(1, 1), r(2, 1), r(3, 0)])!;
    return { changes: [{ kind: "set_assignment", topic: "t", partition: 1, assignment }], result: null };
  });
  await second.close();
  const third = await open();
  expect(third.table.assignment("t", 1)).toEqual({ group: 2, replicas: [r(1, 1), r(2, 1), r(3, 0)] });
  expect(published.at(-1)!.changes[0]!.kind).toBe("set_assignment");
});

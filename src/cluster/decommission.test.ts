import { expect, test } from "bun:test";
import { finishAllMoves } from "./test-helpers.ts";
import { decommissionProgress, DRAIN_MOVES_MAX, planDecommission, planDrainStep, planRecommission } from "./decommission.ts";
import { MetadataTable, type MetadataChange, type Replica } from "./metadata.ts";
import { clusterLoad } from "./replica-placement.ts";
import { planMoves } from "./replica-moves.ts";

const r = (node: number, shard = 0): Replica => ({ node, shard });
const node = (id: number, rack: string | null = null) => ({ kind: "upsert_node" as const, node: { id, rpc: { host: "h", port: id }, kafka: { host: "h", port: id }, shardCount: 2, rack } });

/** Nodes 0–3 (`extra` more, on `racks` if given); topic t: `partitions` partitions of RF 3 on nodes 0, 1, 2. */
function table(partitions: number, racks: Array<string | null> = [], extra = 0): MetadataTable {
  const t = new MetadataTable(0);
  const assignments = Array.from({ length: partitions }, (_, p) => ({ group: p + 1, replicas: [r(p % 3), r((p + 1) % 3), r((p + 2) % 3)] }));
  const nodes = Array.from({ length: 4 + extra }, (_, id) => node(id, racks[id] ?? null));
  t.apply({ version: 1, changes: [...nodes, { kind: "upsert_topic", topic: { name: "t", id: "00000000-0000-0000-0000-00000000000b", shards: assignments.map(() => 0), configs: {}, assignments } }] });
  return t;
}
const apply = (t: MetadataTable, changes: MetadataChange[]) => changes.length > 0 && t.apply({ version: t.version + 1, changes });

const finishAll = (t: MetadataTable) => finishAllMoves(t);

test("a decommissioned node's replicas move to the free node, a bounded number at a time, and placement leaves it out", () => {
  const t = table(DRAIN_MOVES_MAX + 3);
  const { changes, outcome } = planDecommission(t, 1);
  expect(outcome).toEqual({ ok: true });
  apply(t, changes);
  expect(t.isDraining(1)).toBe(true);
  expect(clusterLoad(t).nodes.map((n) => n.id)).toEqual([0, 2, 3]); // no new replicas on node 1
  const first = planDrainStep(t);
  expect(first).toHaveLength(DRAIN_MOVES_MAX);
  apply(t, first);
  expect(planDrainStep(t)).toEqual([]); // the bound holds while they run
  const a = t.assignment("t", 0)!;
  expect(a.target!.map((x) => x.node)).toEqual(a.replicas.map((x) => (x.node === 1 ? 3 : x.node))); // replaced in place: the preferred leader stays first
  expect(decommissionProgress(t, 1)).toMatchObject({ status: "draining", finished: false, replicas_left: DRAIN_MOVES_MAX + 3 });
  finishAll(t);
  apply(t, planDrainStep(t));
  finishAll(t);
  expect(planDrainStep(t)).toEqual([]);
  expect(decommissionProgress(t, 1)).toEqual({ node_id: 1, status: "draining", finished: true, replicas_left: 0, partitions: [] });
  for (const assignment of t.topic("t")!.assignments!) expect(assignment.replicas.map((x) => x.node).sort()).toEqual([0, 2, 3]);
  // New replicas (a move by hand) are refused on it too.
  expect(planMoves(t, [{ topic: "t", partition: 0, replicas: [r(0), r(1), r(2)] }]).outcomes[0]!.errorMessage).toContain("being decommissioned");
});

test("rack-aware: a drained replica goes to a node on a rack its partition is not on yet, even a fuller one", () => {
  // Node 1 (rack b) drains; node 3 (rack a, with 0) is the emptiest, node 4 (rack b) is not on a rack of the others.
  const racks = ["a", "b", "c", "a", "b"];
  const firstTargets = (rackAware: boolean) => {
    const t = table(3, racks, 1);
    apply(t, [{ kind: "upsert_topic", topic: { name: "u", id: "00000000-0000-0000-0000-00000000000d", shards: [0], configs: {}, assignments: [{ group: 9, replicas: [r(4)] }] } }]);
    apply(t, planDecommission(t, 1).changes);
    return planDrainStep(t, rackAware).map((m) => (m.kind === "set_assignment" ? m.assignment.target!.map((x) => x.node).sort() : []));
  };
  expect(firstTargets(true)).toEqual([[0, 2, 4], [0, 2, 4], [0, 2, 4]]);
  expect(firstTargets(false)[0]).toEqual([0, 2, 3]); // by load alone: the emptiest
});

test("a node whose replicas have nowhere to go is refused with the partition named; unknown and last nodes too", () => {
  const t = table(2);
  apply(t, planDecommission(t, 3).changes); // node 3 holds nothing: fine
  const refused = planDecommission(t, 1);
  expect(refused.changes).toEqual([]);
  expect(refused.outcome).toEqual({ ok: false, error: expect.stringContaining("nowhere to go: t/0 already has a replica on every other active node (0, 2)") });
  expect(planDecommission(t, 9).outcome).toEqual({ ok: false, error: "node 9 is not in the cluster" });
  expect(planDecommission(t, 3)).toEqual({ changes: [], outcome: { ok: true } }); // already draining
});

test("recommissioning stops the drain and cancels the moves still taking replicas off the node", () => {
  const t = table(2);
  apply(t, planDecommission(t, 1).changes);
  apply(t, planDrainStep(t));
  expect(t.assignment("t", 0)!.target).toBeDefined();
  expect(planRecommission(t, 2).outcome).toEqual({ ok: false, error: "node 2 is not being decommissioned" });
  apply(t, planRecommission(t, 1).changes);
  expect(t.isDraining(1)).toBe(false);
  const a = t.assignment("t", 0)!;
  expect(a.target).toEqual(a.replicas); // moving back
  expect(a.retiring).toEqual([r(3, a.retiring![0]!.shard)]);
  expect(planDrainStep(t)).toEqual([]);
});

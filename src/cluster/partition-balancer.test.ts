import { expect, test } from "bun:test";
import { finishAllMoves } from "./test-helpers.ts";
import { DRAIN_MOVES_MAX } from "./decommission.ts";
import { MetadataTable, type MetadataChange, type PartitionAssignment, type Replica } from "./metadata.ts";
import { movesRunning, planBalanceStep } from "./partition-balancer.ts";

const r = (node: number, shard = 0): Replica => ({ node, shard });
const node = (id: number, rack: string | null = null) => ({ kind: "upsert_node" as const, node: { id, rpc: { host: "h", port: id }, kafka: { host: "h", port: id }, shardCount: 2, rack } });

/** Nodes `ids` (on `racks`, if given); topic t with these assignments (groups numbered from 1). */
function table(ids: number[], replicas: Replica[][], racks: Record<number, string> = {}): MetadataTable {
  const t = new MetadataTable(0);
  const assignments: PartitionAssignment[] = replicas.map((rs, p) => ({ group: p + 1, replicas: rs }));
  t.apply({ version: 1, changes: [...ids.map((id) => node(id, racks[id] ?? null)), { kind: "upsert_topic", topic: { name: "t", id: "00000000-0000-0000-0000-00000000000c", shards: assignments.map(() => 0), configs: {}, assignments } }] });
  return t;
}
const apply = (t: MetadataTable, changes: MetadataChange[]) => changes.length > 0 && t.apply({ version: t.version + 1, changes });
const up = (...ids: number[]) => new Set(ids);

/** Replicas per node once every move finished. */
function counts(t: MetadataTable): Record<number, number> {
  const out: Record<number, number> = {};
  for (const n of t.nodes()) out[n.id] = 0;
  for (const a of t.topic("t")!.assignments!) for (const x of a.replicas) out[x.node]!++;
  return out;
}

const finishAll = (t: MetadataTable) => finishAllMoves(t);

/** Runs steps (finishing every move between them) until the balancer plans nothing. */
function balance(t: MetadataTable, alive: Set<number>, rackAware = false): number {
  let steps = 0;
  for (;;) {
    const changes = planBalanceStep(t, alive, rackAware);
    if (changes.length === 0) return steps;
    expect(changes.length).toBeLessThanOrEqual(DRAIN_MOVES_MAX);
    apply(t, changes);
    finishAll(t);
    steps++;
    expect(steps).toBeLessThan(100);
  }
}

/** 12 partitions of RF 3 over nodes 0, 1, 2 (12 replicas each). */
const threeNodes = () => Array.from({ length: 12 }, (_, p) => [r(p % 3), r((p + 1) % 3), r((p + 2) % 3)]);

test("a joined node gets replicas until counts differ by at most one, a bounded number of moves at a time", () => {
  const t = table([0, 1, 2, 3], threeNodes());
  const first = planBalanceStep(t, up(0, 1, 2, 3));
  expect(first).toHaveLength(DRAIN_MOVES_MAX); // 9 would even it out (36 replicas / 4); the bound holds
  for (const change of first) {
    if (change.kind !== "set_assignment") throw new Error("a move");
    expect(change.assignment.target!.some((x) => x.node === 3)).toBe(true);
    expect(change.assignment.target).toHaveLength(3);
    expect(change.assignment.replicas).toEqual(t.assignment("t", change.partition)!.replicas);
  }
  apply(t, first);
  expect(movesRunning(t)).toBe(DRAIN_MOVES_MAX);
  expect(planBalanceStep(t, up(0, 1, 2, 3))).toEqual([]); // the bound holds while they run
  finishAll(t);
  expect(balance(t, up(0, 1, 2, 3))).toBe(1);
  expect(counts(t)).toEqual({ 0: 9, 1: 9, 2: 9, 3: 9 });
  // New replicas spread over the joined node's cores.
  const shards = t.topic("t")!.assignments!.flatMap((a) => a.replicas.filter((x) => x.node === 3).map((x) => x.shard));
  expect([shards.filter((s) => s === 0).length, shards.filter((s) => s === 1).length].sort()).toEqual([4, 5]);
  expect(planBalanceStep(t, up(0, 1, 2, 3))).toEqual([]);
});

test("rack-aware: no move leaves a partition on fewer racks, so a joined node on a rack already used takes only that rack's replicas", () => {
  const racks = { 0: "a", 1: "b", 2: "c", 3: "a" };
  const aware = table([0, 1, 2, 3], threeNodes(), racks);
  balance(aware, up(0, 1, 2, 3), true);
  expect(counts(aware)).toEqual({ 0: 6, 1: 12, 2: 12, 3: 6 }); // as even as three racks per partition allows
  for (const a of aware.topic("t")!.assignments!) expect(a.replicas.map((x) => racks[x.node as 0 | 1 | 2 | 3]).sort()).toEqual(["a", "b", "c"]);
  const unaware = table([0, 1, 2, 3], threeNodes(), racks);
  balance(unaware, up(0, 1, 2, 3));
  expect(counts(unaware)).toEqual({ 0: 9, 1: 9, 2: 9, 3: 9 });
});

test("a replica that is not the preferred leader moves first; within one the counts are left alone", () => {
  const t = table([0, 1, 2], [[r(0), r(1)], [r(0), r(2)], [r(1), r(0)]]);
  // 3, 2, 1: node 0 gives one to node 2, from partition 2, where node 0 is not the first replica (partition 1 is on node 2 already; its free core 1).
  expect(planBalanceStep(t, up(0, 1, 2))).toEqual([{ kind: "set_assignment", topic: "t", partition: 2, assignment: { group: 3, replicas: [r(1), r(0)], target: [r(1), r(2, 1)] } }]);
  const even = table([0, 1, 2], [[r(0), r(1)], [r(1), r(2)]]);
  expect(planBalanceStep(even, up(0, 1, 2))).toEqual([]); // 1, 2, 1
  expect(planBalanceStep(even, up(0))).toEqual([]); // one node up: nothing to even out
});

test("nodes that are down or draining neither give nor take replicas, and their partitions stay put", () => {
  const t = table([0, 1, 2, 3], threeNodes());
  expect(planBalanceStep(t, up(0, 1, 2))).toEqual([]); // node 3 not up yet
  apply(t, [{ kind: "node_draining", node: 3, draining: true }]);
  expect(planBalanceStep(t, up(0, 1, 2, 3))).toEqual([]);
  // Node 4 joins while node 2 is down: only partitions on 0 and 1 alone could move, and each has a replica on 2.
  const u = table([0, 1, 2, 4], threeNodes());
  expect(planBalanceStep(u, up(0, 1, 4))).toEqual([]);
  // RF 2 on 0, 1 and 2 (8 each), node 2 down: node 3 takes only partitions of nodes 0 and 1.
  const v = table([0, 1, 2, 3], Array.from({ length: 12 }, (_, p) => [r(p % 3), r((p + 1) % 3)]));
  const moves = planBalanceStep(v, up(0, 1, 3));
  expect(moves.length).toBeGreaterThan(0);
  for (const m of moves) if (m.kind === "set_assignment") expect(m.assignment.replicas.some((x) => x.node === 2)).toBe(false);
});

test("moves already running (by hand, or draining) count against the bound; a running move counts at its target", () => {
  const t = table([0, 1, 2, 3], threeNodes());
  const running: MetadataChange[] = [0, 1, 2, 3, 4, 5].map((p) => ({
    kind: "set_assignment", topic: "t", partition: p,
    assignment: { group: p + 1, replicas: t.assignment("t", p)!.replicas, target: t.assignment("t", p)!.replicas.map((x) => (x.node === p % 3 ? r(3) : x)) },
  }));
  apply(t, running);
  const next = planBalanceStep(t, up(0, 1, 2, 3));
  expect(next).toHaveLength(DRAIN_MOVES_MAX - 6);
  apply(t, next);
  finishAll(t);
  balance(t, up(0, 1, 2, 3));
  expect(counts(t)).toEqual({ 0: 9, 1: 9, 2: 9, 3: 9 });
});

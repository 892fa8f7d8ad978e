import { describe, expect, test } from "bun:test";
import { leadersPerNode, planLeaderBalance, planMaintenanceDrain, type GroupLeadership, type LeaderTransfer, type LeadershipView, type NodeLeadershipState } from "./leader-balancer.ts";

const node = (id: number, shardCount = 1, extra: Partial<NodeLeadershipState> = {}): NodeLeadershipState => ({ id, shardCount, eligible: true, maintenance: false, ...extra });

/** A group over `nodes` (shard `shard` on each), led by `leader`, every replica in sync. */
function group(id: number, leader: number | null, nodes: number[], shard = 0): GroupLeadership {
  return { group: id, leader, replicas: nodes.map((n) => ({ node: n, shard })), inSync: [...nodes] };
}

function apply(view: LeadershipView, transfers: LeaderTransfer[]): LeadershipView {
  const groups = view.groups.map((g) => {
    const t = transfers.find((x) => x.group === g.group);
    if (!t) return g;
    expect(t.from).toBe(g.leader!);
    return { ...g, leader: t.to };
  });
  return { ...view, groups };
}

/** Rounds of `transfersMax` until the balancer has nothing to do; returns the view and the rounds taken. */
function balance(view: LeadershipView, transfersMax: number, roundsMax = 1000): { view: LeadershipView; rounds: number } {
  for (let round = 0; round < roundsMax; round++) {
    const transfers = planLeaderBalance(view, new Set(), transfersMax);
    if (transfers.length === 0) return { view, rounds: round };
    expect(transfers.length).toBeLessThanOrEqual(transfersMax);
    view = apply(view, transfers);
  }
  throw new Error(`not settled in ${roundsMax} rounds`);
}

const counts = (view: LeadershipView) => [...leadersPerNode(view).values()];
const spread = (values: number[]) => Math.max(...values) - Math.min(...values);

/** A seeded xorshift, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("leader balance", () => {
  test("every leadership on one node: spread to 4,4,4 at most 8 transfers a round, each to an in-sync replica", () => {
    const view: LeadershipView = { nodes: [node(0), node(1), node(2)], groups: Array.from({ length: 12 }, (_, g) => group(g + 1, 0, [0, 1, 2])) };
    const first = planLeaderBalance(view, new Set(), 8);
    expect(first.length).toBe(8);
    expect(first.every((t) => t.from === 0 && t.to !== 0)).toBe(true);
    const { view: settled, rounds } = balance(view, 8);
    expect(counts(settled)).toEqual([4, 4, 4]);
    expect(rounds).toBe(1);
  });

  test("a balanced cluster (counts within one) is left alone", () => {
    const leaders = [0, 1, 2, 0, 1, 2, 0];
    const view: LeadershipView = { nodes: [node(0), node(1), node(2)], groups: leaders.map((l, g) => group(g + 1, l, [0, 1, 2])) };
    expect(planLeaderBalance(view, new Set(), 8)).toEqual([]);
  });

  test("a node that may not lead (down, decommissioning or in maintenance) gets nothing; an out-of-sync replica gets nothing; muted groups stay", () => {
    const groups = Array.from({ length: 6 }, (_, g) => group(g + 1, 0, [0, 1, 2]));
    const down: LeadershipView = { nodes: [node(0), node(1), node(2, 1, { eligible: false })], groups };
    const transfers = planLeaderBalance(down, new Set(), 8);
    expect(transfers.every((t) => t.to === 1)).toBe(true);
    expect(counts(apply(down, transfers))).toEqual([3, 3, 0]);

    const maintenance: LeadershipView = { nodes: [node(0), node(1), node(2, 1, { maintenance: true })], groups };
    expect(planLeaderBalance(maintenance, new Set(), 8).some((t) => t.to === 2)).toBe(false);

    const behind: LeadershipView = { nodes: [node(0), node(1), node(2)], groups: groups.map((g) => ({ ...g, inSync: [0, 1] })) };
    expect(planLeaderBalance(behind, new Set(), 8).some((t) => t.to === 2)).toBe(false);

    const muted = new Set([1, 2, 3, 4, 5]);
    expect(planLeaderBalance({ nodes: [node(0), node(1), node(2)], groups }, muted, 8).map((t) => t.group)).toEqual([6]);
  });

  test("even shard load: leaders balanced per node but piled on one shard of each are spread over the shards", () => {
    // Node 0 leads four groups on its shard 0, node 1 four on its shard 1: only swaps between them fix it.
    const groups = [
      ...[1, 2, 3, 4].map((g) => group(g, 0, [0, 1, 2], 0)),
      ...[5, 6, 7, 8].map((g) => group(g, 1, [0, 1, 2], 1)),
      group(9, 2, [0, 1, 2], 0), group(10, 2, [0, 1, 2], 0), group(11, 2, [0, 1, 2], 1), group(12, 2, [0, 1, 2], 1),
    ];
    const view: LeadershipView = { nodes: [node(0, 2), node(1, 2), node(2, 2)], groups };
    const { view: settled } = balance(view, 8);
    const perShard = new Map<string, number>();
    for (const g of settled.groups) {
      const key = `${g.leader}/${g.replicas.find((r) => r.node === g.leader)!.shard}`;
      perShard.set(key, (perShard.get(key) ?? 0) + 1);
    }
    expect([...perShard.values()].sort()).toEqual([2, 2, 2, 2, 2, 2]);
    expect(counts(settled)).toEqual([4, 4, 4]);
  });

  test("at an equal shard sum the node sum decides: 4,4,2 leaders over nodes of two shards become 4,3,3", () => {
    // Shards: node 0 {2,2}, node 1 {2,2}, node 2 {1,1}; moving one off a 2-shard to a 1-shard keeps the shard sum.
    const groups: GroupLeadership[] = [];
    let id = 1;
    for (const [leader, shard, n] of [[0, 0, 2], [0, 1, 2], [1, 0, 2], [1, 1, 2], [2, 0, 1], [2, 1, 1]] as const) {
      for (let i = 0; i < n; i++) groups.push(group(id++, leader, [0, 1, 2], shard));
    }
    const { view: settled } = balance({ nodes: [node(0, 2), node(1, 2), node(2, 2)], groups }, 8);
    expect(spread(counts(settled))).toBeLessThanOrEqual(1);
  });

  test("a node with twice the shards leads twice as many", () => {
    const groups = Array.from({ length: 12 }, (_, g) => ({ ...group(g + 1, 0, [0, 1], 0), replicas: [{ node: 0, shard: 0 }, { node: 1, shard: g % 2 }] }));
    const { view: settled } = balance({ nodes: [node(0, 1), node(1, 2)], groups }, 8);
    expect(counts(settled)).toEqual([4, 8]);
  });

  test("random placements (seeded): it settles without cycling, never moves to an ineligible or out-of-sync replica, and leaves no node two above another that shares a movable group", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = random(seed);
      const nodeCount = 3 + Math.floor(r() * 3);
      const nodes = Array.from({ length: nodeCount }, (_, id) => node(id, 1 + Math.floor(r() * 2), { eligible: r() > 0.15 }));
      const groups: GroupLeadership[] = Array.from({ length: 10 + Math.floor(r() * 60) }, (_, g) => {
        const members = [...nodes.keys()].sort(() => r() - 0.5).slice(0, 3);
        const replicas = members.map((n) => ({ node: n, shard: Math.floor(r() * nodes[n]!.shardCount) }));
        const inSync = members.filter((n, i) => i === 0 || r() > 0.2);
        return { group: g + 1, leader: members[0]!, replicas, inSync };
      });
      let view: LeadershipView = { nodes, groups };
      const eligible = new Set(nodes.filter((n) => n.eligible).map((n) => n.id));
      for (let round = 0; ; round++) {
        expect(round).toBeLessThan(500);
        const transfers = planLeaderBalance(view, new Set(), 4);
        for (const t of transfers) {
          const g = view.groups.find((x) => x.group === t.group)!;
          expect(eligible.has(t.to) && eligible.has(t.from) && g.inSync.includes(t.to) && t.to !== t.from).toBe(true);
        }
        if (transfers.length === 0) break;
        view = apply(view, transfers);
      }
      // Settled: no single transfer between equal-shard nodes two apart remains possible.
      const c = leadersPerNode(view);
      for (const g of view.groups) {
        if (!eligible.has(g.leader!)) continue;
        for (const to of g.inSync) {
          const same = nodes[to]!.shardCount === nodes[g.leader!]!.shardCount && nodes[to]!.shardCount === 1;
          if (to !== g.leader && eligible.has(to) && same) expect(c.get(g.leader!)! - c.get(to)!, `seed ${seed}`).toBeLessThan(2);
        }
      }
    }
  });
});

describe("maintenance drain", () => {
  test("every leadership of the node in maintenance goes to the least-loaded in-sync replica; none back onto it", () => {
    const groups = [group(1, 2, [0, 1, 2]), group(2, 2, [0, 1, 2]), group(3, 2, [0, 1, 2]), group(4, 0, [0, 1, 2]), group(5, 2, [1, 2])];
    const view: LeadershipView = { nodes: [node(0), node(1), node(2, 1, { maintenance: true, eligible: false })], groups };
    const transfers = planMaintenanceDrain(view, 100);
    expect(transfers).toEqual([{ group: 1, from: 2, to: 1 }, { group: 2, from: 2, to: 0 }, { group: 3, from: 2, to: 1 }, { group: 5, from: 2, to: 1 }]);
    expect(planMaintenanceDrain(view, 2).length).toBe(2);
    const drained = apply(view, transfers);
    expect(leadersPerNode(drained).get(2)).toBe(0);
    expect(planLeaderBalance(drained, new Set(), 8).some((t) => t.to === 2)).toBe(false);
  });

  test("a leadership with no other in-sync replica on a node that may lead stays; no maintenance, no transfers", () => {
    const groups = [{ ...group(1, 2, [0, 1, 2]), inSync: [2] }, group(2, 2, [2]), group(3, 2, [1, 2])];
    const view: LeadershipView = { nodes: [node(0), node(1, 1, { eligible: false }), node(2, 1, { maintenance: true })], groups };
    expect(planMaintenanceDrain(view, 100)).toEqual([]);
    expect(planMaintenanceDrain({ ...view, nodes: [node(0), node(1), node(2)] }, 100)).toEqual([]);
  });
});

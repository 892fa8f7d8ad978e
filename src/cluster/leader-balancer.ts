/**
 * Leader balancing (Redpanda's leader balancer with `even_shard_load`) and the leadership drain
 * of a node in maintenance mode, as pure decisions: given every replicated partition's leader,
 * replicas and in-sync replicas and what each node may do, which leaderships to transfer where.
 * Every shard of every node runs the same decisions on the same view and carries out only the
 * transfers of the groups it leads (replication/leader-driver.ts), so no transfer is decided twice.
 *
 * Balance: the goal is an even count of leaders per shard over the nodes that may lead (so a
 * node with more shards leads more). A transfer is taken only when it lowers the imbalance: the
 * sum over shards of leaders² (even shard load), or at an equal sum the sum over nodes of
 * leaders² / shards (so 4,4,2 leaders on three nodes become 4,3,3 even when that leaves the
 * shard sum as it was). Each taken transfer strictly lowers that pair, so the decisions cannot
 * cycle; they stop where no single transfer lowers it.
 */
import type { MetadataTable, Replica } from "./metadata.ts";

export interface GroupLeadership {
  group: number;
  /** The leader's node; null while none is known. */
  leader: number | null;
  replicas: Replica[];
  /** Voters the leader reports caught up (itself included): the only safe targets. */
  inSync: number[];
}

export interface NodeLeadershipState {
  id: number;
  shardCount: number;
  /** It may take leaderships: reachable, not decommissioning, not in maintenance. */
  eligible: boolean;
  /** In maintenance mode: its leaderships move away. */
  maintenance: boolean;
}

export interface LeaderTransfer {
  group: number;
  from: number;
  to: number;
}

export interface LeadershipView {
  groups: GroupLeadership[];
  nodes: NodeLeadershipState[];
}

/** Leaders per node and per node's shard, over the groups whose leader is known. */
class LeaderLoad {
  private readonly byNode = new Map<number, number>();
  private readonly byShard = new Map<string, number>();
  readonly shardCounts = new Map<number, number>();

  constructor(view: LeadershipView) {
    for (const n of view.nodes) {
      this.shardCounts.set(n.id, Math.max(1, n.shardCount));
      this.byNode.set(n.id, 0);
    }
    for (const g of view.groups) {
      const shard = leaderShard(g);
      if (shard !== null) this.add(g.leader!, shard, 1);
    }
  }

  node(id: number): number {
    return this.byNode.get(id) ?? 0;
  }

  shard(node: number, shard: number): number {
    return this.byShard.get(`${node}/${shard}`) ?? 0;
  }

  move(from: Replica, to: Replica): void {
    this.add(from.node, from.shard, -1);
    this.add(to.node, to.shard, 1);
  }

  private add(node: number, shard: number, delta: number): void {
    this.byNode.set(node, this.node(node) + delta);
    this.byShard.set(`${node}/${shard}`, this.shard(node, shard) + delta);
  }
}

function leaderShard(g: GroupLeadership): number | null {
  if (g.leader === null) return null;
  return g.replicas.find((r) => r.node === g.leader)?.shard ?? null;
}

/** The replicas a group's leadership may go to: in sync, on a node that may lead, not the leader's. */
function targets(g: GroupLeadership, eligible: Set<number>): Replica[] {
  return g.replicas.filter((r) => r.node !== g.leader && eligible.has(r.node) && g.inSync.includes(r.node));
}

function eligibleNodes(view: LeadershipView): Set<number> {
  return new Set(view.nodes.filter((n) => n.eligible && !n.maintenance).map((n) => n.id));
}

/**
 * Transfers taking every leadership off nodes in maintenance, at most `transfersMax`: each to its
 * least-loaded target (by leaders per shard of its node, then of its shard, then lowest id).
 * A group with no target (no other in-sync replica on a node that may lead) stays.
 */
export function planMaintenanceDrain(view: LeadershipView, transfersMax: number): LeaderTransfer[] {
  const inMaintenance = new Set(view.nodes.filter((n) => n.maintenance).map((n) => n.id));
  if (inMaintenance.size === 0) return [];
  const eligible = eligibleNodes(view);
  const load = new LeaderLoad(view);
  const perShard = (r: Replica) => load.node(r.node) / load.shardCounts.get(r.node)!;
  const transfers: LeaderTransfer[] = [];
  for (const g of sortedGroups(view)) {
    if (transfers.length >= transfersMax) break;
    if (g.leader === null || !inMaintenance.has(g.leader)) continue;
    const best = targets(g, eligible).sort((a, b) => perShard(a) - perShard(b) || load.shard(a.node, a.shard) - load.shard(b.node, b.shard) || a.node - b.node)[0];
    if (!best) continue;
    load.move({ node: g.leader, shard: leaderShard(g)! }, best);
    transfers.push({ group: g.group, from: g.leader, to: best.node });
  }
  return transfers;
}

/** Leaders per shard closer than this count as equal (floating point). */
const EPSILON = 1e-9;

/**
 * Transfers evening out leaderships, at most `transfersMax`, never of a muted group (its leader
 * changed recently) and never from or to a node that may not lead (maintenance is the drain's).
 * Greedy: each time the transfer lowering the imbalance most, until none lowers it.
 */
export function planLeaderBalance(view: LeadershipView, muted: ReadonlySet<number>, transfersMax: number): LeaderTransfer[] {
  const eligible = eligibleNodes(view);
  const load = new LeaderLoad(view);
  const movable = sortedGroups(view).filter((g) => g.leader !== null && eligible.has(g.leader) && leaderShard(g) !== null && !muted.has(g.group));
  const moved = new Set<number>();
  const transfers: LeaderTransfer[] = [];
  while (transfers.length < transfersMax) {
    let best: { g: GroupLeadership; from: Replica; to: Replica; nodeDelta: number; shardDelta: number } | null = null;
    for (const g of movable) {
      if (moved.has(g.group)) continue;
      const from = { node: g.leader!, shard: leaderShard(g)! };
      for (const to of targets(g, eligible)) {
        const nodeDelta = nodeImbalanceDelta(load, from.node, to.node);
        const shardDelta = 2 * (load.shard(to.node, to.shard) - load.shard(from.node, from.shard) + 1);
        const improves = shardDelta < 0 || (shardDelta === 0 && nodeDelta < -EPSILON);
        if (!improves) continue;
        if (best === null || shardDelta < best.shardDelta || (shardDelta === best.shardDelta && nodeDelta < best.nodeDelta - EPSILON)) {
          best = { g, from, to, nodeDelta, shardDelta };
        }
      }
    }
    if (best === null) break;
    load.move(best.from, best.to);
    moved.add(best.g.group);
    transfers.push({ group: best.g.group, from: best.from.node, to: best.to.node });
  }
  return transfers;
}

/** The change of Σ leaders² / shards over nodes when one leadership goes from node `a` to node `b`. */
function nodeImbalanceDelta(load: LeaderLoad, a: number, b: number): number {
  const sa = load.shardCounts.get(a)!;
  const sb = load.shardCounts.get(b)!;
  return (1 - 2 * load.node(a)) / sa + (2 * load.node(b) + 1) / sb;
}

function sortedGroups(view: LeadershipView): GroupLeadership[] {
  return [...view.groups].sort((a, b) => a.group - b.group);
}

/** Leaders per node, for status views and tests. */
export function leadersPerNode(view: LeadershipView): Map<number, number> {
  const counts = new Map<number, number>(view.nodes.map((n) => [n.id, 0]));
  for (const g of view.groups) if (g.leader !== null && counts.has(g.leader)) counts.set(g.leader, counts.get(g.leader)! + 1);
  return counts;
}

/**
 * The view the decisions take, from the metadata and what is known of each group's leader:
 * every replicated partition not being moved (a move hands its leadership over itself), and every
 * node, eligible when it is reachable and neither decommissioning nor in maintenance.
 */
export function leadershipView(
  table: MetadataTable,
  leaderOf: (group: number) => { leader: number | null; inSync: number[] } | undefined,
  reachable: (node: number) => boolean,
): LeadershipView {
  const groups: GroupLeadership[] = [];
  for (const topic of table.topics()) {
    for (const assignment of topic.assignments ?? []) {
      if (assignment.target) continue;
      const known = leaderOf(assignment.group);
      groups.push({ group: assignment.group, leader: known?.leader ?? null, replicas: assignment.replicas, inSync: known?.inSync ?? [] });
    }
  }
  const nodes = table.nodes().map((n) => ({
    id: n.id, shardCount: n.shardCount, maintenance: table.inMaintenance(n.id), eligible: !table.isDraining(n.id) && !table.inMaintenance(n.id) && reachable(n.id),
  }));
  return { groups, nodes };
}

/**
 * The partition balancer (Redpanda's `partition_autobalancing_mode: node_add`): on the controller
 * leader, every `DRAIN_INTERVAL_MS`, moves replicas from the nodes holding the most onto those
 * holding the fewest until replica counts per node differ by at most one — so a node that joined
 * fills up. Only active nodes that are up take part, as sources and targets; draining nodes are
 * decommission's (`decommission.ts`), and a partition with a replica on a node that is down or
 * draining is left alone. Moves go through the replica-move machinery (`replica-moves.ts`), at most
 * `DRAIN_MOVES_MAX` running at once cluster-wide (every running move counts, by hand or draining
 * too), each recorded in the controller, so a new leader or a restart carries on. With rack
 * awareness, a move never leaves a partition on fewer racks than before. Pure planning against
 * the table, tested on its own.
 */
import { DRAIN_MOVES_MAX } from "./decommission.ts";
import { assignedReplicas, type MetadataChange, type MetadataTable, type PartitionAssignment, type Replica } from "./metadata.ts";
import { rackCount } from "./replica-placement.ts";
import { sameReplicas } from "./replica-moves.ts";

interface Candidate {
  topic: string;
  partition: number;
  assignment: PartitionAssignment;
}

/** Moves in progress anywhere in the cluster (a target that is not the replicas). */
export function movesRunning(table: MetadataTable): number {
  let running = 0;
  for (const topic of table.topics()) for (const a of topic.assignments ?? []) if (a.target && !sameReplicas(a.target, a.replicas)) running++;
  return running;
}

/** The next moves that even out replica counts over the active nodes that are up (`up`), within the bound. */
export function planBalanceStep(table: MetadataTable, up: ReadonlySet<number>, rackAware = false): MetadataChange[] {
  const nodes = table.nodes().filter((n) => up.has(n.id) && !table.isDraining(n.id));
  if (nodes.length < 2) return [];
  const counts = new Map(nodes.map((n) => [n.id, 0]));
  const shardCounts = new Map(nodes.map((n) => [n.id, new Array<number>(n.shardCount).fill(0)]));
  const candidates = new Map<number, Candidate[]>(nodes.map((n) => [n.id, []]));
  for (const topic of table.topics()) {
    (topic.assignments ?? []).forEach((assignment, partition) => {
      // Where the partition ends up: a running move counts at its target.
      for (const r of assignment.target ?? assignment.replicas) {
        if (counts.has(r.node)) counts.set(r.node, counts.get(r.node)! + 1);
        const shards = shardCounts.get(r.node);
        if (shards && r.shard < shards.length) shards[r.shard]!++;
      }
      if (assignment.target || assignment.retiring?.length) return; // moving, or a cancel settling
      if (!assignedReplicas(assignment).every((r) => counts.has(r.node))) return; // a replica on a down or draining node
      for (const r of assignment.replicas) candidates.get(r.node)!.push({ topic: topic.name, partition, assignment });
    });
  }
  const changes: MetadataChange[] = [];
  const moved = new Set<string>();
  const room = DRAIN_MOVES_MAX - movesRunning(table);
  const keepsRacks = (c: Candidate, from: number, to: number) => {
    if (!rackAware) return true;
    const nodesNow = c.assignment.replicas.map((r) => r.node);
    return rackCount(table, nodesNow.map((n) => (n === from ? to : n))) >= rackCount(table, nodesNow);
  };
  while (changes.length < room) {
    const move = nextMove(nodes.map((n) => n.id), counts, candidates, moved, keepsRacks);
    if (move === null) break;
    const { from, to, candidate } = move;
    const shards = shardCounts.get(to)!;
    const shard = shards.indexOf(Math.min(...shards));
    shards[shard]!++;
    const target: Replica[] = candidate.assignment.replicas.map((r) => (r.node === from ? { node: to, shard } : r));
    counts.set(from, counts.get(from)! - 1);
    counts.set(to, counts.get(to)! + 1);
    moved.add(`${candidate.topic}/${candidate.partition}`);
    changes.push({ kind: "set_assignment", topic: candidate.topic, partition: candidate.partition, assignment: { group: candidate.assignment.group, replicas: candidate.assignment.replicas, target } });
  }
  return changes;
}

/**
 * The fullest node that can give a replica to one of the emptiest (counts more than one apart)
 * with a partition not on the receiver that `allowed`; ties by lowest id, partitions in table order. Null: balanced.
 */
function nextMove(ids: number[], counts: Map<number, number>, candidates: Map<number, Candidate[]>, moved: Set<string>, allowed: (c: Candidate, from: number, to: number) => boolean) {
  const fullestFirst = [...ids].sort((a, b) => counts.get(b)! - counts.get(a)! || a - b);
  const emptiestFirst = [...ids].sort((a, b) => counts.get(a)! - counts.get(b)! || a - b);
  for (const from of fullestFirst) {
    for (const to of emptiestFirst) {
      if (counts.get(from)! - counts.get(to)! <= 1) break; // the rest are closer still
      const movable = (c: Candidate) => !moved.has(`${c.topic}/${c.partition}`) && !c.assignment.replicas.some((r) => r.node === to) && allowed(c, from, to);
      // A replica that is not the preferred leader first: its move needs no leadership transfer.
      const held = candidates.get(from)!;
      const candidate = held.find((c) => c.assignment.replicas[0]!.node !== from && movable(c)) ?? held.find(movable);
      if (candidate) return { from, to, candidate };
    }
  }
  return null;
}

/**
 * Moving a replicated partition's replicas between nodes, as the controller records it. A move
 * is one `set_assignment` change that gives the assignment a `target`; the partition's leader
 * then changes the group's membership one server at a time (replication/move-steps.ts) and, once
 * its committed voters are the target's nodes, asks the controller to finish: a second change
 * makes the target the replicas. A cancel turns the target back to the replicas and keeps the
 * cancelled additions as `retiring` (they may hold a replica, even a vote) until that finishes.
 * Pure planning against the table, so it is tested on its own.
 */
import { ErrorCode } from "../protocol/errors.ts";
import { assignedReplicas, type MetadataChange, type MetadataTable, type PartitionAssignment, type Replica } from "./metadata.ts";
import { clusterLoad, type ClusterLoad } from "./replica-placement.ts";

/**
 * One partition's requested replicas; null cancels its move (AlterPartitionReassignments' null).
 * `nodes` (Kafka's broker ids, no cores): each node keeps the core it holds the replica on, a
 * new one gets its least-loaded core.
 */
export type MoveRequest = { topic: string; partition: number; replicas: Replica[] | null } | { topic: string; partition: number; nodes: number[] };

export interface ReplicaMoveOutcome {
  errorCode: number;
  errorMessage: string | null;
}

const done: ReplicaMoveOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };
const refused = (errorCode: number, errorMessage: string): ReplicaMoveOutcome => ({ errorCode, errorMessage });

/** Whether two replica lists name the same nodes, in any order and on any cores. */
function sameNodes(a: readonly Replica[], b: readonly Replica[]): boolean {
  return a.length === b.length && a.every((r) => b.some((x) => x.node === r.node));
}

/** Whether two replica lists name the same replicas in the same order. */
export function sameReplicas(a: readonly Replica[], b: readonly Replica[]): boolean {
  return a.length === b.length && a.every((r, i) => r.node === b[i]!.node && r.shard === b[i]!.shard);
}

/**
 * Plans every request of one call against the table as the earlier ones leave it (a partition
 * named twice is refused). Each outcome answers its request; the changes are committed together.
 */
export function planMoves(table: MetadataTable, requests: MoveRequest[]): { changes: MetadataChange[]; outcomes: ReplicaMoveOutcome[] } {
  const changes: MetadataChange[] = [];
  const load = clusterLoad(table); // counts this call's new replicas as they are placed
  const outcomes = requests.map((request) => {
    if (requests.filter((r) => r.topic === request.topic && r.partition === request.partition).length > 1) {
      return refused(ErrorCode.INVALID_REQUEST, `partition ${request.topic}/${request.partition} is named twice in one request`);
    }
    const current = table.assignment(request.topic, request.partition);
    if (!current) return refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no replicated partition ${request.topic}/${request.partition}`);
    const replicas = "nodes" in request ? withCores(current, request.nodes, load) : request.replicas;
    const planned = replicas === null ? planCancel(current) : planMove(table, current, replicas);
    if ("nodes" in request && !("errorCode" in planned) && planned !== current) countNewReplicas(load, current, replicas!);
    if ("errorCode" in planned) return planned;
    if (planned !== current) changes.push({ kind: "set_assignment", topic: request.topic, partition: request.partition, assignment: planned });
    return done;
  });
  return { changes, outcomes };
}

/** The assignment with its move to `target` started (the same assignment: nothing to do), or why not. */
export function planMove(table: MetadataTable, current: PartitionAssignment, target: Replica[]): PartitionAssignment | ReplicaMoveOutcome {
  const problem = targetProblem(table, current, target);
  if (problem) return refused(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
  if (current.target) {
    if (sameReplicas(current.target, target)) return current; // asked again: already under way
    return refused(ErrorCode.REASSIGNMENT_IN_PROGRESS, "a move of this partition is in progress; cancel it or wait for it to finish");
  }
  if (sameReplicas(current.replicas, target)) return current;
  const copy = target.map((r) => ({ node: r.node, shard: r.shard }));
  // The same nodes: no membership change, the assignment changes at once (a replica on a new core is handed over on its node).
  if (sameNodes(current.replicas, target)) return { group: current.group, replicas: copy };
  const moved = target.find((r) => current.replicas.some((c) => c.node === r.node && c.shard !== r.shard));
  if (moved) return refused(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `node ${moved.node}'s replica changes core in a move between nodes: change cores and nodes in separate requests`);
  return { group: current.group, replicas: current.replicas, target: copy };
}

/** Moving back to the replicas the move started from; its additions retire once that finishes. */
export function planCancel(current: PartitionAssignment): PartitionAssignment | ReplicaMoveOutcome {
  if (!current.target || sameReplicas(current.target, current.replicas)) return refused(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "no move of this partition is in progress");
  const kept = new Set(current.replicas.map((r) => r.node));
  const retiring = assignedReplicas(current).filter((r) => !kept.has(r.node));
  return { group: current.group, replicas: current.replicas, target: current.replicas, retiring };
}

/**
 * The leader's word that the group's committed voters are `target`'s nodes: the move is done and
 * the target becomes the replicas. Null when the assignment has moved on (another target, a
 * re-created topic): nothing to record.
 */
export function planFinish(current: PartitionAssignment | undefined, group: number, target: Replica[]): PartitionAssignment | null {
  if (!current || current.group !== group || !current.target || !sameReplicas(current.target, target)) return null;
  return { group: current.group, replicas: current.target };
}

function targetProblem(table: MetadataTable, current: PartitionAssignment, target: Replica[]): string | null {
  if (!Array.isArray(target) || target.length === 0) return "a partition needs at least one replica";
  const nodes = table.nodes();
  if (target.length > nodes.length) return `${target.length} replicas but the cluster has ${nodes.length} nodes`;
  const seen = new Set<number>();
  for (const r of target) {
    if (!Number.isInteger(r?.node) || !Number.isInteger(r?.shard)) return "each replica needs an integer node_id and core";
    if (seen.has(r.node)) return `node ${r.node} is named twice: a node holds at most one replica of a partition`;
    seen.add(r.node);
    const node = table.node(r.node);
    if (!node) return `node ${r.node} is not in the cluster`;
    if (r.shard < 0 || r.shard >= node.shardCount) return `node ${r.node} has cores 0..${node.shardCount - 1}, not ${r.shard}`;
    const before = assignedReplicas(current).find((c) => c.node === r.node);
    if (!before && table.isDraining(r.node)) return `node ${r.node} is being decommissioned: it takes no new replicas`;
  }
  return null;
}

/** Kafka's broker ids as replicas: a node holding one keeps its core, another gets its least-loaded core (an unknown node: core 0, refused later). */
function withCores(current: PartitionAssignment, nodes: number[], load: ClusterLoad): Replica[] {
  const held = assignedReplicas(current);
  return nodes.map((node) => {
    const kept = held.find((r) => r.node === node);
    if (kept) return { node, shard: kept.shard };
    const shards = load.nodes.find((n) => n.id === node)?.shards ?? [];
    let shard = 0;
    for (let s = 1; s < shards.length; s++) if (shards[s]! < shards[shard]!) shard = s;
    return { node, shard };
  });
}

function countNewReplicas(load: ClusterLoad, current: PartitionAssignment, target: Replica[]): void {
  const held = new Set(assignedReplicas(current).map((r) => r.node));
  for (const r of target) {
    const shards = load.nodes.find((n) => n.id === r.node)?.shards;
    if (!held.has(r.node) && shards && r.shard < shards.length) shards[r.shard]!++;
  }
}

/**
 * Decommissioning a node (Redpanda's `PUT /v1/brokers/{id}/decommission`): the controller marks it
 * draining (`node_draining`), placement leaves it out, and the controller leader moves its replicas
 * off it a bounded number at a time (`planDrainStep`, run every `DRAIN_INTERVAL_MS`): each
 * partition holding a replica there moves to the same replicas with that one replaced by the
 * least-loaded active node not already holding it (with rack awareness, first one on a rack the
 * partition's other replicas are not on, where there is one). A node whose replicas have nowhere to go
 * (some partition already has a replica on every other active node) is refused up front with the
 * partition named. Recommissioning marks it active again and cancels the moves still taking
 * replicas off it. Once drained it leaves the cluster (`drainedNodes`, `planRemoveDrained`: out
 * of the node list; main.ts takes it out of the controller group). Pure planning against the
 * table, tested on its own.
 */
import { assignedReplicas, type MetadataChange, type MetadataTable, type PartitionAssignment, type Replica } from "./metadata.ts";
import { clusterLoad, rackCount, type ClusterLoad } from "./replica-placement.ts";
import { planCancel } from "./replica-moves.ts";

/** Moves off draining nodes running at once, cluster-wide. */
export const DRAIN_MOVES_MAX = 8;
export const DRAIN_INTERVAL_MS = 1000;

export type DecommissionOutcome = { ok: true } | { ok: false; error: string };

interface Holding {
  topic: string;
  partition: number;
  assignment: PartitionAssignment;
}

/** Every partition with a replica (or a move's replica) on the node. */
function holdings(table: MetadataTable, node: number): Holding[] {
  const found: Holding[] = [];
  for (const topic of table.topics()) {
    (topic.assignments ?? []).forEach((assignment, partition) => {
      if (assignedReplicas(assignment).some((r) => r.node === node)) found.push({ topic: topic.name, partition, assignment });
    });
  }
  return found;
}

export function planDecommission(table: MetadataTable, node: number): { changes: MetadataChange[]; outcome: DecommissionOutcome } {
  const refuse = (error: string) => ({ changes: [], outcome: { ok: false as const, error } });
  if (!table.node(node)) return refuse(table.wasRemoved(node) ? `node ${node} was decommissioned and has left the cluster` : `node ${node} is not in the cluster`);
  if (table.isDraining(node)) return { changes: [], outcome: { ok: true } };
  const active = table.nodes().filter((n) => n.id !== node && !table.isDraining(n.id)).map((n) => n.id);
  if (active.length === 0) return refuse(`node ${node} is the only active node: its replicas have nowhere to go`);
  for (const h of holdings(table, node)) {
    const holders = new Set(assignedReplicas(h.assignment).map((r) => r.node));
    if (active.every((n) => holders.has(n))) {
      return refuse(`node ${node}'s replicas have nowhere to go: ${h.topic}/${h.partition} already has a replica on every other active node (${active.join(", ")}); add a node or lower its replication factor`);
    }
  }
  return { changes: [{ kind: "node_draining", node, draining: true }], outcome: { ok: true } };
}

/** The next moves off draining nodes: at most DRAIN_MOVES_MAX running at once (those already running count). */
export function planDrainStep(table: MetadataTable, rackAware = false): MetadataChange[] {
  const draining = table.nodes().filter((n) => table.isDraining(n.id)).map((n) => n.id);
  if (draining.length === 0) return [];
  let running = 0;
  const waiting: Holding[] = [];
  for (const node of draining) {
    for (const h of holdings(table, node)) {
      if (h.assignment.target) {
        if (!h.assignment.target.some((r) => r.node === node)) running++;
      } else if (!waiting.some((w) => w.topic === h.topic && w.partition === h.partition)) waiting.push(h);
    }
  }
  const load = clusterLoad(table);
  const changes: MetadataChange[] = [];
  for (const h of waiting) {
    if (running + changes.length >= DRAIN_MOVES_MAX) break;
    const target = replaceDraining(table, h.assignment.replicas, load, rackAware);
    if (target === null) continue; // nowhere to go now (a node left meanwhile): tried again next step
    changes.push({ kind: "set_assignment", topic: h.topic, partition: h.partition, assignment: { group: h.assignment.group, replicas: h.assignment.replicas, target } });
  }
  return changes;
}

/**
 * The replicas with each one on a draining node replaced by the least-loaded active node not
 * holding one (rack-aware: one adding a rack first); null if none is free.
 */
function replaceDraining(table: MetadataTable, replicas: Replica[], load: ClusterLoad, rackAware: boolean): Replica[] | null {
  const target: Replica[] = [];
  for (const r of replicas) {
    if (!table.isDraining(r.node)) {
      target.push(r);
      continue;
    }
    const taken = new Set([...replicas, ...target].map((x) => x.node));
    const staying = [...new Set([...replicas.filter((x) => !table.isDraining(x.node)), ...target].map((x) => x.node))];
    const addsRack = (id: number) => (rackAware && rackCount(table, [...staying, id]) > rackCount(table, staying) ? 0 : 1);
    const free = load.nodes.filter((n) => !taken.has(n.id)).sort((a, b) => addsRack(a.id) - addsRack(b.id) || sum(a.shards) - sum(b.shards) || a.id - b.id)[0];
    if (!free) return null;
    let shard = 0;
    for (let s = 1; s < free.shards.length; s++) if (free.shards[s]! < free.shards[shard]!) shard = s;
    free.shards[shard]!++;
    target.push({ node: free.id, shard });
  }
  return target;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Draining nodes with nothing left on them: ready to leave the controller group, then the cluster. */
export function drainedNodes(table: MetadataTable): number[] {
  return table.nodes().filter((n) => table.isDraining(n.id) && holdings(table, n.id).length === 0).map((n) => n.id);
}

/** The drained node leaves the node list (the caller has taken it out of the controller group); nothing if it is not drained. */
export function planRemoveDrained(table: MetadataTable, node: number): MetadataChange[] {
  return drainedNodes(table).includes(node) ? [{ kind: "remove_node", node }] : [];
}

/** Active again: the moves still taking its replicas away are cancelled (finished ones stay). */
export function planRecommission(table: MetadataTable, node: number): { changes: MetadataChange[]; outcome: DecommissionOutcome } {
  if (!table.node(node)) return { changes: [], outcome: { ok: false, error: table.wasRemoved(node) ? `node ${node} was decommissioned and has left the cluster` : `node ${node} is not in the cluster` } };
  if (!table.isDraining(node)) return { changes: [], outcome: { ok: false, error: `node ${node} is not being decommissioned` } };
  const changes: MetadataChange[] = [{ kind: "node_draining", node, draining: false }];
  for (const h of holdings(table, node)) {
    const { target, replicas } = h.assignment;
    if (!target || target.some((r) => r.node === node) || !replicas.some((r) => r.node === node)) continue;
    const back = planCancel(h.assignment);
    if (!("errorCode" in back)) changes.push({ kind: "set_assignment", topic: h.topic, partition: h.partition, assignment: back });
  }
  return { changes, outcome: { ok: true } };
}

/** Redpanda's `GET /v1/brokers/{id}/decommission`: what is left on the node and where each replica is going. */
export function decommissionProgress(table: MetadataTable, node: number) {
  if (table.wasRemoved(node)) return { node_id: node, status: "removed", finished: true, replicas_left: 0, partitions: [] };
  const left = holdings(table, node);
  const draining = table.isDraining(node);
  return {
    node_id: node,
    status: draining ? "draining" : "active",
    finished: draining && left.length === 0,
    replicas_left: left.length,
    partitions: left.map((h) => {
      const incoming = h.assignment.target?.find((r) => !h.assignment.replicas.some((x) => x.node === r.node));
      return { ns: "kafka", topic: h.topic, partition: h.partition, moving_to: incoming ? { node_id: incoming.node, core: incoming.shard } : null };
    }),
  };
}

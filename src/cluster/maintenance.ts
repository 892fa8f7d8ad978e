/**
 * Maintenance mode (Redpanda's `PUT /v1/brokers/{id}/maintenance`): the controller records the
 * node in maintenance (`node_maintenance`); its shards then hand every leadership they hold to
 * other in-sync replicas and the leader balancer sends it none (leader-balancer.ts). One node
 * at a time, as Redpanda: a second is refused. The status view counts what the node still leads.
 */
import type { MetadataChange, MetadataTable } from "./metadata.ts";
import { planMaintenanceDrain, type LeadershipView } from "./leader-balancer.ts";

export type MaintenanceOutcome = { ok: true } | { ok: false; error: string };

export function planMaintenance(table: MetadataTable, node: number, enabled: boolean): { changes: MetadataChange[]; outcome: MaintenanceOutcome } {
  const refuse = (error: string) => ({ changes: [], outcome: { ok: false as const, error } });
  if (!table.node(node)) return refuse(`node ${node} is not in the cluster`);
  if (table.inMaintenance(node) === enabled) return { changes: [], outcome: { ok: true } };
  if (enabled) {
    const other = table.nodes().find((n) => n.id !== node && table.inMaintenance(n.id));
    if (other) return refuse(`node ${other.id} is already in maintenance mode: one node at a time`);
    if (table.nodes().length < 2) return refuse(`node ${node} is the only node: its leaderships have nowhere to go`);
  }
  return { changes: [{ kind: "node_maintenance", node, enabled }], outcome: { ok: true } };
}

/** Redpanda's `maintenance_status`: `partitions` the leaderships the node still holds, `eligible` those another replica can take. */
export function maintenanceStatus(view: LeadershipView, node: number, draining: boolean) {
  const led = view.groups.filter((g) => g.leader === node).length;
  const eligible = draining ? planMaintenanceDrain(view, Number.MAX_SAFE_INTEGER).filter((t) => t.from === node).length : 0;
  return { draining, finished: draining && eligible === 0, errors: false, partitions: led, eligible };
}

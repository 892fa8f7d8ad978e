import { expect, test } from "bun:test";
import { leadershipView } from "./leader-balancer.ts";
import { maintenanceStatus, planMaintenance } from "./maintenance.ts";
import { MetadataTable, type MetadataChange } from "./metadata.ts";

const node = (id: number) => ({ kind: "upsert_node" as const, node: { id, rpc: { host: "h", port: id }, kafka: { host: "h", port: id }, shardCount: 1, rack: null } });

/** Nodes 0–2; topic t: 3 partitions of RF 3, group p + 1. */
function table(): MetadataTable {
  const t = new MetadataTable(0);
  const assignments = [0, 1, 2].map((p) => ({ group: p + 1, replicas: [0, 1, 2].map((n) => ({ node: n, shard: 0 })) }));
  t.apply({ version: 1, changes: [node(0), node(1), node(2), { kind: "upsert_topic", topic: { name: "t", id: "00000000-0000-0000-0000-00000000000c", shards: [0, 0, 0], configs: {}, assignments } }] });
  return t;
}
const apply = (t: MetadataTable, changes: MetadataChange[]) => changes.length > 0 && t.apply({ version: t.version + 1, changes });

test("one node in maintenance at a time; unknown nodes refused; ending it or starting it twice is fine; it survives a snapshot", () => {
  const t = table();
  const on = planMaintenance(t, 1, true);
  expect(on.outcome).toEqual({ ok: true });
  apply(t, on.changes);
  expect(t.inMaintenance(1)).toBe(true);
  expect(planMaintenance(t, 1, true)).toEqual({ changes: [], outcome: { ok: true } });
  expect(planMaintenance(t, 2, true).outcome).toEqual({ ok: false, error: "node 1 is already in maintenance mode: one node at a time" });
  expect(planMaintenance(t, 7, true).outcome).toEqual({ ok: false, error: "node 7 is not in the cluster" });
  expect(MetadataTable.fromSnapshot(t.snapshot()).inMaintenance(1)).toBe(true);
  apply(t, planMaintenance(t, 1, false).changes);
  expect(t.inMaintenance(1)).toBe(false);
  expect(planMaintenance(t, 2, true).outcome).toEqual({ ok: true });
});

test("status: draining until nothing it leads can move; the view counts what it still leads", () => {
  const t = table();
  apply(t, planMaintenance(t, 1, true).changes);
  const leaders = new Map([[1, { leader: 1, inSync: [0, 1, 2] }], [2, { leader: 1, inSync: [1] }], [3, { leader: 0, inSync: [0, 1, 2] }]]);
  const view = leadershipView(t, (g) => leaders.get(g), () => true);
  expect(view.nodes.find((n) => n.id === 1)).toMatchObject({ maintenance: true, eligible: false });
  expect(maintenanceStatus(view, 1, true)).toEqual({ draining: true, finished: false, errors: false, partitions: 2, eligible: 1 });
  leaders.set(1, { leader: 2, inSync: [0, 1, 2] });
  // Group 2 has no other in-sync replica: it cannot move, so the drain is finished with it still led there.
  expect(maintenanceStatus(leadershipView(t, (g) => leaders.get(g), () => true), 1, true)).toEqual({ draining: true, finished: true, errors: false, partitions: 1, eligible: 0 });
  expect(maintenanceStatus(view, 0, false)).toMatchObject({ draining: false, finished: false, partitions: 1 });
});

import { expect, test } from "bun:test";
import { MetadataTable } from "./metadata.ts";
import { clusterLoad, placeReplicas, replicaCapacity } from "./replica-placement.ts";

function table(nodes: Array<[id: number, shards: number, rack?: string | null]>): MetadataTable {
  const t = new MetadataTable(0);
  t.apply({ version: 1, changes: nodes.map(([id, shardCount, rack]) => ({ kind: "upsert_node" as const, node: { id, rpc: { host: "h", port: id }, kafka: { host: "h", port: id }, shardCount, rack: rack ?? null } })) });
  return t;
}

const racksOf = (t: MetadataTable, nodes: number[]) => nodes.map((n) => t.node(n)!.rack);

test("replicas go to distinct nodes, shards and preferred leaders spread evenly, groups are numbered from 1", () => {
  const load = clusterLoad(table([[0, 2], [1, 2], [2, 2]]));
  const placed = placeReplicas(6, 3, load);
  expect(placed.map((p) => p.group)).toEqual([1, 2, 3, 4, 5, 6]);
  for (const p of placed) expect(new Set(p.replicas.map((r) => r.node)).size).toBe(3);
  const leaders = [0, 1, 2].map((n) => placed.filter((p) => p.replicas[0].node === n).length);
  expect(leaders).toEqual([2, 2, 2]);
  expect(load.nodes.map((n) => n.shards)).toEqual([[3, 3], [3, 3], [3, 3]]);
});

test("RF=1 partitions fill the emptiest node first; capacity counts every replica", () => {
  const load = clusterLoad(table([[0, 1], [1, 1], [2, 1]]));
  expect(placeReplicas(3, 1, load).map((p) => p.replicas.map((r) => r.node))).toEqual([[0], [1], [2]]);
  expect(replicaCapacity(load, 2)).toBe(3);
});

test("a table's existing assignments count as load, and new groups follow the largest", () => {
  const t = table([[0, 1], [1, 1]]);
  const first = placeReplicas(2, 1, clusterLoad(t));
  t.apply({ version: 2, changes: [{ kind: "upsert_topic", topic: { name: "a", id: "x", shards: [0, 0], configs: {}, assignments: first } }] });
  const next = placeReplicas(1, 2, clusterLoad(t));
  expect(next[0].group).toBe(3);
  expect(t.partitionOfGroup(2)).toEqual({ topic: "a", partition: 1 });
  expect(t.ownerOf("a", 1)).toBeUndefined(); // node 0 holds no replica of partition 1 (it went to node 1)
});

test("rack awareness: replicas go to distinct racks even when the least-loaded nodes share one", () => {
  // Racks a: 0, 1, 2; b: 3; c: 4. Without racks the three lowest ids (all rack a) would be chosen.
  const t = table([[0, 1, "a"], [1, 1, "a"], [2, 1, "a"], [3, 1, "b"], [4, 1, "c"]]);
  const plain = placeReplicas(1, 3, clusterLoad(t));
  expect(racksOf(t, plain[0].replicas.map((r) => r.node))).toEqual(["a", "a", "a"]);
  const aware = placeReplicas(6, 3, clusterLoad(t), true);
  for (const p of aware) expect(new Set(racksOf(t, p.replicas.map((r) => r.node))).size).toBe(3);
  // Within rack a the replicas still go to the least-loaded node: 6 partitions over its 3 nodes.
  const onRackA = [0, 1, 2].map((n) => aware.filter((p) => p.replicas.some((r) => r.node === n)).length);
  expect(onRackA).toEqual([2, 2, 2]);
});

test("rack awareness with fewer racks than replicas: every rack first, then the least-loaded nodes; racks spread evenly", () => {
  const t = table([[0, 1, "a"], [1, 1, "a"], [2, 1, "b"], [3, 1, "b"]]);
  const placed = placeReplicas(4, 3, clusterLoad(t), true);
  for (const p of placed) {
    const racks = racksOf(t, p.replicas.map((r) => r.node));
    expect(new Set(racks)).toEqual(new Set(["a", "b"]));
    expect(new Set(p.replicas.map((r) => r.node)).size).toBe(3);
  }
  const perNode = [0, 1, 2, 3].map((n) => placed.filter((p) => p.replicas.some((r) => r.node === n)).length);
  expect(perNode).toEqual([3, 3, 3, 3]);
});

test("rack awareness: a node without a rack is a rack of its own; least-loaded shards and spread leaders as before", () => {
  const t = table([[0, 2, "a"], [1, 2, "a"], [2, 2, null], [3, 2, "b"]]);
  const placed = placeReplicas(6, 3, clusterLoad(t), true);
  for (const p of placed) {
    const racks = racksOf(t, p.replicas.map((r) => r.node));
    expect(racks.filter((r) => r === "a").length).toBe(1);
    expect(racks).toContain(null);
    expect(racks).toContain("b");
  }
  const load = clusterLoad(t);
  placeReplicas(6, 3, load, true);
  expect(load.nodes.map((n) => n.shards)).toEqual([[2, 1], [2, 1], [3, 3], [3, 3]]);
  const leaders = [0, 1, 2, 3].map((n) => placed.filter((p) => p.replicas[0].node === n).length);
  expect(Math.max(...leaders) - Math.min(...leaders)).toBeLessThanOrEqual(1);
});

import { expect, test } from "bun:test";
import { MetadataTable } from "./metadata.ts";
import { clusterLoad, placeReplicas, replicaCapacity } from "./replica-placement.ts";

function table(nodes: Array<[id: number, shards: number]>): MetadataTable {
  const t = new MetadataTable(0);
  t.apply({ version: 1, changes: nodes.map(([id, shardCount]) => ({ kind: "upsert_node" as const, node: { id, rpc: { host: "h", port: id }, kafka: { host: "h", port: id }, shardCount, rack: null } })) });
  return t;
}

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

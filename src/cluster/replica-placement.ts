/**
 * Where a cluster's new partitions go: replicas on the nodes holding the fewest replicas (ties:
 * lowest id), then on each node the shard holding the fewest (Redpanda's placement); with rack
 * awareness (`enable_rack_awareness`) each replica first goes to a rack the partition has the
 * fewest replicas on, so its replicas are on distinct racks where there are enough racks (a node
 * without a rack counts as a rack of its own). The replica listed first (the preferred leader)
 * goes on the chosen node leading the fewest. Pure, so it is tested on its own; `load` is updated
 * as partitions are placed, so the partitions of one request spread too.
 */
import type { MetadataTable, NodeRecord, PartitionAssignment } from "./metadata.ts";

/** Replicas per node and per shard of each node, and the preferred leaderships (first replicas) per node. */
export interface ClusterLoad {
  nodes: Array<{ id: number; shards: number[]; leaders: number; rack: string | null }>;
  /** The next Raft group id to hand out. */
  nextGroup: number;
}

/** Nodes being decommissioned take no new replicas, so they are left out. */
export function clusterLoad(table: MetadataTable): ClusterLoad {
  const nodes = table.nodes().filter((n) => !table.isDraining(n.id)).map((n: NodeRecord) => ({ id: n.id, shards: new Array<number>(n.shardCount).fill(0), leaders: 0, rack: n.rack }));
  for (const topic of table.topics()) {
    for (const assignment of topic.assignments ?? []) {
      const preferred = nodes.find((n) => n.id === assignment.replicas[0]?.node);
      if (preferred) preferred.leaders++;
      for (const replica of assignment.replicas) {
        const node = nodes.find((n) => n.id === replica.node);
        if (node && replica.shard < node.shards.length) node.shards[replica.shard]++;
      }
    }
  }
  return { nodes, nextGroup: table.maxGroup() + 1 };
}

const total = (shards: number[]) => shards.reduce((a, b) => a + b, 0);

/** Places `count` partitions of `replicationFactor` replicas each (at most the node count: checked by the caller). */
export function placeReplicas(count: number, replicationFactor: number, load: ClusterLoad, rackAware = false): PartitionAssignment[] {
  const placed: PartitionAssignment[] = [];
  for (let i = 0; i < count; i++) {
    const byLoad = [...load.nodes].sort((a, b) => total(a.shards) - total(b.shards) || a.id - b.id);
    const nodes = rackAware ? spreadOverRacks(byLoad, replicationFactor) : byLoad.slice(0, replicationFactor);
    // The preferred leader (first replica): the chosen node leading the fewest, so leaders spread too.
    nodes.sort((a, b) => a.leaders - b.leaders || a.id - b.id);
    nodes[0].leaders++;
    const replicas = nodes.map((node) => {
      let shard = 0;
      for (let s = 1; s < node.shards.length; s++) if (node.shards[s] < node.shards[shard]) shard = s;
      node.shards[shard]++;
      return { node: node.id, shard };
    });
    placed.push({ group: load.nextGroup++, replicas });
  }
  return placed;
}

type LoadNode = ClusterLoad["nodes"][number];

/** `count` of the nodes (least-loaded first): each the first whose rack the partition has the fewest replicas on yet. */
function spreadOverRacks(byLoad: LoadNode[], count: number): LoadNode[] {
  const chosen: LoadNode[] = [];
  const onRack = new Map<string, number>();
  const used = (node: LoadNode) => (node.rack === null ? 0 : (onRack.get(node.rack) ?? 0));
  const left = [...byLoad];
  while (chosen.length < count && left.length > 0) {
    let best = 0;
    for (let k = 1; k < left.length; k++) if (used(left[k]) < used(left[best])) best = k;
    const [node] = left.splice(best, 1);
    chosen.push(node);
    if (node.rack !== null) onRack.set(node.rack, used(node) + 1);
  }
  return chosen;
}

/** How many racks `nodes` cover (a node without a rack, or not in the table, counts as a rack of its own). */
export function rackCount(table: MetadataTable, nodes: readonly number[]): number {
  const racks = new Set<string>();
  let unracked = 0;
  for (const id of nodes) {
    const rack = table.node(id)?.rack ?? null;
    if (rack === null) unracked++;
    else racks.add(rack);
  }
  return racks.size + unracked;
}

/** Partitions the cluster's shards still have room for (topic_partitions_per_shard per shard, counting replicas). */
export function replicaCapacity(load: ClusterLoad, partitionsPerShard: number): number {
  let room = 0;
  for (const node of load.nodes) room += node.shards.length * partitionsPerShard - total(node.shards);
  return room;
}

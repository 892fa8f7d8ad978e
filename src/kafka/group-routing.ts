/**
 * Where a group's requests go. On a node of one: the shard owning its group-log partition (by
 * hash, group/partitioning.ts). In a cluster the group-log partitions are the partitions of the
 * replicated topic `__consumer_offsets`: the coordinator is the node leading the group's
 * partition, and on a node its requests go to the shard holding this node's replica of it (a
 * node with no replica sends them to the hashed shard, whose coordinator answers NOT_COORDINATOR).
 */
import { groupPartitionOf, shardOfGroup } from "../group/partitioning.ts";
import { GROUP_TOPIC } from "../group/replicated-store.ts";
import type { BrokerContext } from "./handler.ts";
import { inCluster } from "./handlers/leaders.ts";

export function groupShard(context: Pick<BrokerContext, "shardCount" | "metadata" | "leaders">, groupId: string): number {
  const fallback = shardOfGroup(groupId, context.shardCount);
  if (context.leaders === undefined) return fallback;
  return context.metadata().ownerOf(GROUP_TOPIC, groupPartitionOf(groupId)) ?? fallback;
}

/** The node coordinating a group in a cluster (the leader of its `__consumer_offsets` partition), or null while none is known. */
export function groupCoordinatorNode(context: BrokerContext, groupId: string): { nodeId: number; host: string; port: number } | null {
  const table = context.metadata();
  const assignment = table.assignment(GROUP_TOPIC, groupPartitionOf(groupId));
  if (assignment === undefined || !inCluster(context)) return null;
  const leader = context.leaders?.get(assignment.group)?.leader ?? null;
  const node = leader === null ? undefined : table.node(leader);
  return node === undefined ? null : { nodeId: node.id, host: node.kafka.host, port: node.kafka.port };
}

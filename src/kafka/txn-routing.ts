/**
 * Where a transactional id's requests go, as group-routing.ts does for groups. On a node of one:
 * the shard owning its transaction-log partition (by hash, txn/partitioning.ts). In a cluster the
 * transaction-log partitions are the partitions of the replicated topic `__transaction_state`: the
 * coordinator is the node leading the id's partition, and on a node its requests go to the shard
 * holding this node's replica of it (a node with no replica sends them to the hashed shard, whose
 * coordinator answers NOT_COORDINATOR). Also where a replicated partition's leader is, for the
 * calls between coordinators and partition leaders (markers, verification, group outcomes).
 */
import type { MetadataTable } from "../cluster/metadata.ts";
import { shardOfTransactionalId, txnPartitionOf } from "../txn/partitioning.ts";
import { TXN_TOPIC } from "../txn/replicated-txn-store.ts";
import type { BrokerContext } from "./handler.ts";
import { inCluster } from "./handlers/leaders.ts";

type Leaders = NonNullable<BrokerContext["leaders"]>;

export function txnShard(context: Pick<BrokerContext, "shardCount" | "metadata" | "leaders">, transactionalId: string): number {
  const fallback = shardOfTransactionalId(transactionalId, context.shardCount);
  if (context.leaders === undefined) return fallback;
  return context.metadata().ownerOf(TXN_TOPIC, txnPartitionOf(transactionalId)) ?? fallback;
}

/** The node coordinating a transactional id in a cluster (the leader of its `__transaction_state` partition), or null while none is known. */
export function txnCoordinatorNode(context: BrokerContext, transactionalId: string): { nodeId: number; host: string; port: number } | null {
  if (!inCluster(context)) return null;
  const target = leaderTarget(context.metadata(), context.leaders!, TXN_TOPIC, txnPartitionOf(transactionalId));
  const node = target === null ? undefined : context.metadata().node(target.node);
  return node === undefined ? null : { nodeId: node.id, host: node.kafka.host, port: node.kafka.port };
}

/** The leader of a replicated partition as this shard knows it, and the shard of the leader's replica; null while unknown (or not replicated). */
export function leaderTarget(table: MetadataTable, leaders: Leaders, topic: string, partition: number): { node: number; shard: number } | null {
  const assignment = table.assignment(topic, partition);
  if (assignment === undefined) return null;
  const leader = leaders.get(assignment.group)?.leader ?? null;
  const replica = leader === null ? undefined : assignment.replicas.find((r) => r.node === leader);
  return replica === undefined ? null : { node: replica.node, shard: replica.shard };
}

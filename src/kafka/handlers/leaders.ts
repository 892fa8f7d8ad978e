/**
 * What the handlers say about partition leaders: on one node (no assignments) this node leads
 * every partition at epoch 0; in a cluster the leader, epoch (Raft term), replicas and in-sync
 * replicas come from the shard's leader table (`BrokerContext.leaders`), which is a hint kept
 * current by leadership reports. Brokers are the metadata's node list.
 */
import type { TopicRecord } from "../../cluster/metadata.ts";
import { assignedReplicas, CONTROLLER_GROUP } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerContext } from "../handler.ts";

export interface PartitionLeadership {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

/** A partition as Metadata and DescribeTopicPartitions describe it. */
export function describePartition(context: BrokerContext, topic: TopicRecord, partitionIndex: number): PartitionLeadership {
  const assignment = topic.assignments?.[partitionIndex];
  if (assignment === undefined) return singleReplicaPartition(context.nodeId, partitionIndex);
  // During a move, as Kafka during a reassignment: the replicas it moves from and those it adds.
  const replicaNodes = assignedReplicas(assignment).map((r) => r.node);
  const known = context.leaders?.get(assignment.group);
  const leader = known === undefined ? null : (known.leader ?? leaderGuess(context, assignment.group, replicaNodes));
  if (known === undefined || leader === null) {
    return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex, leaderId: -1, leaderEpoch: known?.term ?? -1, replicaNodes, isrNodes: [], offlineReplicas: [] };
  }
  // A guessed leader comes with no ISR known: itself alone, so the partition never looks fully in sync.
  const isrNodes = known.leader !== null && known.inSync.length > 0 ? known.inSync : [leader];
  return { errorCode: ErrorCode.NONE, partitionIndex, leaderId: leader, leaderEpoch: known.term, replicaNodes, isrNodes, offlineReplicas: [] };
}

/**
 * Whom Metadata names while a group has no leader known, as Redpanda does: the last leader (Kafka
 * keeps it until told otherwise), or, when that was this node, another replica chosen at random.
 * A client asks Metadata of a node it is connected to; kafkajs asks the same one again on
 * LEADER_NOT_AVAILABLE. A former leader cut off from its peers, answering "none", would hold such a
 * client until the cut heals; naming a replica sends it towards the side that can elect one.
 */
function leaderGuess(context: BrokerContext, group: number, replicas: number[]): number | null {
  const last = context.leaders?.lastLeader(group);
  if (last === undefined) return null;
  if (last !== context.nodeId) return last;
  const others = replicas.filter((r) => r !== context.nodeId);
  return others.length === 0 ? null : others[Math.floor(Math.random() * others.length)]!;
}

/** On one node: this node leads its only replica. */
export function singleReplicaPartition(node: number, partitionIndex: number): PartitionLeadership {
  return { errorCode: ErrorCode.NONE, partitionIndex, leaderId: node, leaderEpoch: 0, replicaNodes: [node], isrNodes: [node], offlineReplicas: [] };
}

/** Whether this broker is a cluster node (its metadata lists nodes). */
export function inCluster(context: BrokerContext): boolean {
  return context.leaders !== undefined && context.metadata().nodes().length > 0;
}

/** The brokers Metadata lists: every node in a cluster, else this one. */
export function brokers(context: BrokerContext): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  if (!inCluster(context)) return [{ nodeId: context.nodeId, host: context.advertised.host, port: context.advertised.port, rack: context.rack ?? null }];
  return context.metadata().nodes().map((n) => ({ nodeId: n.id, host: n.kafka.host, port: n.kafka.port, rack: n.rack }));
}

/**
 * The controller's node: in a cluster the controller group's leader. While this node knows none it
 * names itself, as KRaft brokers do: every node forwards controller calls to the leader once there
 * is one, and clients such as kafkajs give up at once on a controller id of -1.
 */
export function controllerId(context: BrokerContext): number {
  if (!inCluster(context)) return context.nodeId;
  return context.leaders?.get(CONTROLLER_GROUP)?.leader ?? context.nodeId;
}

/** The Kafka endpoints of the given nodes (KIP-951's NodeEndpoints), this node's when not in a cluster. */
export function leaderEndpoints(context: BrokerContext, nodes: Set<number>): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  if (nodes.size === 0) return [];
  return brokers(context).filter((b) => nodes.has(b.nodeId));
}

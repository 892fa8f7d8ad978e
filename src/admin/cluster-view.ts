/**
 * The admin API's view of a cluster (issue 11, item 9): partition health from the metadata's
 * assignments and what this node knows of each group's leader, one partition's replicas as
 * Redpanda's `GET /v1/partitions/kafka/{topic}/{partition}` shows them, and the Prometheus
 * families of replication. Pure: main.ts gathers the inputs from the controller and the shards.
 */
import { assignedReplicas, type MetadataTable, type Replica } from "../cluster/metadata.ts";
import type { LeaderInfo } from "../replication/leaders.ts";
import type { ReplicaDetails } from "../replication/replicated-partition.ts";
import type { FollowerReadCounts } from "../replication/replicated-partitions.ts";

export interface PartitionName {
  topic: string;
  partition: number;
}

/** Partitions with no leader known, and those whose in-sync replicas are fewer than their replicas. */
export function partitionHealth(table: MetadataTable, leaders: Map<number, LeaderInfo>): { leaderless: PartitionName[]; underReplicated: PartitionName[] } {
  const leaderless: PartitionName[] = [];
  const underReplicated: PartitionName[] = [];
  for (const topic of table.topics()) {
    topic.assignments?.forEach((assignment, partition) => {
      const info = leaders.get(assignment.group);
      if (!info || info.leader === null) leaderless.push({ topic: topic.name, partition });
      else if (info.inSync.length < assignment.replicas.length) underReplicated.push({ topic: topic.name, partition });
    });
  }
  return { leaderless, underReplicated };
}

/** One replicated partition: its assignment, the leader known, and this node's replica (on a leader, each peer's lag). */
export function describeReplicatedPartition(table: MetadataTable, name: PartitionName, leaders: Map<number, LeaderInfo>, local: (ReplicaDetails & { shard: number }) | undefined) {
  const assignment = table.assignment(name.topic, name.partition);
  if (!assignment) return null;
  const info = leaders.get(assignment.group);
  const peers = new Map((local?.peers ?? []).map((p) => [p.node, p]));
  const leaderHere = local !== undefined && local.role === "leader";
  return {
    ns: "kafka",
    topic: name.topic,
    partition_id: name.partition,
    raft_group_id: assignment.group,
    // Redpanda's statuses: a move under way is in_progress; its replicas are those it moves from and to.
    status: assignment.target ? "in_progress" : info?.leader === null || info === undefined ? "leaderless" : "done",
    leader_id: info?.leader ?? -1,
    term: info?.term ?? -1,
    ...(assignment.target && { target_replicas: describeReplicas(assignment.target) }),
    replicas: assignedReplicas(assignment).map((r) => ({
      node_id: r.node,
      core: r.shard,
      in_sync: info?.inSync.includes(r.node) ?? false,
      // Lag (entries behind the leader's last index) is known on the leader only.
      lag: leaderHere ? (r.node === local!.leader ? 0 : (peers.get(r.node)?.lag ?? null)) : null,
    })),
    high_watermark: local?.highWatermark ?? -1,
    log_start_offset: local?.logStartOffset ?? -1,
    size_bytes: local?.sizeBytes ?? -1,
    // The core hosting this node's replica now (the assignment's, once a core change is handed over).
    this_replica: local ? { role: local.role, core: local.shard, commit_index: local.commitIndex, last_index: local.lastIndex } : null,
  };
}

const describeReplicas = (replicas: Replica[]) => replicas.map((r) => ({ node_id: r.node, core: r.shard }));

/** Redpanda's `GET /v1/partitions/reconfigurations`: every move in progress, from and to. */
export function reconfigurations(table: MetadataTable) {
  const moves = [];
  for (const topic of table.topics()) {
    for (const [partition, assignment] of (topic.assignments ?? []).entries()) {
      if (!assignment.target) continue;
      moves.push({ ns: "kafka", topic: topic.name, partition, previous_replicas: describeReplicas(assignment.replicas), current_replicas: describeReplicas(assignment.target) });
    }
  }
  return moves;
}

/** Prometheus families of replication, as this node sees them. */
export function replicationMetrics(health: { leaderless: PartitionName[]; underReplicated: PartitionName[] }, replicas: ReplicaDetails[], leadershipChanges: number, reads: FollowerReadCounts): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family("skua_cluster_under_replicated_partitions", "gauge", "Replicated partitions whose in-sync replicas are fewer than their replicas");
  lines.push(`skua_cluster_under_replicated_partitions ${health.underReplicated.length}`);
  family("skua_cluster_leaderless_partitions", "gauge", "Replicated partitions with no leader known to this node");
  lines.push(`skua_cluster_leaderless_partitions ${health.leaderless.length}`);
  family("skua_raft_leadership_changes_total", "counter", "Leader changes this node's replicas have seen");
  lines.push(`skua_raft_leadership_changes_total ${leadershipChanges}`);
  family("skua_kafka_follower_fetch_reads_total", "counter", "Partition reads of consumers' fetches that a follower replica on this node served (KIP-392)");
  lines.push(`skua_kafka_follower_fetch_reads_total ${reads.followerReads}`);
  family("skua_kafka_follower_fetch_bytes_total", "counter", "Record bytes follower replicas on this node served to consumers (KIP-392)");
  lines.push(`skua_kafka_follower_fetch_bytes_total ${reads.followerReadBytes}`);
  family("skua_kafka_preferred_read_replica_answers_total", "counter", "Fetch partitions a leader on this node answered with a preferred read replica in the consumer's rack (KIP-392)");
  lines.push(`skua_kafka_preferred_read_replica_answers_total ${reads.redirects}`);
  family("skua_raft_replica_lag_max", "gauge", "On partitions led here: the most entries any follower is behind, by partition");
  for (const r of replicas) {
    if (r.role !== "leader") continue;
    const lag = r.peers.reduce((max, p) => Math.max(max, p.lag), 0);
    lines.push(`skua_raft_replica_lag_max{topic="${r.topic}",partition="${r.partition}"} ${lag}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Cluster metadata: topics, their partitions' owning shards and their configs.
 * The controller (main thread) is its only writer; every shard holds a copy, kept current by
 * ordered, versioned updates.
 */
import { assert } from "../base/assert.ts";
import { entityKey, type ClientQuotaRecord, type QuotaEntity } from "./client-quotas.ts";
import { AclStore, type AclBinding } from "./acls.ts";
import type { UserRecord } from "./users.ts";

export interface TopicRecord {
  name: string;
  id: string; // UUID
  /**
   * Owning shard of each partition, indexed by partition number, on a node of one. In a cluster
   * (`assignments` present) it is the shard of each partition's first replica; use
   * `MetadataTable.ownerOf`, which answers for the node holding the table.
   */
  shards: number[];
  configs: Record<string, string>;
  /** In a cluster: each partition's Raft group and replicas (node and shard), indexed by partition. */
  assignments?: PartitionAssignment[];
}

/** One replica of a partition: the node that holds it and the shard there that owns it. */
export interface Replica {
  node: number;
  shard: number;
}

/**
 * A replicated partition: its Raft group id (unique in the cluster, > 0) and its replicas,
 * preferred leader first. While a move runs (`target` set), the group's leader changes its
 * membership one server at a time until its voters are the target's nodes; then the controller
 * makes `target` the replicas (`replica-moves.ts`).
 */
export interface PartitionAssignment {
  group: number;
  /** The agreed replica set (during a move: the set it moves from). */
  replicas: Replica[];
  /** A move in progress: the replica set it moves to. */
  target?: Replica[];
  /** A cancelled move's additions: they may still hold a replica (and be members) until the move back finishes. */
  retiring?: Replica[];
}

/** Every replica that may exist while the assignment holds: replicas, then target, then retiring, one per node. */
export function assignedReplicas(assignment: PartitionAssignment): Replica[] {
  const seen = new Set<number>();
  const all: Replica[] = [];
  for (const r of [...assignment.replicas, ...(assignment.target ?? []), ...(assignment.retiring ?? [])]) {
    if (seen.has(r.node)) continue;
    seen.add(r.node);
    all.push(r);
  }
  return all;
}

export interface HostPort {
  host: string;
  port: number;
}

/** A member of the cluster, as the controller records it when the node registers. */
export interface NodeRecord {
  id: number;
  rpc: HostPort;
  /** The Kafka address clients are told. */
  kafka: HostPort;
  shardCount: number;
  rack: string | null;
}

/** The Raft group of the controller itself; partitions' groups are numbered from 1. */
export const CONTROLLER_GROUP = 0;

export type MetadataChange =
  | { kind: "upsert_topic"; topic: TopicRecord }
  | { kind: "delete_topic"; name: string }
  /** The shard count the partitions were last balanced for. */
  | { kind: "shard_count"; shardCount: number }
  /** A SASL user with all its credentials (replacing what it had). */
  | { kind: "upsert_user"; user: UserRecord }
  | { kind: "delete_user"; name: string }
  /** In a cluster: the cluster's id, recorded once by the first controller leader. */
  | { kind: "cluster_id"; id: string }
  /** A node joined or changed its addresses or shard count. */
  | { kind: "upsert_node"; node: NodeRecord }
  /** In a cluster: the next producer id never handed out (a block was allocated). */
  | { kind: "producer_ids"; next: number }
  /** A client-quota entity with all its values (replacing what it had; none: removed). */
  | { kind: "set_client_quota"; quota: ClientQuotaRecord }
  /** ACL bindings added (one already there stays once) and removed (as DeleteAcls' filters matched them). */
  | { kind: "create_acls"; acls: AclBinding[] }
  | { kind: "delete_acls"; acls: AclBinding[] }
  /** A node being decommissioned (its replicas move off it, nothing new is placed on it), or back to active. */
  | { kind: "node_draining"; node: number; draining: boolean }
  /** A node put in maintenance mode (its leaderships move away, it takes no new ones), or out of it. */
  | { kind: "node_maintenance"; node: number; enabled: boolean }
  /** A decommissioned node, drained and out of the controller group, leaves the cluster; its id is never given again. */
  | { kind: "remove_node"; node: number }
  /** One partition's assignment replaced (a replica move started, cancelled or finished). */
  | { kind: "set_assignment"; topic: string; partition: number; assignment: PartitionAssignment };

export interface MetadataUpdate {
  version: number;
  changes: MetadataChange[];
}

export interface MetadataSnapshot {
  version: number;
  shardCount: number;
  topics: TopicRecord[];
  users?: UserRecord[];
  clusterId?: string | null;
  nodes?: NodeRecord[];
  nextProducerId?: number;
  clientQuotas?: ClientQuotaRecord[];
  acls?: AclBinding[];
  /** Nodes being decommissioned. */
  drainingNodes?: number[];
  /** Nodes in maintenance mode. */
  maintenanceNodes?: number[];
  /** Nodes that were decommissioned and left the cluster. */
  removedNodes?: number[];
}

export class MetadataTable {
  private readonly topicsByName = new Map<string, TopicRecord>();
  /** The same topics by id (Fetch v13+ names topics by id). */
  private readonly topicsById = new Map<string, TopicRecord>();
  private readonly usersByName = new Map<string, UserRecord>();
  private readonly nodesById = new Map<number, NodeRecord>();
  /** Raft group → its topic and partition, for the replicated partitions. */
  private readonly partitionsByGroup = new Map<number, { topic: string; partition: number }>();
  private readonly quotasByEntity = new Map<string, ClientQuotaRecord>();
  /** Nodes being decommissioned (cluster/decommission.ts). */
  private readonly draining = new Set<number>();
  /** Nodes in maintenance mode (cluster/maintenance.ts). */
  private readonly maintenance = new Set<number>();
  /** Nodes that left the cluster (decommissioned): refused if they come back under their id. */
  private readonly removed = new Set<number>();
  readonly acls = new AclStore();
  version = 0;
  /** 0 until the first start records it. */
  shardCount = 0;
  /** In a cluster, once the controller recorded it. */
  clusterId: string | null = null;
  /** In a cluster: the next producer id never handed out. */
  nextProducerId = 0;

  /** `localNode`: the node holding this table, for `ownerOf` in a cluster. */
  constructor(readonly localNode = 0) {}

  static fromSnapshot(snapshot: MetadataSnapshot, localNode = 0): MetadataTable {
    const table = new MetadataTable(localNode);
    for (const topic of snapshot.topics) table.put(topic);
    for (const user of snapshot.users ?? []) table.usersByName.set(user.name, user);
    for (const node of snapshot.nodes ?? []) table.nodesById.set(node.id, node);
    for (const quota of snapshot.clientQuotas ?? []) table.setClientQuota(quota);
    for (const acl of snapshot.acls ?? []) table.acls.add(acl);
    for (const node of snapshot.drainingNodes ?? []) table.draining.add(node);
    for (const node of snapshot.maintenanceNodes ?? []) table.maintenance.add(node);
    for (const node of snapshot.removedNodes ?? []) table.removed.add(node);
    table.version = snapshot.version;
    table.shardCount = snapshot.shardCount;
    table.clusterId = snapshot.clusterId ?? null;
    table.nextProducerId = snapshot.nextProducerId ?? 0;
    return table;
  }

  snapshot(): MetadataSnapshot {
    return {
      version: this.version, shardCount: this.shardCount, topics: [...this.topicsByName.values()], users: [...this.usersByName.values()],
      clusterId: this.clusterId, nodes: [...this.nodesById.values()], nextProducerId: this.nextProducerId, clientQuotas: [...this.quotasByEntity.values()],
      acls: [...this.acls.all()], drainingNodes: [...this.draining], removedNodes: [...this.removed],
      maintenanceNodes: [...this.maintenance],
    };
  }

  apply(update: MetadataUpdate): void {
    assert(update.version === this.version + 1, `metadata update ${update.version} after ${this.version}`);
    for (const change of update.changes) {
      if (change.kind === "upsert_topic") this.put(change.topic);
      else if (change.kind === "delete_topic") this.remove(change.name);
      else if (change.kind === "upsert_user") this.usersByName.set(change.user.name, change.user);
      else if (change.kind === "delete_user") this.usersByName.delete(change.name);
      else if (change.kind === "cluster_id") this.clusterId = change.id;
      else if (change.kind === "upsert_node") this.nodesById.set(change.node.id, change.node);
      else if (change.kind === "producer_ids") this.nextProducerId = change.next;
      else if (change.kind === "set_client_quota") this.setClientQuota(change.quota);
      else if (change.kind === "create_acls") for (const acl of change.acls) this.acls.add(acl);
      else if (change.kind === "delete_acls") for (const acl of change.acls) this.acls.remove(acl);
      else if (change.kind === "node_draining") {
        if (change.draining) this.draining.add(change.node);
        else this.draining.delete(change.node);
      } else if (change.kind === "node_maintenance") {
        if (change.enabled) this.maintenance.add(change.node);
        else this.maintenance.delete(change.node);
      } else if (change.kind === "remove_node") {
        this.nodesById.delete(change.node);
        this.draining.delete(change.node);
        this.maintenance.delete(change.node);
        this.removed.add(change.node);
      } else if (change.kind === "set_assignment") this.setAssignment(change.topic, change.partition, change.assignment);
      else this.shardCount = change.shardCount;
    }
    this.version = update.version;
  }

  private setClientQuota(quota: ClientQuotaRecord): void {
    if (Object.keys(quota.values).length === 0) this.quotasByEntity.delete(entityKey(quota.entity));
    else this.quotasByEntity.set(entityKey(quota.entity), quota);
  }

  /** A new record for the topic (the old one may be shared with snapshots): same id, one assignment replaced. */
  private setAssignment(name: string, partition: number, assignment: PartitionAssignment): void {
    const topic = this.topicsByName.get(name);
    assert(topic?.assignments?.[partition]?.group === assignment.group, `assignment of ${name}/${partition} set for group ${assignment.group}, not the partition's`);
    const assignments = topic.assignments.map((a, p) => (p === partition ? assignment : a));
    const shards = topic.shards.map((s, p) => (p === partition ? assignment.replicas[0]!.shard : s));
    this.put({ ...topic, assignments, shards });
  }

  private put(topic: TopicRecord): void {
    this.remove(topic.name); // a topic re-created under its name has a new id: the old id stops resolving
    this.topicsByName.set(topic.name, topic);
    this.topicsById.set(topic.id, topic);
    topic.assignments?.forEach((a, partition) => this.partitionsByGroup.set(a.group, { topic: topic.name, partition }));
  }

  private remove(name: string): void {
    const old = this.topicsByName.get(name);
    if (!old) return;
    this.topicsByName.delete(name);
    this.topicsById.delete(old.id);
    for (const a of old.assignments ?? []) this.partitionsByGroup.delete(a.group);
  }

  topic(name: string): TopicRecord | undefined {
    return this.topicsByName.get(name);
  }

  topicById(id: string): TopicRecord | undefined {
    return this.topicsById.get(id);
  }

  topics(): IterableIterator<TopicRecord> {
    return this.topicsByName.values();
  }

  user(name: string): UserRecord | undefined {
    return this.usersByName.get(name);
  }

  users(): IterableIterator<UserRecord> {
    return this.usersByName.values();
  }

  clientQuota(entity: QuotaEntity): ClientQuotaRecord | undefined {
    return this.quotasByEntity.get(entityKey(entity));
  }

  clientQuotas(): IterableIterator<ClientQuotaRecord> {
    return this.quotasByEntity.values();
  }

  get clientQuotaCount(): number {
    return this.quotasByEntity.size;
  }

  get userCount(): number {
    return this.usersByName.size;
  }

  /**
   * The shard of this node (`localNode`) that owns the partition, or undefined when the topic or
   * partition does not exist or, in a cluster, has no replica on this node.
   */
  ownerOf(topic: string, partition: number): number | undefined {
    const record = this.topicsByName.get(topic);
    const assignment = record?.assignments?.[partition];
    // On every Raft message routed between shards: no copies (assignedReplicas), the same order.
    if (assignment) {
      const mine = (r: Replica) => r.node === this.localNode;
      return (assignment.replicas.find(mine) ?? assignment.target?.find(mine) ?? assignment.retiring?.find(mine))?.shard;
    }
    return record?.shards[partition];
  }

  /** A partition's Raft group and replicas, in a cluster. */
  assignment(topic: string, partition: number): PartitionAssignment | undefined {
    return this.topicsByName.get(topic)?.assignments?.[partition];
  }

  /** The partition a Raft group replicates. */
  partitionOfGroup(group: number): { topic: string; partition: number } | undefined {
    return this.partitionsByGroup.get(group);
  }

  /** The largest Raft group id in use (0: only the controller's). */
  maxGroup(): number {
    let max = CONTROLLER_GROUP;
    for (const group of this.partitionsByGroup.keys()) max = Math.max(max, group);
    return max;
  }

  node(id: number): NodeRecord | undefined {
    return this.nodesById.get(id);
  }

  /** Whether the node is being decommissioned. */
  isDraining(node: number): boolean {
    return this.draining.has(node);
  }

  /** Whether the node is in maintenance mode. */
  inMaintenance(node: number): boolean {
    return this.maintenance.has(node);
  }

  /** Nodes that were decommissioned and left the cluster. */
  removedNodes(): number[] {
    return [...this.removed];
  }

  /** Whether the node was decommissioned and left the cluster. */
  wasRemoved(node: number): boolean {
    return this.removed.has(node);
  }

  /** The largest node id ever recorded, removed ones included (-1: none), so a new node never takes an old id. */
  maxNodeId(): number {
    return Math.max(-1, ...this.nodesById.keys(), ...this.removed);
  }

  nodes(): NodeRecord[] {
    return [...this.nodesById.values()].sort((a, b) => a.id - b.id);
  }

  partitionCountByShard(shardCount: number): number[] {
    const counts = new Array<number>(shardCount).fill(0);
    for (const topic of this.topicsByName.values()) {
      if (topic.assignments) continue; // counted per node by replica placement
      for (const shard of topic.shards) if (shard < shardCount) counts[shard]++;
    }
    return counts;
  }
}

/** Kafka's rule: 1–249 characters of ASCII letters, digits, '.', '_' and '-', not "." or "..". */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "topic name is empty";
  if (name.length > 249) return "topic name is longer than 249 characters";
  if (name === "." || name === "..") return `topic name cannot be '${name}'`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name '${name}' has characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}

/**
 * Requests a shard makes of the controller: creating and deleting topics, adding partitions,
 * changing topic configs, producer id blocks. Each is planned against the current
 * table in the controller's order, then persisted in the metadata log and published to every
 * shard before it is answered. Runs on the main thread.
 */
import { NO_TOPIC_ID } from "../protocol/codec.ts";
import { join } from "node:path";
import { rethrowIfBroken } from "../base/assert.ts";
import type { Servers } from "../base/calls.ts";
import { limits } from "../base/limits.ts";
import type { Disk } from "../io/disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { placePartitions, type ShardLoad } from "./balance.ts";
import { clusterLoad, placeReplicas, replicaCapacity, type ClusterLoad } from "./replica-placement.ts";
import type { Controller, CreateTopicCommand, CreateTopicOutcome } from "./controller.ts";
import { assignedReplicas, type MetadataChange, type MetadataTable, type NodeRecord, type Replica, type TopicRecord } from "./metadata.ts";
import { planDecommission, planDrainStep, planRecommission, planRemoveDrained, type DecommissionOutcome } from "./decommission.ts";
import { planMaintenance, type MaintenanceOutcome } from "./maintenance.ts";
import { planBalanceStep } from "./partition-balancer.ts";
import { planFinish, planMoves, type ReplicaMoveOutcome, type MoveRequest } from "./replica-moves.ts";
import { PRODUCER_ID_BLOCK_SIZE, ProducerIdStore } from "./producer-ids.ts";
import type { ClusterProperties } from "./properties.ts";
import { validateTopicConfigs } from "./topic-config.ts";
import { aclBindingProblem, aclFilterMatches, aclFilterProblem, aclKey, type AclBinding, type AclFilter } from "./acls.ts";
import { planUserChange, type UserChange, type UserOutcome } from "./users.ts";
import { planClientQuotas, type ClientQuotaChange, type ClientQuotaOutcome } from "./client-quota-plan.ts";

export interface TopicOutcome {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface DeleteTopicOutcome extends TopicOutcome {
  topicId: string;
}

/** A topic to delete, by name or (DeleteTopics v6) by id. */
export interface DeleteTopicCommand {
  name: string | null;
  topicId: string | null;
}

export interface CreatePartitionsCommand {
  name: string;
  /** The new total partition count. */
  count: number;
}

/** Config changes to one topic: `replace` drops every override not in `set` (AlterConfigs). */
export interface AlterTopicConfigsCommand {
  name: string;
  set: Record<string, string>;
  remove: string[];
  replace: boolean;
}

export interface ControllerCalls {
  createTopics: { request: { topics: CreateTopicCommand[] }; response: CreateTopicOutcome[] };
  allocateProducerIds: { request: Record<string, never>; response: { firstId: number; count: number } | { error: string } };
  deleteTopics: { request: { topics: DeleteTopicCommand[] }; response: DeleteTopicOutcome[] };
  createPartitions: { request: { topics: CreatePartitionsCommand[]; validateOnly: boolean }; response: TopicOutcome[] };
  alterTopicConfigs: { request: { topics: AlterTopicConfigsCommand[]; validateOnly: boolean }; response: TopicOutcome[] };
  alterUsers: { request: { changes: UserChange[] }; response: UserOutcome[] };
  /** In a cluster: a node says who it is and where it listens; the controller records it (and, first, the cluster id). */
  registerNode: { request: { node: NodeRecord; clusterId: string }; response: { registered: boolean; refusal?: string } };
  /**
   * In a cluster: a new node asks to join (through any node); it gets an id (the one it asked
   * for, or the next free one), is recorded, and becomes a learner of the controller group.
   */
  joinNode: { request: { node: Omit<NodeRecord, "id">; requestedId: number | null }; response: JoinOutcome };
  alterClientQuotas: { request: { changes: ClientQuotaChange[]; validateOnly: boolean }; response: ClientQuotaOutcome[] };
  createAcls: { request: { acls: AclBinding[] }; response: AclOutcome[] };
  deleteAcls: { request: { filters: AclFilter[] }; response: AclDeleteOutcome[] };
  /** In a cluster: start (or, with null replicas, cancel) replica moves (`replica-moves.ts`). */
  moveReplicas: { request: { moves: MoveRequest[] }; response: ReplicaMoveOutcome[] };
  /** In a cluster: a partition's leader says its group's committed voters are the move's target. */
  finishMove: { request: { topic: string; partition: number; group: number; target: Replica[] }; response: { finished: boolean } };
  /** In a cluster: start moving every replica off a node (`decommission.ts`), or stop and cancel what still moves. */
  decommissionNode: { request: { node: number }; response: DecommissionOutcome };
  recommissionNode: { request: { node: number }; response: DecommissionOutcome };
  /** In a cluster: put a node in maintenance mode or take it out (`maintenance.ts`). */
  setMaintenance: { request: { node: number; enabled: boolean }; response: MaintenanceOutcome };
}

/** `nodes`: the cluster's nodes when it joined, so the new node can reach them before it has the metadata. */
export type JoinOutcome = { ok: true; nodeId: number; clusterId: string; leader: number; nodes: NodeRecord[] } | { ok: false; error: string };

/** In a cluster: the controller group as the controller calls need it (its leader is this node when they run). */
export interface ControllerGroup {
  readonly self: number;
  addLearner(node: number): Promise<boolean>;
}

export interface AclOutcome {
  errorCode: number;
  errorMessage: string | null;
}

/** One DeleteAcls filter's answer: the bindings it matched, all deleted. */
export interface AclDeleteOutcome extends AclOutcome {
  deleted: AclBinding[];
}

export type ControllerCallName = keyof ControllerCalls;

const ok = (name: string): TopicOutcome => ({ name, errorCode: ErrorCode.NONE, errorMessage: null });
const failed = (name: string, errorCode: number, errorMessage: string): TopicOutcome => ({ name, errorCode, errorMessage });

const removedRefusal = (node: number) =>
  `node id ${node} was decommissioned and has left the cluster; it cannot rejoin under that id (start it with an empty data dir to join as a new node)`;

export class ControllerService {
  private producerIds: Promise<ProducerIdStore> | null = null;

  constructor(
    private readonly controller: Controller,
    private readonly disk: Disk,
    private readonly dataDir: string,
    private readonly props: ClusterProperties,
  ) {}

  /**
   * Deletes topic directories that no topic in the metadata owns: left by a crash between
   * committing a DeleteTopics and removing its data. Run before the shards start.
   */
  async removeOrphanedTopicDirs(warn: (message: string) => void): Promise<void> {
    const kafkaDir = join(this.dataDir, "kafka");
    for (const name of await this.disk.list(kafkaDir)) {
      if (this.controller.table.topic(name)) continue;
      warn(`removing ${join(kafkaDir, name)}: no such topic in the metadata (deleted)`);
      await this.disk.remove(join(kafkaDir, name));
    }
  }

  /**
   * Deletes the partition directories of replicated topics that have no replica on this node in
   * the metadata: a move finished (the shard removes it then) while this node was down or
   * before it removed it. Run before the shards start.
   */
  async removeMovedReplicaDirs(nodeId: number, warn: (message: string) => void): Promise<void> {
    for (const topic of this.controller.table.topics()) {
      if (!topic.assignments) continue;
      const topicDir = join(this.dataDir, "kafka", topic.name);
      for (const name of await this.disk.list(topicDir)) {
        const partition = /^(0|[1-9][0-9]*)$/.test(name) ? Number(name) : -1;
        const assignment = topic.assignments[partition];
        if (!assignment || assignedReplicas(assignment).some((r) => r.node === nodeId)) continue;
        warn(`removing ${join(topicDir, name)}: its replica moved off node ${nodeId}`);
        await this.disk.remove(join(topicDir, name));
      }
    }
  }

  /** A deleted topic's data on this node, once every shard has closed its logs. */
  async removeTopicData(name: string): Promise<void> {
    await this.disk.remove(join(this.dataDir, "kafka", name));
  }

  /** One server per controller call (the compiler checks none is missing). */
  readonly servers: Servers<ControllerCalls> = {
    createTopics: (request) => this.controller.createTopics(request.topics),
    allocateProducerIds: () => this.allocateProducerIds(),
    deleteTopics: (request) => this.deleteTopics(request.topics),
    createPartitions: (request) => this.createPartitions(request.topics, request.validateOnly),
    alterTopicConfigs: (request) => this.alterTopicConfigs(request.topics, request.validateOnly),
    alterUsers: (request) => this.alterUsers(request.changes),
    registerNode: (request) => this.registerNode(request.node, request.clusterId),
    joinNode: (request) => this.joinNode(request.node, request.requestedId),
    alterClientQuotas: (request) =>
      this.controller.change(async (table) => {
        const { changes, outcomes } = planClientQuotas(table, request.changes);
        return { changes: request.validateOnly ? [] : changes, result: outcomes };
      }),
    createAcls: (request) => this.createAcls(request.acls),
    deleteAcls: (request) => this.deleteAcls(request.filters),
    moveReplicas: (request) => this.moveReplicas(request.moves),
    decommissionNode: (request) => this.changeMembership(planDecommission, request.node),
    recommissionNode: (request) => this.changeMembership(planRecommission, request.node),
    setMaintenance: (request) => this.setMaintenance(request.node, request.enabled),
    finishMove: (request) =>
      this.controller.change(async (table) => {
        const assignment = planFinish(table.assignment(request.topic, request.partition), request.group, request.target);
        const changes: MetadataChange[] = assignment ? [{ kind: "set_assignment", topic: request.topic, partition: request.partition, assignment }] : [];
        return { changes, result: { finished: assignment !== null } };
      }),
  };

  /** Decommissioning exists only in a cluster. */
  private changeMembership(plan: typeof planDecommission, node: number): Promise<DecommissionOutcome> {
    if (!this.controller.clustered) return Promise.resolve({ ok: false, error: "decommissioning needs a cluster; this node is not in one" });
    return this.controller.change(async (table) => {
      const { changes, outcome } = plan(table, node);
      return { changes, result: outcome };
    });
  }

  /** Maintenance mode exists only in a cluster. */
  private setMaintenance(node: number, enabled: boolean): Promise<MaintenanceOutcome> {
    if (!this.controller.clustered) return Promise.resolve({ ok: false, error: "maintenance mode needs a cluster; this node is not in one" });
    return this.controller.change(async (table) => {
      const { changes, outcome } = planMaintenance(table, node, enabled);
      return { changes, result: outcome };
    });
  }

  /** On the controller leader, every DRAIN_INTERVAL_MS: the next moves off draining nodes (none: nothing committed). */
  drainStep(): Promise<number> {
    return this.controller.change(async (table) => {
      const changes = planDrainStep(table, this.props.enable_rack_awareness);
      return { changes, result: changes.length };
    });
  }

  /** On the controller leader, every DRAIN_INTERVAL_MS with partition_autobalancing_mode=node_add: the next moves that even out replica counts over the nodes `up`. */
  balanceStep(up: ReadonlySet<number>): Promise<number> {
    return this.controller.change(async (table) => {
      const changes = planBalanceStep(table, up, this.props.enable_rack_awareness);
      return { changes, result: changes.length };
    });
  }

  /** On the controller leader: a drained node leaves the node list (false: not drained); the controller group follows (main.ts). */
  removeDrainedNode(node: number): Promise<boolean> {
    return this.controller.change(async (table) => {
      const changes = planRemoveDrained(table, node);
      return { changes, result: changes.length > 0 };
    });
  }

  /** Replica moves exist only in a cluster: a node of one refuses them (each request answered). */
  private moveReplicas(moves: MoveRequest[]): Promise<ReplicaMoveOutcome[]> {
    if (!this.controller.clustered) {
      return Promise.resolve(moves.map(() => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "moving replicas between nodes needs a cluster; this node is not in one" })));
    }
    return this.controller.change(async (table) => {
      const { changes, outcomes } = planMoves(table, moves);
      return { changes, result: outcomes };
    });
  }

  private group: ControllerGroup | null = null;

  /** In a cluster, once the controller group runs. */
  attachGroup(group: ControllerGroup): void {
    this.group = group;
  }

  private async joinNode(node: Omit<NodeRecord, "id">, requestedId: number | null): Promise<JoinOutcome> {
    const group = this.group;
    if (group === null) return { ok: false, error: "this node is not in a cluster" };
    const outcome = await this.controller.change<JoinOutcome>(async (table) => {
      const sameAddress = table.nodes().find((n) => n.rpc.host === node.rpc.host && n.rpc.port === node.rpc.port);
      const nodeId = requestedId ?? sameAddress?.id ?? table.maxNodeId() + 1;
      const known = table.node(nodeId);
      if (table.wasRemoved(nodeId)) return { changes: [], result: { ok: false, error: removedRefusal(nodeId) } };
      if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > limits.nodeIdMax) return { changes: [], result: { ok: false, error: `node id must be 0..${limits.nodeIdMax}, got ${nodeId}` } };
      if (known && (known.rpc.host !== node.rpc.host || known.rpc.port !== node.rpc.port)) {
        return { changes: [], result: { ok: false, error: `node id ${nodeId} is taken by the node at ${known.rpc.host}:${known.rpc.port}` } };
      }
      const record: NodeRecord = { ...node, id: nodeId };
      const changes: MetadataChange[] = JSON.stringify(known) === JSON.stringify(record) ? [] : [{ kind: "upsert_node", node: record }];
      return { changes, result: { ok: true, nodeId, clusterId: table.clusterId ?? "", leader: group.self, nodes: table.nodes() } };
    });
    if (!outcome.ok) return outcome;
    if (!(await group.addLearner(outcome.nodeId))) return { ok: false, error: "the controller group refused the new learner (another membership change in progress?); try again" };
    return outcome;
  }

  private registerNode(node: NodeRecord, clusterId: string): Promise<{ registered: boolean; refusal?: string }> {
    return this.controller.change<{ registered: boolean; refusal?: string }>(async (table) => {
      const changes: MetadataChange[] = [];
      if (table.clusterId === null) changes.push({ kind: "cluster_id", id: clusterId });
      else if (table.clusterId !== clusterId) return { changes, result: { registered: false, refusal: `the controller is in another cluster than ${clusterId}` } };
      if (table.wasRemoved(node.id)) return { changes: [], result: { registered: false, refusal: removedRefusal(node.id) } };
      if (JSON.stringify(table.node(node.id)) !== JSON.stringify(node)) changes.push({ kind: "upsert_node", node });
      return { changes, result: { registered: true } };
    });
  }

  /** Each binding checked on its own (Kafka answers each creation); one already there succeeds and stays once. */
  createAcls(acls: AclBinding[]): Promise<AclOutcome[]> {
    return this.controller.change(async (table) => {
      const added = new Map<string, AclBinding>();
      const outcomes = acls.map((acl): AclOutcome => {
        const problem = aclBindingProblem(acl);
        if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
        if (table.acls.has(acl) || added.has(aclKey(acl))) return { errorCode: ErrorCode.NONE, errorMessage: null };
        if (table.acls.size + added.size >= limits.aclsMax) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `at most ${limits.aclsMax} ACLs` };
        added.set(aclKey(acl), acl);
        return { errorCode: ErrorCode.NONE, errorMessage: null };
      });
      const changes: MetadataChange[] = added.size > 0 ? [{ kind: "create_acls", acls: [...added.values()] }] : [];
      return { changes, result: outcomes };
    });
  }

  /** Every binding a filter matches is deleted; one matched by several filters is reported by each (as Kafka). */
  deleteAcls(filters: AclFilter[]): Promise<AclDeleteOutcome[]> {
    return this.controller.change(async (table) => {
      const removed = new Map<string, AclBinding>();
      const outcomes = filters.map((filter): AclDeleteOutcome => {
        const problem = aclFilterProblem(filter);
        if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, deleted: [] };
        const deleted = [...table.acls.all()].filter((acl) => aclFilterMatches(filter, acl));
        for (const acl of deleted) removed.set(aclKey(acl), acl);
        return { errorCode: ErrorCode.NONE, errorMessage: null, deleted };
      });
      const changes: MetadataChange[] = removed.size > 0 ? [{ kind: "delete_acls", acls: [...removed.values()] }] : [];
      return { changes, result: outcomes };
    });
  }

  /** SASL users: each change planned against the users as earlier ones in the request left them. */
  alterUsers(requested: UserChange[]): Promise<UserOutcome[]> {
    return this.controller.change(async (table) => {
      const after = new Map<string, MetadataChange>();
      let count = table.userCount;
      const outcomes = requested.map((change) => {
        if (requested.filter((c) => c.name === change.name).length > 1) {
          return failed(change.name, ErrorCode.DUPLICATE_RESOURCE, `user '${change.name}' is named twice in one request`);
        }
        const current = table.user(change.name);
        const planned = planUserChange(current, change, count);
        if ("errorCode" in planned) return planned;
        if (!current) count++;
        const { credentials } = planned;
        after.set(change.name, credentials.length > 0 ? { kind: "upsert_user", user: { name: change.name, credentials } } : { kind: "delete_user", name: change.name });
        return ok(change.name);
      });
      return { changes: [...after.values()], result: outcomes };
    });
  }

  private async allocateProducerIds(): Promise<ControllerCalls["allocateProducerIds"]["response"]> {
    if (this.controller.clustered) {
      // A cluster's blocks are controller changes, so every node knows which ids are taken.
      return this.controller.change(async (table) => ({
        changes: [{ kind: "producer_ids", next: table.nextProducerId + PRODUCER_ID_BLOCK_SIZE }],
        result: { firstId: table.nextProducerId, count: PRODUCER_ID_BLOCK_SIZE },
      }));
    }
    try {
      this.producerIds ??= ProducerIdStore.open(this.disk, this.dataDir).catch((error: unknown) => {
        this.producerIds = null; // try again on the next call
        throw error;
      });
      return await (await this.producerIds).allocate(PRODUCER_ID_BLOCK_SIZE);
    } catch (error) {
      rethrowIfBroken(error);
      return { error: String(error) };
    }
  }

  /** Removes the topics from metadata, then (every shard having closed their logs) their data. */
  deleteTopics(commands: DeleteTopicCommand[]): Promise<DeleteTopicOutcome[]> {
    return this.controller.change(async (table) => {
      const outcomes = commands.map((c) => planDelete(table, c));
      const names = [...new Set(outcomes.filter((o) => o.errorCode === ErrorCode.NONE).map((o) => o.name))];
      const changes: MetadataChange[] = names.map((name) => ({ kind: "delete_topic", name }));
      // In a cluster every node removes its data once it applied the change (removeTopicData).
      const afterCommit = async () => {
        if (!this.controller.clustered) for (const name of names) await this.removeTopicData(name);
      };
      return { changes, result: outcomes, afterCommit };
    });
  }

  createPartitions(commands: CreatePartitionsCommand[], validateOnly: boolean): Promise<TopicOutcome[]> {
    return this.controller.change(async (table, currentLoad) => {
      const load = await currentLoad(); // includes earlier topics of this request as they are placed
      const cluster = clusterLoad(table);
      const changes: MetadataChange[] = [];
      const outcomes = commands.map((command) => {
        const planned = this.controller.clustered ? planClusterPartitions(table, command, commands, cluster, this.props) : planPartitions(table, command, commands, load, this.capacity(load));
        if ("errorCode" in planned) return planned;
        changes.push({ kind: "upsert_topic", topic: planned });
        return ok(command.name);
      });
      return { changes: validateOnly ? [] : changes, result: outcomes };
    });
  }

  /** Partitions the shards still have room for (topic_partitions_per_shard). */
  private capacity(load: ShardLoad): number {
    return this.props.topic_partitions_per_shard * load.partitions.length - load.partitions.reduce((a, b) => a + b, 0);
  }

  alterTopicConfigs(commands: AlterTopicConfigsCommand[], validateOnly: boolean): Promise<TopicOutcome[]> {
    return this.controller.change(async (table) => {
      const changes: MetadataChange[] = [];
      const outcomes = commands.map((command) => {
        const topic = table.topic(command.name);
        if (!topic) return failed(command.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${command.name}'`);
        if (commands.filter((c) => c.name === command.name).length > 1) {
          return failed(command.name, ErrorCode.INVALID_REQUEST, `topic '${command.name}' is named twice in one request`);
        }
        const configs: Record<string, string> = command.replace ? {} : { ...topic.configs };
        for (const name of command.remove) delete configs[name];
        Object.assign(configs, command.set);
        const problem = validateTopicConfigs(configs);
        if (problem) return failed(command.name, ErrorCode.INVALID_CONFIG, problem);
        changes.push({ kind: "upsert_topic", topic: { ...topic, configs } });
        return ok(command.name);
      });
      return { changes: validateOnly ? [] : changes, result: outcomes };
    });
  }
}

function planDelete(table: MetadataTable, command: DeleteTopicCommand): DeleteTopicOutcome {
  const byId = command.name === null;
  const topic = byId ? [...table.topics()].find((t) => t.id === command.topicId) : table.topic(command.name!);
  if (!topic) {
    const errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const what = byId ? `topic id ${command.topicId}` : `topic '${command.name}'`;
    return { name: command.name ?? "", topicId: command.topicId ?? NO_TOPIC_ID, errorCode, errorMessage: `unknown ${what}` };
  }
  return { name: topic.name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null };
}

/** The topic with its new partitions placed by the controller's least-loaded rule. */
function planPartitions(table: MetadataTable, command: CreatePartitionsCommand, batch: CreatePartitionsCommand[], load: ShardLoad, capacity: number): TopicRecord | TopicOutcome {
  const problem = partitionCountProblem(table, command, batch, capacity);
  if (problem) return problem;
  const topic = table.topic(command.name)!;
  return { ...topic, shards: [...topic.shards, ...placePartitions(command.count - topic.shards.length, load)] };
}

/** In a cluster: the new partitions get as many replicas as the topic's first, on the least-loaded nodes (distinct racks with rack awareness). */
function planClusterPartitions(table: MetadataTable, command: CreatePartitionsCommand, batch: CreatePartitionsCommand[], load: ClusterLoad, props: ClusterProperties): TopicRecord | TopicOutcome {
  const topic = table.topic(command.name);
  const replicationFactor = topic?.assignments?.[0]?.replicas.length ?? 1;
  const problem = partitionCountProblem(table, command, batch, Math.floor(replicaCapacity(load, props.topic_partitions_per_shard) / replicationFactor));
  if (problem) return problem;
  const added = placeReplicas(command.count - topic!.shards.length, replicationFactor, load, props.enable_rack_awareness);
  return { ...topic!, shards: [...topic!.shards, ...added.map((a) => a.replicas[0].shard)], assignments: [...(topic!.assignments ?? []), ...added] };
}

function partitionCountProblem(table: MetadataTable, command: CreatePartitionsCommand, batch: CreatePartitionsCommand[], capacity: number): TopicOutcome | null {
  const topic = table.topic(command.name);
  if (!topic) return failed(command.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${command.name}'`);
  if (batch.filter((c) => c.name === command.name).length > 1) {
    return failed(command.name, ErrorCode.INVALID_REQUEST, `topic '${command.name}' is named twice in one request`);
  }
  const current = topic.shards.length;
  if (!Number.isInteger(command.count) || command.count <= current) {
    return failed(command.name, ErrorCode.INVALID_PARTITIONS, `topic '${command.name}' has ${current} partitions; the new count must be larger, got ${command.count}`);
  }
  if (command.count > limits.partitionsPerTopicMax) {
    return failed(command.name, ErrorCode.INVALID_PARTITIONS, `partition count must be at most ${limits.partitionsPerTopicMax}, got ${command.count}`);
  }
  if (command.count - current > capacity) {
    return failed(command.name, ErrorCode.INVALID_PARTITIONS, `${command.count - current} more partitions would exceed topic_partitions_per_shard; room for ${capacity}`);
  }
  return null;
}

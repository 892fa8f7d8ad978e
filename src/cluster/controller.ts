/**
 * The controller: the single writer of cluster metadata. Runs on the main thread. Every change
 * is appended to the metadata log (durable) and published to every shard before it is answered.
 */
import { assert } from "../base/assert.ts";
import { limits } from "../base/limits.ts";
import type { Disk } from "../io/disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { MetadataLog } from "./metadata-log.ts";
import { assignedReplicas, MetadataTable, topicNameProblem, type MetadataChange, type MetadataUpdate, type PartitionAssignment, type TopicRecord } from "./metadata.ts";
import type { ClusterProperties } from "./properties.ts";
import { validateTopicConfigs } from "./topic-config.ts";
import { placePartitions, planCoreBalance, type PartitionMove, type ShardLoad } from "./balance.ts";
import { clusterLoad, placeReplicas, replicaCapacity } from "./replica-placement.ts";

export interface CreateTopicCommand {
  name: string;
  partitions: number; // -1: the cluster default
  replicationFactor: number; // -1: default_topic_replications (at most the node count)
  configs: Record<string, string>;
  validateOnly: boolean;
}

export interface CreateTopicOutcome {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  topic: TopicRecord | null;
}

/** What the controller needs of the running shards. */
export interface ShardControl {
  /** Sends an update to every shard and resolves once all have applied it. */
  publish(update: MetadataUpdate): Promise<void>;
  /** Asks a partition's owner to stop serving it and close its log (first half of a move). */
  release(shard: number, ref: { topic: string; partition: number }): Promise<void>;
  /** Bytes on disk per shard, for placement ties. */
  shardBytes(): Promise<number[]>;
}

export interface PlannedChange<T> {
  changes: MetadataChange[];
  result: T;
  afterCommit?: () => Promise<void>;
}

/** Where a request's new partitions go: on this node's shards, or across the cluster's nodes. */
interface Placement {
  /** Partitions (replicas) there is room for now. */
  capacity(): number;
  where: string;
  maxReplicas: number;
  /** `dryRun` (validate only) leaves the load as it was. */
  place(count: number, replicationFactor: number, dryRun: boolean): { shards: number[]; assignments?: PartitionAssignment[] };
}

export type MoveOutcome = { ok: true; move: PartitionMove | null } | { ok: false; error: string };

/**
 * In a cluster: the controller's Raft group. Updates are proposed to it and applied (on every
 * node, leader or not) once committed, through `Controller.applyCommitted`.
 */
export interface ControllerReplicator {
  /** Resolves true once the update is committed, false when this node is not (or stopped being) the leader. */
  propose(update: MetadataUpdate): Promise<boolean>;
}

/** This node does not lead the controller group (or lost it before a change committed): the caller may retry with the leader. */
export class NotControllerError extends Error {
  override name = "NotControllerError";
}

export class Controller {
  private queue: Promise<unknown> = Promise.resolve();
  /** In a cluster: committed updates applied one at a time, in log order. */
  private applying: Promise<unknown> = Promise.resolve();
  /** In a cluster: proposals waiting for their version to be applied. */
  private readonly appliedWaiters = new Map<number, () => void>();
  private replicator: ControllerReplicator | null = null;
  /** This node's id once in a cluster. */
  private self = -1;
  /** In a cluster: the last committed version every shard of this node has applied. */
  publishedVersion = 0;
  private afterApply: (update: MetadataUpdate) => Promise<void> = async () => {};

  private constructor(
    readonly table: MetadataTable,
    private readonly log: MetadataLog,
    private readonly props: ClusterProperties,
    readonly shardCount: number,
    private readonly shards: ShardControl,
  ) {}

  /**
   * Makes this node's controller a member of the cluster's controller group: from now on changes
   * are proposed to the group, and every node applies what the group commits (`afterApply` runs
   * for each applied update, after the shards have it).
   */
  joinCluster(self: number, replicator: ControllerReplicator, afterApply: (update: MetadataUpdate) => Promise<void>): void {
    this.self = self;
    this.replicator = replicator;
    this.afterApply = afterApply;
    this.publishedVersion = this.table.version; // what the metadata log held: the shards start with it
  }

  get clustered(): boolean {
    return this.replicator !== null;
  }

  /**
   * A committed update of the controller group, in log order (on every node). One whose version
   * does not follow the table's was planned against a state that another committed update had
   * already changed (a deposed leader's proposal): skipped, the same way on every node.
   */
  applyCommitted(update: MetadataUpdate): Promise<void> {
    const result = this.applying.then(async () => {
      if (update.version !== this.table.version + 1) return;
      const handoffs = this.coreHandoffs(update);
      await this.log.append(update);
      this.table.apply(update);
      for (const handoff of handoffs) await this.shards.release(handoff.from, handoff);
      await this.shards.publish(update);
      await this.afterApply(update);
      this.publishedVersion = update.version;
      this.appliedWaiters.get(update.version)?.();
      this.appliedWaiters.delete(update.version);
    });
    this.applying = result;
    return result;
  }

  /**
   * The replicas of this node that `update` moves to another of its shards: the old shard lets
   * go of each (closing its Raft group, keeping the data) before the new one opens it, so the
   * replica never runs on two shards at once.
   */
  private coreHandoffs(update: MetadataUpdate): PartitionMove[] {
    const moves: PartitionMove[] = [];
    for (const change of update.changes) {
      if (change.kind !== "set_assignment") continue;
      const before = this.table.assignment(change.topic, change.partition);
      const from = before && before.group === change.assignment.group ? assignedReplicas(before).find((r) => r.node === this.self)?.shard : undefined;
      const to = assignedReplicas(change.assignment).find((r) => r.node === this.self)?.shard;
      if (from !== undefined && to !== undefined && from !== to) moves.push({ topic: change.topic, partition: change.partition, from, to });
    }
    return moves;
  }

  /**
   * Restores metadata from the data dir. Partitions of shards that no longer exist move to live
   * ones; with core_balancing_on_core_count_change, a changed shard count also evens out the
   * counts. Shards are not running yet, so these moves are metadata only: logs stay where they are.
   */
  /** `clustered`: the node is in a cluster, whose metadata only the controller group changes (no balancing at start). */
  static async open(options: { disk: Disk; dataDir: string; props: ClusterProperties; shardCount: number; shards: ShardControl; warn: (m: string) => void; clustered?: boolean }): Promise<Controller> {
    const { log, updates } = await MetadataLog.open(options.disk, options.dataDir, options.warn);
    const table = new MetadataTable();
    for (const update of updates) table.apply(update);
    const controller = new Controller(table, log, options.props, options.shardCount, options.shards);
    if (!options.clustered) await controller.balanceAtStart();
    return controller;
  }

  close(): Promise<void> {
    return this.log.close();
  }

  /**
   * Runs `plan` in order with every other metadata change, commits and publishes the changes it
   * returns, runs its afterCommit, then answers (DeleteTopics, CreatePartitions, AlterConfigs).
   */
  change<T>(plan: (table: MetadataTable, load: () => Promise<ShardLoad>) => Promise<PlannedChange<T>>): Promise<T> {
    return this.serialized(async () => {
      const load = async () => ({ partitions: this.table.partitionCountByShard(this.shardCount), bytes: await this.shards.shardBytes() });
      const planned = await plan(this.table, load);
      if (planned.changes.length > 0) await this.commit(planned.changes);
      await planned.afterCommit?.();
      return planned.result;
    });
  }

  createTopics(commands: CreateTopicCommand[]): Promise<CreateTopicOutcome[]> {
    return this.serialized(async () => {
      // The load includes this request's earlier topics as they are placed.
      const place = this.clustered ? this.clusterPlacement() : await this.shardPlacement();
      const outcomes = commands.map((command) => this.planTopic(command, commands, place));
      const created = outcomes.filter((o, i) => o.topic && !commands[i].validateOnly).map((o) => o.topic!);
      if (created.length > 0) await this.commit(created.map((topic) => ({ kind: "upsert_topic", topic })));
      return outcomes;
    });
  }

  /** A node of one: partitions on its least-loaded shards. */
  private async shardPlacement(): Promise<Placement> {
    const load: ShardLoad = { partitions: this.table.partitionCountByShard(this.shardCount), bytes: await this.shards.shardBytes() };
    const capacity = () => this.props.topic_partitions_per_shard * this.shardCount - load.partitions.reduce((a, b) => a + b, 0);
    return {
      capacity,
      where: `on ${this.shardCount} shards`,
      maxReplicas: 1,
      place: (count, _rf, dryRun) => ({ shards: placePartitions(count, dryRun ? { partitions: [...load.partitions], bytes: load.bytes } : load) }),
    };
  }

  /** A cluster: each partition's replicas on the least-loaded nodes (on distinct racks with rack awareness) and shards. */
  private clusterPlacement(): Placement {
    const load = clusterLoad(this.table);
    return {
      capacity: () => replicaCapacity(load, this.props.topic_partitions_per_shard),
      where: `on the cluster's ${load.nodes.reduce((n, node) => n + node.shards.length, 0)} shards (counting every replica)`,
      maxReplicas: load.nodes.length,
      place: (count, rf, dryRun) => {
        const assignments = placeReplicas(count, rf, dryRun ? structuredClone(load) : load, this.props.enable_rack_awareness);
        return { shards: assignments.map((a) => a.replicas[0].shard), assignments };
      },
    };
  }

  private planTopic(command: CreateTopicCommand, batch: CreateTopicCommand[], placement: Placement): CreateTopicOutcome {
    const fail = (errorCode: number, errorMessage: string) => ({ name: command.name, errorCode, errorMessage, topic: null });
    const nameProblem = topicNameProblem(command.name);
    if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (batch.filter((c) => c.name === command.name).length > 1) return fail(ErrorCode.INVALID_REQUEST, `topic '${command.name}' is named twice in one request`);
    if (this.table.topic(command.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${command.name}' already exists`);
    const partitions = command.partitions === -1 ? this.props.default_topic_partitions : command.partitions;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > limits.partitionsPerTopicMax) {
      return fail(ErrorCode.INVALID_PARTITIONS, `partition count must be between 1 and ${limits.partitionsPerTopicMax}, got ${partitions}`);
    }
    const replicationFactor = command.replicationFactor === -1 ? Math.min(this.props.default_topic_replications, placement.maxReplicas) : command.replicationFactor;
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > placement.maxReplicas) {
      const nodes = placement.maxReplicas === 1 ? "on a single broker" : `with ${placement.maxReplicas} nodes`;
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be between 1 and ${placement.maxReplicas} ${nodes}, got ${replicationFactor}`);
    }
    const capacity = placement.capacity();
    if (partitions * replicationFactor > capacity) {
      return fail(ErrorCode.INVALID_PARTITIONS, `${partitions} partitions × ${replicationFactor} replicas would exceed topic_partitions_per_shard (${this.props.topic_partitions_per_shard}) ${placement.where}; room for ${capacity}`);
    }
    const configProblem = validateTopicConfigs(command.configs);
    if (configProblem) return fail(ErrorCode.INVALID_CONFIG, configProblem);
    const placed = placement.place(partitions, replicationFactor, command.validateOnly);
    const topic: TopicRecord = { name: command.name, id: crypto.randomUUID(), shards: placed.shards, configs: command.configs, ...(placed.assignments && { assignments: placed.assignments }) };
    return { name: command.name, errorCode: ErrorCode.NONE, errorMessage: null, topic };
  }

  /** Moves one partition to another shard while clients keep using it. */
  movePartition(topic: string, partition: number, to: number): Promise<MoveOutcome> {
    return this.serialized(async () => {
      if (this.clustered) return { ok: false, error: "in a cluster a replica changes core through the controller group (main.ts)" };
      const from = this.table.ownerOf(topic, partition);
      if (from === undefined) return { ok: false, error: `unknown partition ${topic}/${partition}` };
      if (!Number.isInteger(to) || to < 0 || to >= this.shardCount) return { ok: false, error: `shard must be 0..${this.shardCount - 1}, got ${to}` };
      if (from === to) return { ok: true, move: null };
      const move = { topic, partition, from, to };
      await this.applyMoves([move]);
      return { ok: true, move };
    });
  }

  /** Evens out partition counts across the running shards (POST /v1/partitions/rebalance_cores). */
  rebalanceCores(): Promise<PartitionMove[]> {
    return this.serialized(async () => {
      if (this.clustered) return []; // a cluster's core moves go through the controller group (main.ts)
      const moves = planCoreBalance(this.table, this.shardCount, await this.shards.shardBytes());
      await this.applyMoves(moves);
      return moves;
    });
  }

  /** Each move: the old owner lets go (flushing), then the new assignment reaches every shard. */
  private async applyMoves(moves: PartitionMove[]): Promise<void> {
    for (const move of moves) {
      await this.shards.release(move.from, move);
      const topic = this.table.topic(move.topic)!;
      const shards = topic.shards.map((shard, partition) => (partition === move.partition ? move.to : shard));
      await this.commit([{ kind: "upsert_topic", topic: { ...topic, shards } }]);
    }
  }

  private async balanceAtStart(): Promise<void> {
    const countChanged = this.table.shardCount !== this.shardCount;
    const moves = planCoreBalance(this.table, this.shardCount).filter(
      (m) => m.from >= this.shardCount || (countChanged && this.props.core_balancing_on_core_count_change),
    );
    const shardsByTopic = new Map<string, number[]>();
    for (const move of moves) {
      const shards = shardsByTopic.get(move.topic) ?? [...this.table.topic(move.topic)!.shards];
      shards[move.partition] = move.to;
      shardsByTopic.set(move.topic, shards);
    }
    const changes: MetadataChange[] = [...shardsByTopic].map(([name, shards]) => ({ kind: "upsert_topic", topic: { ...this.table.topic(name)!, shards } }));
    if (countChanged) changes.push({ kind: "shard_count", shardCount: this.shardCount });
    if (changes.length > 0) await this.record(changes);
  }

  private async commit(changes: MetadataChange[]): Promise<void> {
    if (this.replicator) return this.replicate({ version: this.table.version + 1, changes });
    await this.shards.publish(await this.record(changes));
  }

  private async record(changes: MetadataChange[]): Promise<MetadataUpdate> {
    const update: MetadataUpdate = { version: this.table.version + 1, changes };
    await this.log.append(update);
    this.table.apply(update);
    return update;
  }

  /** Proposes an update and resolves once this node has applied it (published to its shards). */
  private async replicate(update: MetadataUpdate): Promise<void> {
    const applied = new Promise<void>((resolve) => this.appliedWaiters.set(update.version, resolve));
    if (!(await this.replicator!.propose(update))) {
      this.appliedWaiters.delete(update.version);
      throw new NotControllerError("this node is not the controller leader");
    }
    await applied;
    // Proposals are serialized and planned against an applied table, so the version is ours.
    assert(this.table.version >= update.version, `controller update ${update.version} committed but not applied`);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/**
 * The controller: the single writer of cluster metadata. Runs on the main thread. Every change
 * is appended to the metadata log (durable) and published to every shard before it is answered.
 */
import { limits } from "../base/limits.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { MetadataLog } from "./metadata-log.ts";
import { MetadataTable, topicNameProblem, type MetadataChange, type MetadataUpdate, type TopicRecord } from "./metadata.ts";
import type { ClusterProperties } from "./properties.ts";
import { validateTopicConfigs } from "./topic-config.ts";

export interface CreateTopicCommand {
  name: string;
  partitions: number; // -1: the cluster default
  replicationFactor: number; // -1 or 1: skua is a single broker
  configs: Record<string, string>;
  validateOnly: boolean;
}

export interface CreateTopicOutcome {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  topic: TopicRecord | null;
}

export type Publish = (update: MetadataUpdate) => Promise<void>;

export class Controller {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly table: MetadataTable,
    private readonly log: MetadataLog,
    private readonly props: ClusterProperties,
    private readonly shardCount: number,
    private readonly publish: Publish,
  ) {}

  /** Restores metadata from the data dir; partitions of shards that no longer exist move to live ones. */
  static open(options: { dataDir: string; props: ClusterProperties; shardCount: number; publish: Publish; warn: (m: string) => void }): Controller {
    const { log, updates } = MetadataLog.open(options.dataDir, options.warn);
    const table = new MetadataTable();
    for (const update of updates) table.apply(update);
    const controller = new Controller(table, log, options.props, options.shardCount, options.publish);
    controller.moveOrphanedPartitions();
    return controller;
  }

  close(): void {
    this.log.close();
  }

  createTopics(commands: CreateTopicCommand[]): Promise<CreateTopicOutcome[]> {
    return this.serialized(async () => {
      const counts = this.table.partitionCountByShard(this.shardCount); // includes this request's earlier topics as they are placed
      const outcomes = commands.map((command) => this.planTopic(command, commands, counts));
      const created = outcomes.filter((o, i) => o.topic && !commands[i].validateOnly).map((o) => o.topic!);
      if (created.length > 0) await this.commit(created.map((topic) => ({ kind: "upsert_topic", topic })));
      return outcomes;
    });
  }

  private planTopic(command: CreateTopicCommand, batch: CreateTopicCommand[], counts: number[]): CreateTopicOutcome {
    const fail = (errorCode: number, errorMessage: string) => ({ name: command.name, errorCode, errorMessage, topic: null });
    const nameProblem = topicNameProblem(command.name);
    if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (batch.filter((c) => c.name === command.name).length > 1) return fail(ErrorCode.INVALID_REQUEST, `topic '${command.name}' is named twice in one request`);
    if (this.table.topic(command.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${command.name}' already exists`);
    const partitions = command.partitions === -1 ? this.props.default_topic_partitions : command.partitions;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > limits.partitionsPerTopicMax) {
      return fail(ErrorCode.INVALID_PARTITIONS, `partition count must be between 1 and ${limits.partitionsPerTopicMax}, got ${partitions}`);
    }
    if (command.replicationFactor !== -1 && command.replicationFactor !== 1) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be 1 on a single broker, got ${command.replicationFactor}`);
    }
    const configProblem = validateTopicConfigs(command.configs);
    if (configProblem) return fail(ErrorCode.INVALID_CONFIG, configProblem);
    const topic: TopicRecord = { name: command.name, id: crypto.randomUUID(), shards: command.validateOnly ? this.place(partitions, [...counts]) : this.place(partitions, counts), configs: command.configs };
    return { name: command.name, errorCode: ErrorCode.NONE, errorMessage: null, topic };
  }

  /** Each new partition goes to the shard with the fewest partitions (ties: lowest id). */
  private place(partitionCount: number, counts: number[]): number[] {
    const shards: number[] = [];
    for (let i = 0; i < partitionCount; i++) {
      const shard = counts.indexOf(Math.min(...counts));
      counts[shard]++;
      shards.push(shard);
    }
    return shards;
  }

  private moveOrphanedPartitions(): void {
    const counts = this.table.partitionCountByShard(this.shardCount);
    const changes: MetadataChange[] = [];
    for (const topic of this.table.topics()) {
      if (topic.shards.every((shard) => shard < this.shardCount)) continue;
      const shards = topic.shards.map((shard) => (shard < this.shardCount ? shard : this.place(1, counts)[0]));
      changes.push({ kind: "upsert_topic", topic: { ...topic, shards } });
    }
    if (changes.length > 0) this.record(changes);
  }

  private async commit(changes: MetadataChange[]): Promise<void> {
    await this.publish(this.record(changes));
  }

  private record(changes: MetadataChange[]): MetadataUpdate {
    const update: MetadataUpdate = { version: this.table.version + 1, changes };
    this.log.append(update);
    this.table.apply(update);
    return update;
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

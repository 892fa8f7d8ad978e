/**
 * Cluster metadata: topics, their partitions' owning shards and their configs.
 * The controller (main thread) is its only writer; every shard holds a copy, kept current by
 * ordered, versioned updates.
 */
import { assert } from "../base/assert.ts";
import { AclStore, type AclBinding } from "./acls.ts";
import type { UserRecord } from "./users.ts";

export interface TopicRecord {
  name: string;
  id: string; // UUID
  /** Owning shard of each partition, indexed by partition number. */
  shards: number[];
  configs: Record<string, string>;
}

export type MetadataChange =
  | { kind: "upsert_topic"; topic: TopicRecord }
  | { kind: "delete_topic"; name: string }
  /** The shard count the partitions were last balanced for. */
  | { kind: "shard_count"; shardCount: number }
  /** A SASL user with all its credentials (replacing what it had). */
  | { kind: "upsert_user"; user: UserRecord }
  | { kind: "delete_user"; name: string }
  /** ACL bindings added (one already there stays once) and removed (as DeleteAcls' filters matched them). */
  | { kind: "create_acls"; acls: AclBinding[] }
  | { kind: "delete_acls"; acls: AclBinding[] };

export interface MetadataUpdate {
  version: number;
  changes: MetadataChange[];
}

export interface MetadataSnapshot {
  version: number;
  shardCount: number;
  topics: TopicRecord[];
  users?: UserRecord[];
  acls?: AclBinding[];
}

export class MetadataTable {
  private readonly topicsByName = new Map<string, TopicRecord>();
  /** The same topics by id (Fetch v13+ names topics by id). */
  private readonly topicsById = new Map<string, TopicRecord>();
  private readonly usersByName = new Map<string, UserRecord>();
  readonly acls = new AclStore();
  version = 0;
  /** 0 until the first start records it. */
  shardCount = 0;

  static fromSnapshot(snapshot: MetadataSnapshot): MetadataTable {
    const table = new MetadataTable();
    for (const topic of snapshot.topics) table.put(topic);
    for (const user of snapshot.users ?? []) table.usersByName.set(user.name, user);
    for (const acl of snapshot.acls ?? []) table.acls.add(acl);
    table.version = snapshot.version;
    table.shardCount = snapshot.shardCount;
    return table;
  }

  snapshot(): MetadataSnapshot {
    return { version: this.version, shardCount: this.shardCount, topics: [...this.topicsByName.values()], users: [...this.usersByName.values()], acls: [...this.acls.all()] };
  }

  apply(update: MetadataUpdate): void {
    assert(update.version === this.version + 1, `metadata update ${update.version} after ${this.version}`);
    for (const change of update.changes) {
      if (change.kind === "upsert_topic") this.put(change.topic);
      else if (change.kind === "delete_topic") this.remove(change.name);
      else if (change.kind === "upsert_user") this.usersByName.set(change.user.name, change.user);
      else if (change.kind === "delete_user") this.usersByName.delete(change.name);
      else if (change.kind === "create_acls") for (const acl of change.acls) this.acls.add(acl);
      else if (change.kind === "delete_acls") for (const acl of change.acls) this.acls.remove(acl);
      else this.shardCount = change.shardCount;
    }
    this.version = update.version;
  }

  private put(topic: TopicRecord): void {
    this.remove(topic.name); // a topic re-created under its name has a new id: the old id stops resolving
    this.topicsByName.set(topic.name, topic);
    this.topicsById.set(topic.id, topic);
  }

  private remove(name: string): void {
    const old = this.topicsByName.get(name);
    if (!old) return;
    this.topicsByName.delete(name);
    this.topicsById.delete(old.id);
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

  get userCount(): number {
    return this.usersByName.size;
  }

  /** The owning shard, or undefined when the topic or partition does not exist. */
  ownerOf(topic: string, partition: number): number | undefined {
    return this.topicsByName.get(topic)?.shards[partition];
  }

  partitionCountByShard(shardCount: number): number[] {
    const counts = new Array<number>(shardCount).fill(0);
    for (const topic of this.topicsByName.values()) for (const shard of topic.shards) if (shard < shardCount) counts[shard]++;
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

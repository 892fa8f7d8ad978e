/**
 * The durable half of a shard's groups: one GroupLog per group-log partition this shard owns,
 * replayed at start into the groups' last generation and committed offsets, appended to on
 * every change, compacted when it grows well past its live state.
 */
import { join } from "node:path";
import { limits } from "../base/limits.ts";
import type { Disk } from "../io/disk.ts";
import { encodeRecords, GroupLog, type GroupRecord } from "./group-log.ts";
import { groupPartitionOf, partitionsOfShard } from "./partitioning.ts";

export interface RestoredOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestampMs: number;
}

export interface RestoredGroup {
  groupId: string;
  generationId: number;
  protocolType: string | null;
  offsets: Map<string, RestoredOffset>;
  /** Offsets committed inside transactions not yet ended, by producer id (TxnOffsetCommit). */
  pendingTxnOffsets: Map<number, Map<string, RestoredOffset>>;
}

export const offsetKey = (topic: string, partition: number) => `${topic}/${partition}`;

export class OffsetStore {
  private readonly logs = new Map<number, GroupLog>();
  private readonly compactAtBytes = new Map<number, number>();

  constructor(
    private readonly options: {
      disk: Disk;
      dataDir: string;
      shardId: number;
      shardCount: number;
      warn: (message: string) => void;
      onFsyncMs?: (ms: number) => void;
      /** The live records of one partition, for compaction. */
      liveRecords: (partition: number) => GroupRecord[];
    },
  ) {}

  /** Opens this shard's partitions and returns the groups they hold. */
  async load(): Promise<RestoredGroup[]> {
    const groups = new Map<string, RestoredGroup>();
    const { shardId, shardCount } = this.options;
    await Promise.all(
      partitionsOfShard(shardId, shardCount).map(async (partition) => {
        const dir = join(this.options.dataDir, "groups", String(partition));
        const { log, records } = await GroupLog.open({ disk: this.options.disk, dir, warn: this.options.warn, onFsyncMs: this.options.onFsyncMs });
        this.logs.set(partition, log);
        this.compactAtBytes.set(partition, limits.groupLogCompactBytes);
        for (const record of records) applyRecord(groups, record);
      }),
    );
    return [...groups.values()];
  }

  /** Appends a group's records; resolves once they are durable. */
  async append(groupId: string, records: GroupRecord[]): Promise<void> {
    const partition = groupPartitionOf(groupId);
    const log = this.logs.get(partition);
    if (!log) throw new Error(`group ${groupId} (partition ${partition}) is not on shard ${this.options.shardId}`);
    await log.append(records);
    if (log.bytes > this.compactAtBytes.get(partition)!) await this.compact(partition);
  }

  /** Rewrites a partition's log to its live state; the next compaction waits for it to double. */
  async compact(partition: number): Promise<void> {
    const log = this.logs.get(partition)!;
    await log.compact(() => this.options.liveRecords(partition));
    this.compactAtBytes.set(partition, Math.max(limits.groupLogCompactBytes, 2 * log.bytes));
  }

  /** Compacts every partition whose log is larger than its live state by more than `slackBytes` (at start). */
  async compactAll(slackBytes: number): Promise<void> {
    for (const [partition, log] of this.logs) {
      if (log.bytes > encodeRecords(this.options.liveRecords(partition)).length + slackBytes) await this.compact(partition);
    }
  }

  async close(): Promise<void> {
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map((log) => log.close()));
  }
}

/** Replays one record onto the restored state. */
export function applyRecord(groups: Map<string, RestoredGroup>, record: GroupRecord): void {
  if (record.k === "gd") {
    groups.delete(record.g);
    return;
  }
  let group = groups.get(record.g);
  if (!group) groups.set(record.g, (group = { groupId: record.g, generationId: 0, protocolType: null, offsets: new Map(), pendingTxnOffsets: new Map() }));
  if (record.k === "g") {
    group.generationId = record.gen;
    group.protocolType = record.pt;
  } else if (record.k === "o") {
    group.offsets.set(offsetKey(record.t, record.p), { topic: record.t, partition: record.p, offset: record.o, leaderEpoch: record.e, metadata: record.m, commitTimestampMs: record.ts });
  } else if (record.k === "to") {
    let pending = group.pendingTxnOffsets.get(record.pid);
    if (!pending) group.pendingTxnOffsets.set(record.pid, (pending = new Map()));
    pending.set(offsetKey(record.t, record.p), { topic: record.t, partition: record.p, offset: record.o, leaderEpoch: record.e, metadata: record.m, commitTimestampMs: record.ts });
  } else if (record.k === "tc") {
    const pending = group.pendingTxnOffsets.get(record.pid);
    group.pendingTxnOffsets.delete(record.pid);
    if (record.c && pending) for (const [key, offset] of pending) group.offsets.set(key, offset);
  } else {
    group.offsets.delete(offsetKey(record.t, record.p));
  }
}

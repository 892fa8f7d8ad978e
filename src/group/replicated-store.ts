/**
 * The durable side of a cluster node's groups: each group-log partition p is partition p of the
 * replicated internal topic `__consumer_offsets`, and this node serves the groups of p only while
 * its replica of p leads. Leading starts with a replay of p's committed log into its groups
 * (COORDINATOR_LOAD_IN_PROGRESS meanwhile) and ends with them dropped from memory. Appending is
 * proposing one record batch (the JSON records as record values) that resolves once committed.
 * Replication lives behind `GroupLogReplicas`, which the shard injects: group/ knows nothing of Raft.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { type GroupRecord, groupRecordFormat } from "./group-log.ts";
import { applyRecord, type RestoredGroup } from "./offset-store.ts";
import { groupPartitionOf } from "./partitioning.ts";

/** The internal topic holding the groups of a cluster (Kafka's name). */
export const GROUP_TOPIC = "__consumer_offsets";

/** What the groups need of this shard's replicas of `__consumer_offsets` (built in replication/, injected by the shard). */
export interface GroupLogReplicas {
  /**
   * Calls `listener(p, true)` when this shard's replica of partition p leads and has committed an
   * entry of its term (its whole log is then committed), `listener(p, false)` when it stops leading.
   */
  onLeadership(listener: (partition: number, leading: boolean) => void): void;
  /**
   * True while this shard's replica of partition p was elected but has not committed an entry of
   * its term: other nodes already name this node as p's leader, so its coordinator is loading, not elsewhere.
   */
  electedNotReady(partition: number): boolean;
  /** Proposes the values as one batch; resolves once committed, rejects when not committed (leadership lost). */
  append(partition: number, values: Uint8Array[]): Promise<void>;
  /** Every committed record value of partition p, in log order. */
  readCommitted(partition: number): Promise<Uint8Array[]>;
}

type PartitionState = { kind: "loading"; epoch: number } | { kind: "leading"; epoch: number };

/**
 * What a coordinator over an internal topic's replicas answers for partition p (the group and the
 * transaction coordinators alike): null while it serves p; COORDINATOR_LOAD_IN_PROGRESS while it
 * loads p or its replica was elected but is not ready yet (other nodes already name it); else NOT_COORDINATOR.
 */
export function servingRefusal(state: { kind: "loading" | "leading" } | undefined, replicas: GroupLogReplicas, partition: number): number | null {
  if (state === undefined) return replicas.electedNotReady(partition) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  return state.kind === "loading" ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : null;
}

export interface ReplicatedStoreOptions {
  replicas: GroupLogReplicas;
  log: Logger;
  /** A partition is served: its groups, replayed from its committed log. */
  onLoaded: (partition: number, groups: RestoredGroup[]) => Promise<void>;
  /** A partition is no longer led here: forget its groups. */
  onUnloaded: (partition: number) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ReplicatedGroupStore {
  private readonly partitions = new Map<number, PartitionState>();
  private epochs = 0;

  constructor(private readonly o: ReplicatedStoreOptions) {
    o.replicas.onLeadership((partition, leading) => (leading ? void this.load(partition) : this.unload(partition)));
  }

  /** null when this shard serves the group now, else the error its requests get. */
  refusal(groupId: string): number | null {
    const partition = groupPartitionOf(groupId);
    return servingRefusal(this.partitions.get(partition), this.o.replicas, partition);
  }

  /** Appends a group's records (also while loading: dropping offsets of deleted topics); resolves once committed by a majority of the partition's replicas. */
  async append(groupId: string, records: GroupRecord[]): Promise<void> {
    if (records.length === 0) return;
    const partition = groupPartitionOf(groupId);
    const state = this.partitions.get(partition);
    if (state === undefined) throw new Error(`group ${groupId}: partition ${partition} of ${GROUP_TOPIC} is not led here`);
    await this.o.replicas.append(partition, records.map((r) => encoder.encode(JSON.stringify(r))));
    // Committed, but this node stopped leading meanwhile: the new leader replays it; memory here is gone.
    if (this.partitions.get(partition)?.epoch !== state.epoch) throw new Error(`group ${groupId}: lost the leadership of partition ${partition} meanwhile`);
  }

  private async load(partition: number): Promise<void> {
    const state: PartitionState = { kind: "loading", epoch: ++this.epochs };
    this.partitions.set(partition, state);
    try {
      const values = await this.o.replicas.readCommitted(partition);
      if (this.partitions.get(partition) !== state) return;
      const groups = new Map<string, RestoredGroup>();
      let skipped = 0;
      for (const value of values) {
        const record = parseRecord(value);
        if (record) applyRecord(groups, record);
        else skipped++;
      }
      if (skipped > 0) this.o.log.warn("skipped records that are no group records", { topic: GROUP_TOPIC, partition, skipped });
      await this.o.onLoaded(partition, [...groups.values()]);
      if (this.partitions.get(partition) !== state) return;
      this.partitions.set(partition, { kind: "leading", epoch: state.epoch });
      this.o.log.info("groups loaded", { topic: GROUP_TOPIC, partition, groups: groups.size });
    } catch (error) {
      rethrowIfBroken(error);
      // Not loaded (the replica stopped leading or failed while reading): it serves nothing; a new leadership reloads.
      if (this.partitions.get(partition) === state) this.partitions.delete(partition);
      this.o.onUnloaded(partition);
      this.o.log.warn("could not load groups", { topic: GROUP_TOPIC, partition, error: String(error) });
    }
  }

  private unload(partition: number): void {
    if (!this.partitions.delete(partition)) return;
    this.o.onUnloaded(partition);
    this.o.log.info("groups unloaded: no longer the leader", { topic: GROUP_TOPIC, partition });
  }
}

function parseRecord(value: Uint8Array): GroupRecord | null {
  try {
    return groupRecordFormat.parse(JSON.parse(decoder.decode(value)));
  } catch {
    return null;
  }
}

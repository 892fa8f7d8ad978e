/**
 * The replicated partitions one shard holds: for every partition whose assignment names a
 * replica {node: this node, shard: this shard}, its Raft group (opened, registered with the
 * shard's Raft network, started), closed once no longer assigned here. Serves the partition ops
 * of those partitions (kafka/ops.ts), like LocalPartitions does for a node without RPC.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Servers } from "../base/calls.ts";
import { assignedReplicas, type MetadataTable, type PartitionAssignment } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import { effectiveTopicConfig } from "../cluster/topic-config.ts";
import type { EpochAnswer, EpochQuery, OffsetAnswer, OffsetQuery, OpRequest, OpResponse, PartitionOps, PartitionRef, ProduceItem, ProduceResult, ReadItem, ReadResult, ReplicaOps, WatchItem } from "../kafka/ops.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { RaftNetwork } from "./raft-network.ts";
import { partitionDir, ReplicatedPartition, type ReplicaDetails, type ReplicaEnv } from "./replicated-partition.ts";

const NO_RECORDS = new Uint8Array(0);
/** Opening a replica holds its log and Raft state files open at once: 10,000 new partitions opened together pass the fd limit. */
const OPENS_IN_PARALLEL_MAX = 64;
/** A replica let go for another shard waits this long at most for its leadership transfer, looking this often. */
const HANDOFF_WAIT_MAX_MS = 3000;
const HANDOFF_POLL_MS = 10;
const key = (ref: PartitionRef) => `${ref.topic}/${ref.partition}`;

/** Follower fetching (KIP-392), for the metrics: reads a follower here served, their bytes, and leader answers naming another replica. */
export interface FollowerReadCounts {
  followerReads: number;
  followerReadBytes: number;
  redirects: number;
}

export interface ReplicatedPartitionsOptions extends Omit<ReplicaEnv, "transport"> {
  shardId: number;
  props: ClusterProperties;
  network: RaftNetwork;
}

interface Wanted {
  ref: PartitionRef;
  assignment: PartitionAssignment;
  configs: Record<string, string>;
}

export class ReplicatedPartitions {
  private readonly replicas = new Map<string, ReplicatedPartition>();
  private readonly unregister = new Map<ReplicatedPartition, () => void>();
  private readonly groups = new Map<number, ReplicatedPartition>();
  private readonly watches = new Map<string, (woken: boolean) => void>();
  /** Replicas let go for another shard of this node (`release`): not reopened here while still assigned here. */
  private readonly released = new Set<string>();
  /** The replicas here whose partition has a move in progress, with its assignment (as of the last sync). */
  private movingNow: Array<{ replica: ReplicatedPartition; assignment: PartitionAssignment }> = [];
  private readonly env: ReplicaEnv;
  private cancelHousekeeping: () => void = () => {};
  readonly readCounts: FollowerReadCounts = { followerReads: 0, followerReadBytes: 0, redirects: 0 };

  constructor(private readonly o: ReplicatedPartitionsOptions) {
    this.env = { ...o, transport: o.network.transport };
  }

  readonly servers: Servers<PartitionOps & ReplicaOps> = {
    produce: (request) => Promise.all(request.items.map((item) => this.produce(item))),
    read: (request) => Promise.all(request.items.map((item) => this.read(item))),
    listOffsets: (request) => Promise.all(request.items.map((item) => this.listOffset(item))),
    deleteRecords: async (request) => request.items.map(() => ({ errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1 })),
    sizes: async (request) => request.items.map((item) => {
      const replica = this.replicas.get(key(item));
      return replica ? { errorCode: ErrorCode.NONE, sizeBytes: replica.sizeBytes } : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, sizeBytes: -1 };
    }),
    watch: (request) => this.watch(request.watchId, request.items, request.waitMs),
    unwatch: async (request) => {
      this.watches.get(request.watchId)?.(false);
      return null;
    },
    epochEnds: async (request) => request.items.map((item) => this.epochEnd(item)),
    transferLeader: (request) => this.transferLeader(request),
    writeTxnMarkers: (request) => Promise.all(request.items.map((item) => this.writeMarker(item))),
    describeProducers: async (request) => request.items.map((item) => this.replicas.get(key(item))?.describeProducers() ?? { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, activeProducers: [] }),
  };

  /** A transfer from the replica leading here; one not leading: NOT_LEADER_OR_FOLLOWER, a refused one: PREFERRED_LEADER_NOT_AVAILABLE. */
  private async transferLeader(request: { topic: string; partition: number; to: number }): Promise<{ errorCode: number; errorMessage: string | null }> {
    const replica = this.replicas.get(key(request));
    if (!replica?.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: "this replica does not lead the partition" };
    const result = await replica.transferLeadership(request.to);
    return result.ok ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: `transfer refused: ${result.error}` };
  }

  replica(ref: PartitionRef): ReplicatedPartition | undefined {
    return this.replicas.get(key(ref));
  }

  all(): IterableIterator<ReplicatedPartition> {
    return this.replicas.values();
  }

  byGroup(group: number): ReplicatedPartition | undefined {
    return this.groups.get(group);
  }

  /** Opens the groups now assigned to this shard and closes those no longer assigned (or re-created under a new group). */
  async sync(table: MetadataTable): Promise<void> {
    const wanted = new Map<string, Wanted>();
    for (const topic of table.topics()) {
      topic.assignments?.forEach((assignment, partition) => {
        // During a move: the replicas it moves from and to (and a cancelled move's additions).
        if (assignedReplicas(assignment).some((r) => r.node === this.o.nodeId && r.shard === this.o.shardId)) {
          wanted.set(key({ topic: topic.name, partition }), { ref: { topic: topic.name, partition }, assignment, configs: topic.configs });
        }
      });
    }
    for (const k of this.released) if (!wanted.has(k)) this.released.delete(k);
    for (const [k, replica] of [...this.replicas]) {
      if (wanted.get(k)?.assignment.group === replica.groupId) continue;
      await this.close(k, replica);
      // Still the same group, not on this node any more: a finished move took it away; its data goes.
      const now = table.assignment(replica.ref.topic, replica.ref.partition);
      if (now?.group === replica.groupId && !assignedReplicas(now).some((r) => r.node === this.o.nodeId)) await this.removeData(replica);
    }
    const toOpen = [...wanted].filter(([k]) => !this.replicas.has(k) && !this.released.has(k));
    for (let at = 0; at < toOpen.length; at += OPENS_IN_PARALLEL_MAX) {
      await Promise.all(toOpen.slice(at, at + OPENS_IN_PARALLEL_MAX).map(([k, w]) => this.open(k, w)));
    }
    for (const [k, w] of wanted) this.replicas.get(k)?.reconfigure(effectiveTopicConfig(this.o.props, w.configs));
    this.movingNow = [...wanted].filter(([k, w]) => w.assignment.target && this.replicas.has(k)).map(([k, w]) => ({ replica: this.replicas.get(k)!, assignment: w.assignment }));
  }

  /**
   * First half of moving a replica to another shard of this node (the data stays where it is, in
   * the node's data dir): a leader hands its leadership to the voter furthest along (refused: the
   * others elect one after the close), then the group closes. The shard the new assignment names
   * opens it from the same files once the metadata update reaches it.
   */
  async release(ref: PartitionRef): Promise<void> {
    const k = key(ref);
    const replica = this.replicas.get(k);
    if (!replica) return;
    this.released.add(k);
    const successor = replica.isLeader ? furthestPeer(replica.details()) : null;
    if (successor !== null && (await replica.transferLeadership(successor)).ok) {
      // The transfer is under way once started; the group closes once it has happened (or its election timeout passed).
      const deadline = this.o.clock.nowMs() + HANDOFF_WAIT_MAX_MS;
      while (replica.isLeader && this.o.clock.nowMs() < deadline) await new Promise<void>((resolve) => this.o.timers.after(HANDOFF_POLL_MS, resolve));
    }
    await this.close(k, replica);
  }

  /** The replicas here whose partition is being moved. */
  moving(): Iterable<{ replica: ReplicatedPartition; assignment: PartitionAssignment }> {
    return this.movingNow;
  }

  private async removeData(replica: ReplicatedPartition): Promise<void> {
    const dir = partitionDir(this.o.dataDir, replica.ref);
    this.o.log.info("removing a replica moved off this node", { partition: key(replica.ref), dir });
    await this.o.disk.remove(dir).catch((error: unknown) => {
      rethrowIfBroken(error);
      this.o.log.warn("could not remove a moved replica's data", { partition: key(replica.ref), error: String(error) });
    });
  }

  private async open(k: string, w: Wanted): Promise<void> {
    const replica = await ReplicatedPartition.open(this.env, w.ref, w.assignment, effectiveTopicConfig(this.o.props, w.configs));
    this.replicas.set(k, replica);
    this.groups.set(replica.groupId, replica);
    this.unregister.set(replica, this.o.network.registerGroup(w.assignment.group, replica.group));
    replica.group.start();
  }

  private async close(k: string, replica: ReplicatedPartition): Promise<void> {
    this.replicas.delete(k);
    if (this.groups.get(replica.groupId) === replica) this.groups.delete(replica.groupId);
    this.unregister.get(replica)?.();
    this.unregister.delete(replica);
    await replica.close().catch((error: unknown) => {
      rethrowIfBroken(error);
      this.o.log.warn("could not close a replicated partition cleanly", { partition: k, error: String(error) });
    });
  }

  /** Retention, then compaction, on every replica here, at the pace of log_compaction_interval_ms (as the single-node housekeeping). */
  startHousekeeping(): void {
    const run = async () => {
      for (const [k, replica] of [...this.replicas]) {
        if (this.replicas.get(k) !== replica) continue; // closed while an earlier one ran
        const deleted = await replica.enforceRetention(this.o.clock.nowMs()).catch((error: unknown) => {
          rethrowIfBroken(error);
          // A group stopped meanwhile (closed, failed) abandons its truncation: nothing to report.
          if (this.replicas.get(k) === replica && typeof error !== "symbol") this.o.log.error("retention failed", { partition: k, error: String(error) });
          return false;
        });
        if (deleted) this.o.log.info("retention moved the log start", { partition: k, logStartOffset: replica.logStartOffset });
        if (this.replicas.get(k) === replica) await replica.compact(this.o.clock.nowMs(), this.o.props.storage_compaction_key_map_memory);
      }
      this.cancelHousekeeping = this.o.timers.after(this.o.props.log_compaction_interval_ms, () => void run());
    };
    this.cancelHousekeeping = this.o.timers.after(this.o.props.log_compaction_interval_ms, () => void run());
  }

  async closeAll(): Promise<void> {
    this.cancelHousekeeping();
    this.movingNow = [];
    await Promise.all([...this.replicas].map(([k, replica]) => this.close(k, replica)));
  }

  private produce(item: ProduceItem): Promise<ProduceResult> {
    const replica = this.replicas.get(key(item));
    if (!replica) return Promise.resolve({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: "no replica of the partition on this shard", baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 });
    return replica.produce(item);
  }

  private async writeMarker(item: OpRequest<"writeTxnMarkers">["items"][number]): Promise<{ errorCode: number }> {
    const replica = this.replicas.get(key(item));
    if (!replica) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const marker = { producerId: item.producerId, producerEpoch: item.producerEpoch, commit: item.commit, coordinatorEpoch: item.coordinatorEpoch };
    try {
      return { errorCode: await replica.writeMarker(marker) };
    } catch (error) {
      rethrowIfBroken(error);
      this.o.log.error("transaction marker append failed", { partition: key(item), error: String(error) });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    }
  }

  private read(item: ReadItem): Promise<ReadResult> {
    const replica = this.replicas.get(key(item));
    if (!replica) return Promise.resolve({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: NO_RECORDS, abortedTransactions: null });
    const asFollower = !replica.isLeader;
    return replica.read(item).then((result) => {
      this.countRead(result, asFollower);
      return result;
    }, (error: unknown) => {
      rethrowIfBroken(error);
      this.o.log.error("read failed", { partition: key(item), error: String(error) });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, highWatermark: replica.highWatermark, lastStableOffset: -1, logStartOffset: replica.logStartOffset, records: NO_RECORDS, abortedTransactions: null };
    });
  }

  private countRead(result: ReadResult, asFollower: boolean): void {
    if ((result.preferredReadReplica ?? -1) >= 0) this.readCounts.redirects++;
    if (!asFollower || result.errorCode !== ErrorCode.NONE) return;
    this.readCounts.followerReads++;
    this.readCounts.followerReadBytes += result.records.length;
  }

  private listOffset(item: OffsetQuery): Promise<OffsetAnswer> {
    const replica = this.replicas.get(key(item));
    if (!replica) return Promise.resolve({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, offset: -1, timestampMs: -1 });
    return replica.listOffset(item).catch((error: unknown) => {
      rethrowIfBroken(error);
      this.o.log.error("offset lookup failed", { partition: key(item), error: String(error) });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, offset: -1, timestampMs: -1 };
    });
  }

  private epochEnd(item: EpochQuery): EpochAnswer {
    const replica = this.replicas.get(key(item));
    if (!replica) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderEpoch: -1, endOffset: -1 };
    return replica.epochEnd(item);
  }

  /** As LocalPartitions.watch: answers once a watched partition changed (commit, start, leadership, gone), or after waitMs. */
  watch(watchId: string, items: WatchItem[], waitMs: number): Promise<{ woken: boolean }> {
    if (items.some((item) => this.changedSince(item))) return Promise.resolve({ woken: true });
    return new Promise((resolve) => {
      const cancels: Array<() => void> = [];
      const done = (woken: boolean) => {
        if (!this.watches.has(watchId)) return;
        this.watches.delete(watchId);
        cancelTimer();
        for (const cancel of cancels) cancel();
        resolve({ woken });
      };
      const cancelTimer = this.o.timers.after(waitMs, () => done(false));
      this.watches.set(watchId, done);
      for (const item of items) {
        const replica = this.replicas.get(key(item));
        if (replica) cancels.push(replica.onChange(() => done(true)));
      }
    });
  }

  private changedSince(item: WatchItem): boolean {
    const replica = this.replicas.get(key(item));
    return !replica || !replica.servesReads(item.clientRack) || replica.highWatermark > item.highWatermark || replica.logStartOffset !== item.logStartOffset;
  }
}

/** The voter (not this replica) whose log matches the leader's furthest; null when there is none. */
function furthestPeer(details: ReplicaDetails): number | null {
  let best: { node: number; matchIndex: number } | null = null;
  for (const p of details.peers) if (details.voters.includes(p.node) && (best === null || p.matchIndex > best.matchIndex)) best = p;
  return best?.node ?? null;
}

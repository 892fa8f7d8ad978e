/**
 * A shard's group coordinator: the groups whose group-log partition this shard owns (on one
 * node: by hash; in a cluster: those whose `__consumer_offsets` partition leads on this shard,
 * see replicated-store.ts), their timers, their durable state. Runs on that shard's thread only;
 * every group request reaches it as a typed op (see types.ts), routed by kafka/group-routing.ts.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Servers } from "../base/calls.ts";
import type { Clock } from "../base/clock.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import { limits } from "../base/limits.ts";
import type { Logger } from "../base/log.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import type { Disk } from "../io/disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { Group, joinError, syncError } from "./group.ts";
import type { GroupRecord } from "./group-log.ts";
import { OffsetStore, offsetKey, type RestoredGroup } from "./offset-store.ts";
import { groupPartitionOf } from "./partitioning.ts";
import { type GroupLogReplicas, ReplicatedGroupStore } from "./replicated-store.ts";
import { subscribedTopics } from "./subscription.ts";
import type {
  CommitArgs, CommitPartition, DescribedGroupInfo, FetchOffsetsArgs, FetchOffsetsResult, GroupOpName, GroupOps, HeartbeatArgs, JoinArgs, JoinResult,
  LeaveArgs, LeaveResult, ListedGroupInfo, OffsetDeleteArgs, OffsetDeleteResult, SyncArgs, SyncResult, TxnCommitArgs, TxnCompleteArgs,
} from "./types.ts";

export interface CoordinatorOptions {
  shardId: number;
  shardCount: number;
  dataDir: string;
  disk: Disk;
  props: ClusterProperties;
  clock: Clock;
  timers: Timers;
  log: Logger;
  metadata: () => MetadataTable;
  onFsyncMs?: (ms: number) => void;
  /**
   * In a cluster: this shard's replicas of `__consumer_offsets`, which then hold the groups (served
   * while their partition leads here). Without it the groups are in local group logs (a node of one).
   */
  replicas?: GroupLogReplicas;
}

/** A log bigger than its live state by this much is compacted at start. */
const COMPACT_AT_START_SLACK_BYTES = 1024 * 1024;
/** setTimeout's largest delay (what the system timers run on); a longer one fires at once. */
const TIMER_MS_MAX = 2 ** 31 - 1;

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly timers = new Map<string, { atMs: number; cancel: CancelTimer }>();
  /** Where appends go: the local group logs, or (in a cluster) the replicated partitions. */
  private readonly store: { append(groupId: string, records: GroupRecord[]): Promise<void> };
  /** A node of one: its local group logs. */
  private readonly localStore: OffsetStore | null = null;
  /** A cluster node: which partitions are served here. */
  private readonly replicated: ReplicatedGroupStore | null = null;
  /** What a request gets when its write failed: in a cluster the leadership was likely lost, so the client re-finds the coordinator. */
  private readonly writeFailureCode: number;
  private cancelRetention: CancelTimer | null = null;
  /** Ops from other shards can arrive before this shard has loaded its groups: they wait for it. */
  private readonly loaded: Promise<void>;
  private markLoaded!: () => void;

  constructor(private readonly options: CoordinatorOptions) {
    this.loaded = new Promise((resolve) => (this.markLoaded = resolve));
    this.writeFailureCode = options.replicas ? ErrorCode.NOT_COORDINATOR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (options.replicas) {
      this.store = this.replicated = new ReplicatedGroupStore({
        replicas: options.replicas,
        log: options.log,
        onLoaded: (_partition, groups) => this.whenLoaded(() => this.loadPartition(groups)),
        onUnloaded: (partition) => this.unloadPartition(partition),
      });
      return;
    }
    this.store = this.localStore = new OffsetStore({
      disk: options.disk,
      dataDir: options.dataDir,
      shardId: options.shardId,
      shardCount: options.shardCount,
      warn: (message) => options.log.warn(message),
      onFsyncMs: options.onFsyncMs,
      liveRecords: (partition) => this.liveRecords(partition),
    });
  }

  /** Restores this shard's groups, drops offsets of topics that no longer exist, starts offset expiry. */
  async start(): Promise<void> {
    if (this.localStore) {
      for (const restored of await this.localStore.load()) this.restore(restored);
      await this.localStore.compactAll(COMPACT_AT_START_SLACK_BYTES);
      await this.dropGoneTopics(this.groups.values());
    }
    this.scheduleRetention();
    this.options.log.info("groups loaded", { groups: this.groups.size });
    this.markLoaded();
  }

  /** Drops the offsets of topics no longer in the metadata from these groups. */
  private async dropGoneTopics(groups: Iterable<Group>): Promise<void> {
    const table = this.options.metadata();
    const gone = new Set<string>();
    for (const group of groups) for (const o of group.offsets.values()) if (!table.topic(o.topic)) gone.add(o.topic);
    for (const topic of gone) await this.dropTopic(topic);
  }

  /** In a cluster: a partition of `__consumer_offsets` now leads here; its groups, replayed, are served. */
  private async loadPartition(restoredGroups: RestoredGroup[]): Promise<void> {
    for (const restored of restoredGroups) this.restore(restored);
    await this.dropGoneTopics(restoredGroups.map((r) => this.groups.get(r.groupId)!).filter((g) => g !== undefined));
  }

  /** In a cluster: a partition no longer leads here; its groups leave memory (their members get NOT_COORDINATOR and re-find it). */
  private unloadPartition(partition: number): void {
    for (const group of [...this.groups.values()]) if (groupPartitionOf(group.groupId) === partition) this.forget(group, ErrorCode.NOT_COORDINATOR);
  }

  /** Offset expiry every group_offset_retention_check_ms. */
  private scheduleRetention(): void {
    const checkMs = Math.min(this.options.props.group_offset_retention_check_ms, TIMER_MS_MAX);
    this.cancelRetention = this.options.timers.after(checkMs, () => {
      this.scheduleRetention();
      void this.expireOffsets().catch((e) => {
        rethrowIfBroken(e);
        this.options.log.error("offset expiry failed", { error: String(e) });
      });
    });
  }

  private restore(restored: RestoredGroup): void {
    const group = this.newGroup(restored.groupId);
    group.generationId = restored.generationId;
    group.protocolType = restored.protocolType;
    for (const [key, offset] of restored.offsets) group.offsets.set(key, offset);
    for (const [producerId, pending] of restored.pendingTxnOffsets) group.pendingTxnOffsets.set(producerId, new Map(pending));
    this.groups.set(group.groupId, group);
  }

  async stop(): Promise<void> {
    this.cancelRetention?.();
    for (const { cancel } of this.timers.values()) cancel();
    this.timers.clear();
    for (const group of this.groups.values()) group.markDead();
    await this.localStore?.close();
  }

  /** One server per group op (the compiler checks none is missing); each waits until this shard's groups are loaded. */
  readonly servers: Servers<GroupOps> = {
    groupJoin: (request) => this.whenLoaded(() => this.servedOr(request.groupId, (code) => joinError(code, request.memberId), () => this.join(request))),
    groupSync: (request) => this.whenLoaded(() => this.servedOr(request.groupId, syncError, () => this.sync(request))),
    groupHeartbeat: (request) => this.whenLoaded(async () => ({ errorCode: await this.servedOr(request.groupId, (code) => code, () => this.heartbeat(request)) })),
    groupLeave: (request) => this.whenLoaded(() => this.servedOr(request.groupId, (errorCode) => ({ errorCode, members: [] }), () => this.leave(request))),
    groupCommit: (request) =>
      this.whenLoaded(async () => ({ errorCodes: await this.servedOr(request.groupId, (code) => request.partitions.map(() => code), () => this.commit(request)) })),
    groupFetchOffsets: (request) =>
      this.whenLoaded(() => Promise.all(request.groups.map((g) => this.servedOr(g.groupId, (errorCode) => refusedOffsets(g, errorCode), () => this.fetchOffsets(g))))),
    groupList: (request) => this.whenLoaded(() => this.list(request.states)),
    groupDescribe: (request) =>
      this.whenLoaded(() => Promise.all(request.groupIds.map((id) => this.servedOr(id, (errorCode) => ({ ...this.describe(""), errorCode, groupId: id }), () => this.describe(id))))),
    groupDelete: (request) => this.whenLoaded(() => Promise.all(request.groupIds.map((id) => this.servedOr(id, (code) => code, () => this.deleteGroup(id))))),
    groupOffsetDelete: (request) =>
      this.whenLoaded(() => this.servedOr(request.groupId, (errorCode) => ({ errorCode, partitionErrors: request.partitions.map(() => ErrorCode.NONE) }), () => this.deleteOffsets(request))),
    groupTxnCommit: (request) =>
      this.whenLoaded(async () => ({ errorCodes: await this.servedOr(request.groupId, (code) => request.partitions.map(() => code), () => this.txnCommit(request)) })),
    groupTxnComplete: (request) => this.whenLoaded(async () => ({ errorCode: await this.servedOr(request.groupId, (code) => code, () => this.txnComplete(request)) })),
  };

  /**
   * In a cluster, a group is served only while its partition of `__consumer_offsets` leads here
   * and is loaded: else `refused` answers NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. An
   * empty group id goes on to `work`, which answers INVALID_GROUP_ID.
   */
  private servedOr<T>(groupId: string, refused: (errorCode: number) => T, work: () => T | Promise<T>): T | Promise<T> {
    const refusal = groupId === "" ? null : (this.replicated?.refusal(groupId) ?? null);
    return refusal === null ? work() : refused(refusal);
  }

  private async whenLoaded<T>(work: () => T | Promise<T>): Promise<T> {
    await this.loaded;
    return work();
  }

  join(args: JoinArgs): Promise<JoinResult> {
    const problem = joinProblem(args, this.options.props);
    if (problem !== ErrorCode.NONE) return Promise.resolve(joinError(problem, args.memberId));
    let group = this.groups.get(args.groupId);
    if (!group) {
      if (args.memberId !== "") return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, args.memberId));
      group = this.newGroup(args.groupId);
      this.groups.set(args.groupId, group);
    }
    const joined = group.join(args);
    this.schedule(group);
    return joined;
  }

  sync(args: SyncArgs): Promise<SyncResult> {
    const oversized = args.assignments.length > limits.groupMembersMax || args.assignments.some((a) => a.assignment.length > limits.groupAssignmentBytesMax);
    if (args.groupId === "") return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    if (oversized) return Promise.resolve(syncError(ErrorCode.INVALID_REQUEST));
    const group = this.groups.get(args.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const synced = group.sync(args);
    this.schedule(group);
    return synced;
  }

  heartbeat(args: HeartbeatArgs): number {
    if (args.groupId === "") return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(args.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    const errorCode = group.heartbeat(args);
    this.schedule(group);
    return errorCode;
  }

  leave(args: LeaveArgs): LeaveResult {
    if (args.groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(args.groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: args.members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    const result = group.leave(args.members);
    this.schedule(group);
    return result;
  }

  /** One error code per partition, in request order; answered once the offsets are durable. */
  async commit(args: CommitArgs): Promise<number[]> {
    if (args.groupId === "") return args.partitions.map(() => ErrorCode.INVALID_GROUP_ID);
    const codes = args.partitions.map((p) => this.partitionProblem(p.topic, p.partition, p.metadata));
    let group = this.groups.get(args.groupId);
    if (!group && args.generationId < 0) this.groups.set(args.groupId, (group = this.newGroup(args.groupId)));
    const groupCode = group ? group.checkCommit(args.memberId, args.groupInstanceId, args.generationId) : args.missingGroupErrorCode;
    if (group) this.schedule(group);
    if (groupCode !== ErrorCode.NONE) return codes.map((c) => (c === ErrorCode.NONE ? groupCode : c));
    const nowMs = this.options.clock.nowMs();
    const accepted = args.partitions.filter((_, i) => codes[i] === ErrorCode.NONE);
    const timeOf = (p: CommitPartition) => (p.commitTimestampMs === undefined || p.commitTimestampMs === -1 ? nowMs : p.commitTimestampMs);
    const records: GroupRecord[] = accepted.map((p) => ({ k: "o", g: args.groupId, t: p.topic, p: p.partition, o: p.offset, e: p.leaderEpoch, m: p.metadata, ts: timeOf(p) }));
    try {
      await this.store.append(args.groupId, records);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("offset commit write failed", { group: args.groupId, error: String(error) });
      return codes.map((c) => (c === ErrorCode.NONE ? this.writeFailureCode : c));
    }
    for (const p of accepted) {
      group!.offsets.set(offsetKey(p.topic, p.partition), { topic: p.topic, partition: p.partition, offset: p.offset, leaderEpoch: p.leaderEpoch, metadata: p.metadata, commitTimestampMs: timeOf(p) });
    }
    return codes;
  }

  /**
   * TxnOffsetCommit: offsets written durably but held pending under the producer id, invisible to
   * OffsetFetch until the transaction's coordinator reports a commit (`txnComplete`).
   */
  async txnCommit(args: TxnCommitArgs): Promise<number[]> {
    if (args.groupId === "") return args.partitions.map(() => ErrorCode.INVALID_GROUP_ID);
    const codes = args.partitions.map((p) => this.partitionProblem(p.topic, p.partition, p.metadata));
    let group = this.groups.get(args.groupId);
    if (!group) this.groups.set(args.groupId, (group = this.newGroup(args.groupId)));
    const groupCode = group.checkTxnCommit(args.memberId, args.groupInstanceId, args.generationId);
    this.schedule(group);
    if (groupCode !== ErrorCode.NONE) return codes.map((c) => (c === ErrorCode.NONE ? groupCode : c));
    const nowMs = this.options.clock.nowMs();
    const accepted = args.partitions.filter((_, i) => codes[i] === ErrorCode.NONE);
    const records: GroupRecord[] = accepted.map((p) => ({ k: "to", g: args.groupId, pid: args.producerId, t: p.topic, p: p.partition, o: p.offset, e: p.leaderEpoch, m: p.metadata, ts: nowMs }));
    try {
      await this.store.append(args.groupId, records);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("transactional offset commit write failed", { group: args.groupId, error: String(error) });
      return codes.map((c) => (c === ErrorCode.NONE ? this.writeFailureCode : c));
    }
    let pending = group.pendingTxnOffsets.get(args.producerId);
    if (!pending) group.pendingTxnOffsets.set(args.producerId, (pending = new Map()));
    for (const p of accepted) {
      pending.set(offsetKey(p.topic, p.partition), { topic: p.topic, partition: p.partition, offset: p.offset, leaderEpoch: p.leaderEpoch, metadata: p.metadata, commitTimestampMs: nowMs });
    }
    return codes;
  }

  /** A transaction ended: its pending offsets become committed offsets, or are dropped. Idempotent (the coordinator retries). */
  async txnComplete(args: TxnCompleteArgs): Promise<number> {
    const group = this.groups.get(args.groupId);
    const pending = group?.pendingTxnOffsets.get(args.producerId);
    if (!group || !pending) return ErrorCode.NONE;
    try {
      await this.store.append(args.groupId, [{ k: "tc", g: args.groupId, pid: args.producerId, c: args.commit }]);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("transaction outcome write failed", { group: args.groupId, error: String(error) });
      return this.writeFailureCode;
    }
    if (group.pendingTxnOffsets.get(args.producerId) !== pending) return ErrorCode.NONE;
    group.pendingTxnOffsets.delete(args.producerId);
    const table = this.options.metadata();
    // A topic deleted while the transaction was open keeps no offsets (dropTopic already ran for it).
    if (args.commit) for (const [key, offset] of pending) if (table.topic(offset.topic)) group.offsets.set(key, offset);
    return ErrorCode.NONE;
  }

  private partitionProblem(topic: string, partition: number, metadata: string | null): number {
    if (!partitionExists(this.options.metadata(), topic, partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (metadata !== null && metadata.length > limits.offsetMetadataBytesMax) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
    return ErrorCode.NONE;
  }

  fetchOffsets(args: FetchOffsetsArgs): FetchOffsetsResult {
    const group = this.groups.get(args.groupId);
    const offsets = group?.offsets ?? new Map();
    const wanted = args.topics ?? groupByTopic([...offsets.values()]);
    return {
      errorCode: ErrorCode.NONE,
      offsets: wanted.flatMap((t) =>
        t.partitions.map((partition) => {
          const key = offsetKey(t.topic, partition);
          const o = offsets.get(key);
          if (args.requireStable && group && [...group.pendingTxnOffsets.values()].some((pending) => pending.has(key))) {
            return { topic: t.topic, partition, offset: -1, leaderEpoch: -1, metadata: "", errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
          }
          return { topic: t.topic, partition, offset: o?.offset ?? -1, leaderEpoch: o?.leaderEpoch ?? -1, metadata: o ? o.metadata : "", errorCode: ErrorCode.NONE };
        }),
      ),
    };
  }

  list(states: string[]): ListedGroupInfo[] {
    const wanted = new Set(states.map((s) => s.toLowerCase()));
    return [...this.groups.values()]
      .filter((g) => g.state !== "Dead" && (wanted.size === 0 || wanted.has(g.state.toLowerCase())))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? "", state: g.state }));
  }

  describe(groupId: string): DescribedGroupInfo {
    const group = this.groups.get(groupId);
    if (group) return group.describe();
    const errorCode = groupId === "" ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE;
    return { errorCode, groupId, state: "Dead", protocolType: "", protocolData: "", members: [] };
  }

  async deleteGroup(groupId: string): Promise<number> {
    if (groupId === "") return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== "Empty") return ErrorCode.NON_EMPTY_GROUP;
    try {
      await this.store.append(groupId, [{ k: "gd", g: groupId }]);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("group delete write failed", { group: groupId, error: String(error) });
      return this.writeFailureCode;
    }
    if (this.groups.get(groupId) !== group) return ErrorCode.NONE;
    this.forget(group);
    return ErrorCode.NONE;
  }

  private forget(group: Group, memberErrorCode?: number): void {
    group.markDead(memberErrorCode);
    this.groups.delete(group.groupId);
    this.timers.get(group.groupId)?.cancel();
    this.timers.delete(group.groupId);
  }

  async deleteOffsets(args: OffsetDeleteArgs): Promise<OffsetDeleteResult> {
    const group = this.groups.get(args.groupId);
    const none = { partitionErrors: args.partitions.map(() => ErrorCode.NONE) };
    if (args.groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID, ...none };
    if (!group) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, ...none };
    const active = group.state !== "Empty";
    if (active && group.protocolType !== "consumer") return { errorCode: ErrorCode.NON_EMPTY_GROUP, ...none };
    const subscribed = active ? new Set(group.memberMetadata().flatMap(subscribedTopics)) : new Set<string>();
    const partitionErrors = args.partitions.map(({ topic, partition }) => {
      if (!partitionExists(this.options.metadata(), topic, partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return subscribed.has(topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE;
    });
    const removed = args.partitions.filter((p, i) => partitionErrors[i] === ErrorCode.NONE && group.offsets.has(offsetKey(p.topic, p.partition)));
    try {
      await this.store.append(args.groupId, removed.map((p) => ({ k: "od", g: args.groupId, t: p.topic, p: p.partition })));
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("offset delete write failed", { group: args.groupId, error: String(error) });
      return { errorCode: this.writeFailureCode, ...none };
    }
    for (const p of removed) group.offsets.delete(offsetKey(p.topic, p.partition));
    return { errorCode: ErrorCode.NONE, partitionErrors };
  }

  /** Forgets every committed offset of a deleted topic. For whoever deletes topics: call on every shard. */
  async dropTopic(topic: string): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      const gone = [...group.offsets.values()].filter((o) => o.topic === topic);
      if (gone.length === 0) continue;
      for (const o of gone) group.offsets.delete(offsetKey(o.topic, o.partition));
      writes.push(this.store.append(group.groupId, gone.map((o) => ({ k: "od", g: group.groupId, t: o.topic, p: o.partition }))));
    }
    await Promise.all(writes);
  }

  /**
   * Offsets of an empty group older than group_offset_retention_sec expire; an empty group left
   * with no offsets is removed (Kafka's offsets.retention.minutes).
   */
  async expireOffsets(): Promise<void> {
    const cutoffMs = this.options.clock.nowMs() - this.options.props.group_offset_retention_sec * 1000;
    for (const group of [...this.groups.values()]) {
      if (group.state !== "Empty") continue;
      const expired = [...group.offsets.values()].filter((o) => o.commitTimestampMs <= cutoffMs);
      for (const o of expired) group.offsets.delete(offsetKey(o.topic, o.partition));
      const records: GroupRecord[] = expired.map((o) => ({ k: "od", g: group.groupId, t: o.topic, p: o.partition }));
      const emptied = group.offsets.size === 0 && group.pendingTxnOffsets.size === 0;
      if (emptied) records.push({ k: "gd", g: group.groupId });
      if (emptied) this.forget(group);
      if (records.length > 0) await this.store.append(group.groupId, records);
    }
  }

  private newGroup(groupId: string): Group {
    return new Group(groupId, this.options.clock, { initialRebalanceDelayMs: this.options.props.group_initial_rebalance_delay }, (g) => {
      this.store.append(g.groupId, [{ k: "g", g: g.groupId, gen: g.generationId, pt: g.protocolType }]).catch((error) => {
        rethrowIfBroken(error);
        this.options.log.error("group metadata write failed", { group: g.groupId, error: String(error) });
      });
    });
  }

  /** Keeps one timer per group, set to the group's next deadline. */
  private schedule(group: Group): void {
    const atMs = group.nextDeadlineMs();
    const current = this.timers.get(group.groupId);
    if (current && current.atMs === atMs) return;
    current?.cancel();
    this.timers.delete(group.groupId);
    if (atMs === null || this.groups.get(group.groupId) !== group) return;
    const cancel = this.options.timers.after(Math.min(TIMER_MS_MAX, Math.max(0, atMs - this.options.clock.nowMs())), () => {
      this.timers.delete(group.groupId);
      group.tick();
      this.schedule(group);
    });
    this.timers.set(group.groupId, { atMs, cancel });
  }

  private liveRecords(partition: number): GroupRecord[] {
    const records: GroupRecord[] = [];
    for (const group of this.groups.values()) {
      if (groupPartitionOf(group.groupId) !== partition) continue;
      records.push({ k: "g", g: group.groupId, gen: group.generationId, pt: group.protocolType });
      for (const o of group.offsets.values()) {
        records.push({ k: "o", g: group.groupId, t: o.topic, p: o.partition, o: o.offset, e: o.leaderEpoch, m: o.metadata, ts: o.commitTimestampMs });
      }
      for (const [pid, pending] of group.pendingTxnOffsets) {
        for (const o of pending.values()) records.push({ k: "to", g: group.groupId, pid, t: o.topic, p: o.partition, o: o.offset, e: o.leaderEpoch, m: o.metadata, ts: o.commitTimestampMs });
      }
    }
    return records;
  }

  get groupCount(): number {
    return this.groups.size;
  }
}

/** The mistakes a JoinGroup can have before it touches any group. */
export function joinProblem(args: JoinArgs, props: ClusterProperties): number {
  if (args.groupId === "") return ErrorCode.INVALID_GROUP_ID;
  if (args.sessionTimeoutMs < props.group_min_session_timeout_ms || args.sessionTimeoutMs > props.group_max_session_timeout_ms) {
    return ErrorCode.INVALID_SESSION_TIMEOUT;
  }
  if (args.protocols.length > limits.groupProtocolsPerMemberMax) return ErrorCode.INVALID_REQUEST;
  if (args.protocols.some((p) => p.metadata.length > limits.groupProtocolMetadataBytesMax)) return ErrorCode.INVALID_REQUEST;
  if (args.protocolType === "" || args.protocols.length === 0) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  return ErrorCode.NONE;
}

/** A group not served here: the error, also on each named partition (OffsetFetch v0–1 have no group-level error). */
function refusedOffsets(args: FetchOffsetsArgs, errorCode: number): FetchOffsetsResult {
  const offsets = (args.topics ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, offset: -1, leaderEpoch: -1, metadata: null, errorCode })));
  return { errorCode, offsets };
}

/** Whether the metadata has this partition (on any node: in a cluster this node may hold no replica of it). */
function partitionExists(table: MetadataTable, topic: string, partition: number): boolean {
  const record = table.topic(topic);
  return record !== undefined && Number.isInteger(partition) && partition >= 0 && partition < record.shards.length;
}

function groupByTopic(offsets: Array<{ topic: string; partition: number }>): Array<{ topic: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>();
  for (const o of offsets) {
    const partitions = byTopic.get(o.topic);
    if (partitions) partitions.push(o.partition);
    else byTopic.set(o.topic, [o.partition]);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}

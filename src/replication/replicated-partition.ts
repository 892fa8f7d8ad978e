/**
 * One replicated partition on the shard that holds its replica: a Raft group over the replicas'
 * nodes whose log is the partition's log (raft/README.md). The Raft leader is the Kafka leader;
 * the high watermark is the commit index + 1. Idempotent-producer state covers this replica's
 * whole log on every replica (rebuilt at open, followed on every follower append and cut), and a
 * leader records its proposals in it before they are appended, so a retried batch is a duplicate
 * on whichever replica leads next. Transactions: markers are proposed like batches; every replica
 * derives its open transactions (the LSO) and aborted-transaction index from the log it holds, so
 * a new leader answers read_committed as the old one did. Follower fetching (KIP-392): an in-sync
 * follower serves a consumer's read up to the commit index it has learned, and a leader names a
 * replica in the consumer's rack (read-replica.ts).
 */
import { join } from "node:path";
import { rethrowIfBroken } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import type { Timers } from "../base/timers.ts";
import type { PartitionAssignment } from "../cluster/metadata.ts";
import type { EffectiveTopicConfig } from "../cluster/topic-config.ts";
import type { Disk } from "../io/disk.ts";
import type { SharedLogResources } from "../storage/partition-log.ts";
import type { ActiveProducer, CurrentLeader, EpochAnswer, EpochQuery, OffsetAnswer, OffsetQuery, PartitionRef, ProduceItem, ProduceResult, ReadItem, ReadResult } from "../kafka/ops.ts";
import { appendPolicyOf, prepareProduced, sequenceRefusal } from "../kafka/produce-checks.ts";
import { transactionToVerify, verificationRefusal, type VerifyTxnPartition } from "../kafka/txn-verification.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { RaftGroup } from "../raft/group.ts";
import { NO_INDEX, NO_TERM, type HeartbeatTicker, type Index, type LearnerThrottle, type RaftError, type RaftState, type RaftTimings, type RaftTransport, type TransferResult } from "../raft/types.ts";
import type { AppendPolicy } from "../storage/batch-rewrite.ts";
import { compactInHousekeeping } from "../storage/compaction-pass.ts";
import { loadProducerState, saveProducerState } from "../storage/producer-snapshot.ts";
import type { ProducerState, RememberedBatch } from "../storage/producer-state.ts";
import * as rb from "../storage/record-batch.ts";
import { forEachRecord } from "../storage/records.ts";
import { buildMarkerBatch, type TxnMarker } from "../storage/control-batch.ts";
import { abortedTxnsIn } from "../storage/txn-markers.ts";
import { NO_PREFERRED_REPLICA, preferredReadReplica } from "./read-replica.ts";

const NO_RECORDS = new Uint8Array(0);
/** How much of the log committedValues reads at once. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** What every replica on a shard shares. */
export interface ReplicaEnv {
  nodeId: number;
  disk: Disk;
  /** Shared by the shard's logs (replicas read what they just wrote from the cache: a leader's appends, tailing consumers). */
  logResources?: SharedLogResources;
  dataDir: string;
  clock: Clock;
  timers: Timers;
  random: () => number;
  log: Logger;
  transport: RaftTransport;
  timings: RaftTimings;
  /** The shard's shared heartbeat clock (light heartbeats), or none: a timer per group. */
  heartbeatTicker?: HeartbeatTicker;
  /** The shard's recovery throttle: bytes its leaders send to learners (raft_learner_recovery_rate). */
  recoveryThrottle?: LearnerThrottle;
  /** Told after the group's role, term or known leader changed. */
  onState(group: number, state: RaftState): void;
  /** Told when the replica starts or stops being a leader ready to append (see `readyToAppend`); false also at close. */
  onReadiness?(ref: PartitionRef, ready: boolean): void;
  /** KIP-890 part 1: asks the transaction coordinator whether a transactional batch may open its transaction here. */
  verifyTxnPartition?: VerifyTxnPartition;
  /** Follower fetching (KIP-392): a node's rack (null: none or unknown). Without it no replica is preferred. */
  rackOf?(node: number): string | null;
  /** The in-sync replicas this shard knows of a group (the leader's last report; its own view on the leader). */
  inSyncOf?(group: number): readonly number[];
  /** False while this node is in maintenance mode: its replicas do not campaign (RaftGroupOptions.mayCampaign). */
  mayLead?(): boolean;
}

export function partitionDir(dataDir: string, ref: PartitionRef): string {
  return join(dataDir, "kafka", ref.topic, String(ref.partition));
}

function produceRefusal(errorCode: number, errorMessage: string, currentLeader?: CurrentLeader): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, currentLeader };
}

/** How a follower replays what it appends: its markers are not committed yet, and the batches' records are at hand. */
const FOLLOWER_APPEND = { visible: false, whole: true } as const;

/** The Kafka error of a refused or lost proposal: all but a malformed batch are retriable at the (new) leader. */
function proposalError(error: RaftError): number {
  return error === "invalidBatch" ? ErrorCode.CORRUPT_MESSAGE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
}

export interface ReplicaDetails extends PartitionRef {
  group: number;
  role: string;
  term: number;
  leader: number | null;
  commitIndex: number;
  lastIndex: number;
  highWatermark: number;
  logStartOffset: number;
  sizeBytes: number;
  voters: number[];
  learners: number[];
  peers: Array<{ node: number; matchIndex: number; lag: number; lastHeardMs: number }>;
}

export class ReplicatedPartition {
  private state: RaftState = { role: "follower", term: NO_TERM, leaderId: null };
  private commitIndex: Index = NO_INDEX;
  private readonly wakers = new Set<() => void>();
  private config: EffectiveTopicConfig;
  private policy: AppendPolicy;
  /** Set once the group stopped on a failure (disk error): the replica answers nothing more. */
  private failed = false;
  /** What onReadiness last told. */
  private toldReady = false;
  /**
   * The log offset below which the producer state has seen every batch. The log may hold more:
   * a group stopped between writing an append and reporting it (`onAppended`, `onFollowerAppend`)
   * leaves it on disk unseen, so a clean close's snapshot is taken here and the reopen scans the rest.
   */
  private producersCover: Index;

  private constructor(
    private readonly env: ReplicaEnv,
    readonly ref: PartitionRef,
    readonly groupId: number,
    readonly group: RaftGroup,
    private readonly producers: ProducerState,
    config: EffectiveTopicConfig,
  ) {
    this.config = config;
    this.policy = appendPolicyOf(config);
    this.producersCover = group.partitionLog.logEndOffset;
  }

  static async open(env: ReplicaEnv, ref: PartitionRef, assignment: PartitionAssignment, config: EffectiveTopicConfig): Promise<ReplicatedPartition> {
    let replica: ReplicatedPartition | null = null;
    const voters = [...new Set(assignment.replicas.map((r) => r.node))].sort((a, b) => a - b);
    // A node a move adds starts as a learner of the group it joins (raft/README.md "Joining"): it
    // never campaigns and takes the group's configuration from the log the leader sends it.
    const bootstrap = voters.includes(env.nodeId) ? { voters, learners: [] } : { voters, learners: [env.nodeId] };
    const group = await RaftGroup.open({
      group: assignment.group,
      self: env.nodeId,
      disk: env.disk,
      logResources: env.logResources,
      dir: partitionDir(env.dataDir, ref),
      clock: env.clock,
      timers: env.timers,
      transport: env.transport,
      random: env.random,
      timings: env.timings,
      heartbeatTicker: env.heartbeatTicker,
      recoveryThrottle: env.recoveryThrottle,
      mayCampaign: env.mayLead,
      preferredFirstLeader: assignment.replicas[0]?.node === env.nodeId, // a voter: voters are the replicas' nodes
      bootstrap,
      logConfig: { segmentBytes: config.segmentBytes, segmentMs: config.segmentMs, maxMessageBytes: config.maxMessageBytes, cleanup: config.cleanup },
      onStateChange: (state) => replica?.onState(state),
      onCommit: (index) => replica?.onCommit(index),
      onFollowerAppend: (batches) => replica?.onFollowerAppend(batches),
      onLogCut: (endOffset) => replica?.onLogCut(endOffset),
      onFailure: (error) => replica?.onFailure(error),
      log: (message) => env.log.warn(message, { partition: `${ref.topic}/${ref.partition}` }),
    });
    // The log's tail may be uncommitted (the commit index is not stored): its markers count once committed.
    const producers = await loadProducerState(env.disk, group.partitionLog, { markersVisible: false });
    replica = new ReplicatedPartition(env, ref, assignment.group, group, producers, config);
    return replica;
  }

  reconfigure(config: EffectiveTopicConfig): void {
    this.config = config;
    this.policy = appendPolicyOf(config);
    // Not the batch bound: entries already in other replicas' logs may exceed a lowered one.
    const log = this.group.partitionLog;
    log.reconfigure({ ...log.config, segmentBytes: config.segmentBytes, segmentMs: config.segmentMs, cleanup: config.cleanup });
  }

  // ---- what the group tells ----

  private onState(state: RaftState): void {
    const before = this.state;
    this.state = state;
    // Fetches waiting here (on the leader, or on a follower serving consumers) learn of the new leader.
    if (before.role !== state.role || before.leaderId !== state.leaderId) this.wake();
    this.env.onState(this.groupId, state);
    this.tellReadiness();
  }

  private onCommit(index: Index): void {
    this.commitIndex = index;
    this.producers.forgetVisibleEnds(this.highWatermark); // ended transactions whose marker is committed hold the LSO no more
    this.wake();
    this.tellReadiness();
  }

  private tellReadiness(ready = this.readyToAppend): void {
    if (ready === this.toldReady) return;
    this.toldReady = ready;
    this.env.onReadiness?.(this.ref, ready);
  }

  /** A follower's producer state, open transactions and aborted index follow what it appends (its markers are not committed yet). */
  private onFollowerAppend(batches: Uint8Array): void {
    const log = this.group.partitionLog;
    rb.scanBatches(batches, 0, (at) => {
      const ended = this.producers.replay(batches, at, FOLLOWER_APPEND);
      if (ended?.aborted) log.addAbortedTxn({ producerId: ended.producerId, firstOffset: ended.firstOffset, lastOffset: ended.lastOffset, lastStableOffset: ended.lastStableOffset });
      this.producersCover = rb.lastOffset(batches, at) + 1;
    });
  }

  private onLogCut(endOffset: Index): void {
    this.producers.truncate(endOffset);
    this.producersCover = Math.min(this.producersCover, endOffset);
  }

  private onFailure(error: unknown): void {
    rethrowIfBroken(error);
    this.failed = true;
    this.tellReadiness();
    this.env.log.error("replicated partition stopped after a failure", { partition: `${this.ref.topic}/${this.ref.partition}`, error: String(error) });
    this.wake();
  }

  // ---- what a replica answers ----

  get leaderState(): RaftState {
    return this.state;
  }

  get isLeader(): boolean {
    return this.state.role === "leader" && !this.failed;
  }

  get highWatermark(): number {
    return Math.max(this.commitIndex + 1, this.group.partitionLog.logStartOffset);
  }

  get logStartOffset(): number {
    return this.group.partitionLog.logStartOffset;
  }

  get sizeBytes(): number {
    return this.group.partitionLog.sizeBytes;
  }

  /** This replica's view for the admin API: role, term, indexes, and on a leader each replica's lag. */
  details(): ReplicaDetails {
    const raft = this.group.inspect();
    return {
      ...this.ref,
      group: this.groupId,
      role: this.failed ? "failed" : raft.role,
      term: raft.term,
      leader: raft.leaderId,
      commitIndex: raft.commitIndex,
      lastIndex: raft.lastIndex,
      highWatermark: this.highWatermark,
      logStartOffset: this.logStartOffset,
      sizeBytes: this.sizeBytes,
      voters: raft.config.voters,
      learners: raft.config.learners,
      // A leader knows how far each peer is behind its own last index.
      peers: raft.peers.map((p) => ({ node: p.id, matchIndex: p.matchIndex, lag: Math.max(0, raft.lastIndex - p.matchIndex), lastHeardMs: p.lastHeardMs })),
    };
  }

  /** Leadership transfer (POST /v1/raft/{group}/transfer_leadership): only this replica's leader can start one. */
  transferLeadership(to: number): Promise<TransferResult> {
    return this.group.transferLeadership(to);
  }

  /** The leader this replica knows of, for NOT_LEADER_OR_FOLLOWER answers. */
  currentLeader(): CurrentLeader {
    const { leaderId, term } = this.state;
    return leaderId === null || this.isLeader ? { leaderId: -1, leaderEpoch: -1 } : { leaderId, leaderEpoch: term };
  }

  /**
   * A leader takes produce once an entry of its own term is committed: every entry of its log is
   * then committed and its producer state (which covers its whole log) is complete.
   */
  private get readyToAppend(): boolean {
    return this.isLeader && this.group.termAt(this.commitIndex) === this.state.term;
  }

  /** The leader and epoch a fenced read is told of (KIP-951): this replica itself when it leads. */
  private leaderHint(): CurrentLeader {
    const { leaderId, term } = this.state;
    return leaderId === null ? { leaderId: -1, leaderEpoch: -1 } : { leaderId, leaderEpoch: term };
  }

  /**
   * Whether this replica may answer a read: the leader always; with follower fetching (a
   * consumer's Fetch v11+) also a follower the leader counts in sync. One that fell out of the
   * ISR, or knows no leader, answers NOT_LEADER_OR_FOLLOWER and the client goes to the leader.
   */
  servesReads(clientRack: string | undefined): boolean {
    if (this.isLeader) return true;
    if (clientRack === undefined || this.failed || this.state.role !== "follower" || this.state.leaderId === null) return false;
    return this.env.inSyncOf?.(this.groupId).includes(this.env.nodeId) ?? false;
  }

  /** The error for a request naming a leader epoch: FENCED when it is older than this leader's, UNKNOWN when newer. */
  private epochProblem(currentLeaderEpoch: number | undefined): number | null {
    if (currentLeaderEpoch === undefined || currentLeaderEpoch < 0) return null;
    if (currentLeaderEpoch < this.state.term) return ErrorCode.FENCED_LEADER_EPOCH;
    if (currentLeaderEpoch > this.state.term) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    return null;
  }

  async produce(item: ProduceItem): Promise<ProduceResult> {
    const notLeader = () => produceRefusal(ErrorCode.NOT_LEADER_OR_FOLLOWER, "this replica is not the partition's leader (or not yet ready)", this.currentLeader());
    if (!this.readyToAppend) return notLeader();
    const nowMs = this.env.clock.nowMs();
    const prepared = prepareProduced(item, item.records, { maxMessageBytes: this.config.maxMessageBytes, compact: this.config.cleanup.compact }, this.policy, nowMs);
    if (!prepared.ok) return prepared.result;
    const records = prepared.records;
    const unverified = await this.verifyTransaction(item, records);
    if (unverified !== null) return unverified;
    if (!this.readyToAppend) return notLeader();
    // Check and remember with no await in between: the next batch of the same producer is checked against this one.
    const verdict = this.producers.checkPayload(records);
    if (verdict.kind === "duplicate") return this.answerDuplicate(verdict.batch);
    if (verdict.kind !== "append") return sequenceRefusal(verdict);
    const committed = Promise.withResolvers<void>();
    committed.promise.catch(() => {}); // a duplicate's answer may be the only one to look
    const remembered = this.producers.rememberPending(records, committed.promise);
    const appended = Promise.withResolvers<{ baseOffset: Index; lastOffset: Index }>();
    let placed = false;
    const proposal = this.group.propose(records, {
      onAppended: (range) => {
        placed = true;
        placeRemembered(remembered, records, range.baseOffset, this.producers);
        this.producersCover = range.lastOffset + 1;
        appended.resolve(range);
      },
    });
    void proposal.then((r) => {
      if (r.ok) return committed.resolve();
      if (!placed) this.producers.forget(remembered);
      committed.reject(new Error(r.error));
      appended.reject(r.error);
    });
    appended.promise.catch(() => {});
    const logAppendTimeMs = this.policy.logAppendTime ? nowMs : -1;
    if (item.acks === -1) {
      const r = await proposal;
      if (!r.ok) return produceRefusal(proposalError(r.error), `not committed: ${r.error}`, this.currentLeader());
      const range = await appended.promise;
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: range.baseOffset, logAppendTimeMs, logStartOffset: this.logStartOffset };
    }
    try {
      const range = await appended.promise;
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: range.baseOffset, logAppendTimeMs, logStartOffset: this.logStartOffset };
    } catch (error) {
      return produceRefusal(proposalError(error as RaftError), `not appended: ${String(error)}`, this.currentLeader());
    }
  }

  /**
   * KIP-890 part 1, as on one node: a transactional batch that would open its producer's
   * transaction here is checked with the coordinator first. Null when it may be appended.
   */
  private async verifyTransaction(item: ProduceItem, records: Uint8Array): Promise<ProduceResult | null> {
    const verify = this.env.verifyTxnPartition;
    if (!verify || !item.transactionalId) return null;
    const txn = transactionToVerify(records, this.producers);
    if (txn === null) return null;
    const markersBefore = this.producers.markersSeenOf(txn.producerId);
    let errorCode: number;
    try {
      errorCode = await verify(item.transactionalId, txn.producerId, txn.producerEpoch, item);
    } catch (error) {
      rethrowIfBroken(error);
      errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE; // the coordinator could not answer: the producer retries
    }
    if (errorCode !== ErrorCode.NONE) return verificationRefusal(errorCode);
    // A marker that landed while we asked ended the transaction the answer was about.
    if (this.producers.markersSeenOf(txn.producerId) !== markersBefore) return verificationRefusal(ErrorCode.INVALID_TXN_STATE);
    return null;
  }

  /**
   * A commit or abort marker from the transaction coordinator, proposed like a batch and answered
   * at commit (Kafka writes markers with acks=all). The producer state records it, and the
   * aborted index an abort, when the group appends it: the same moment a follower does.
   */
  async writeMarker(marker: TxnMarker): Promise<number> {
    if (!this.readyToAppend) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const verdict = this.producers.checkMarker(marker);
    if (verdict.kind === "fenced") return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (verdict.kind === "coordinatorFenced") return ErrorCode.TRANSACTION_COORDINATOR_FENCED;
    const nowMs = this.env.clock.nowMs();
    const log = this.group.partitionLog;
    const result = await this.group.propose(buildMarkerBatch(marker, nowMs), {
      onAppended: (range) => {
        const ended = this.producers.recordMarker(marker, range.baseOffset, nowMs, false);
        if (ended?.aborted) log.addAbortedTxn({ producerId: ended.producerId, firstOffset: ended.firstOffset, lastOffset: ended.lastOffset, lastStableOffset: ended.lastStableOffset });
        this.producersCover = range.lastOffset + 1;
      },
    });
    if (!result.ok) return result.error === "invalidBatch" ? ErrorCode.CORRUPT_MESSAGE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
    this.wake(); // read_committed fetches waiting at the LSO
    return ErrorCode.NONE;
  }

  /** The producers this replica's log holds, as DescribeProducers reports them (the leader only). */
  describeProducers(): { errorCode: number; activeProducers: ActiveProducer[] } {
    if (!this.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, activeProducers: [] };
    const activeProducers = this.producers.describe().map((p): ActiveProducer => ({
      producerId: p.producerId, producerEpoch: p.producerEpoch, lastSequence: p.lastSequence, lastTimestamp: p.lastTimestampMs,
      coordinatorEpoch: p.coordinatorEpoch, currentTxnStartOffset: p.currentTxnStartOffset,
    }));
    return { errorCode: ErrorCode.NONE, activeProducers };
  }

  /** The last stable offset: the first offset of the earliest open transaction, else the high watermark (never below the log start). */
  get lastStableOffset(): number {
    return Math.max(this.producers.lastStableOffset(this.highWatermark), this.logStartOffset);
  }

  /** A retry of a batch already in the log (or being appended): its original offsets once it is committed. */
  private async answerDuplicate(batch: RememberedBatch): Promise<ProduceResult> {
    try {
      if (batch.visible) await batch.visible;
    } catch (error) {
      return produceRefusal(ErrorCode.NOT_LEADER_OR_FOLLOWER, `the original of this retried batch was not committed: ${String(error)}`, this.currentLeader());
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: batch.baseOffset, logAppendTimeMs: -1, logStartOffset: this.logStartOffset };
  }

  async read(item: ReadItem): Promise<ReadResult> {
    const base = { highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: NO_RECORDS, abortedTransactions: null };
    const none = { ...base, errorCode: ErrorCode.NONE, abortedTransactions: item.readCommitted ? [] : null };
    if (!this.servesReads(item.clientRack)) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: this.currentLeader() };
    const epochError = this.epochProblem(item.currentLeaderEpoch);
    if (epochError !== null) return { ...base, errorCode: epochError, currentLeader: this.leaderHint() };
    const log = this.group.partitionLog;
    const start = log.logStartOffset;
    // A follower's high watermark is the commit index it has learned: it never answers past it.
    const highWatermark = this.highWatermark;
    // On a follower too (Kafka's rule): past its log end, OFFSET_OUT_OF_RANGE sends the client back to the leader.
    if (item.fetchOffset < start || item.fetchOffset > log.logEndOffset) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset: start };
    const lastStableOffset = this.lastStableOffset;
    const elsewhere = this.readReplicaFor(item);
    if (elsewhere !== NO_PREFERRED_REPLICA) return { ...none, highWatermark, lastStableOffset, logStartOffset: start, preferredReadReplica: elsewhere };
    // read_committed stops at the LSO, read_uncommitted at the high watermark (whole batches up to the commit index).
    const readEnd = item.readCommitted ? lastStableOffset : highWatermark;
    if (item.fetchOffset >= readEnd) return { ...none, highWatermark, lastStableOffset, logStartOffset: start };
    const result = await log.read(item.fetchOffset, item.maxBytes, readEnd);
    if (!result.ok) return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset: result.logStartOffset };
    const end = rb.scanBatches(result.bytes, 0, (at) => rb.lastOffset(result.bytes, at) < readEnd);
    const records = end === result.bytes.length ? result.bytes : result.bytes.subarray(0, end);
    const abortedTransactions = item.readCommitted ? abortedTxnsIn(log, item.fetchOffset, records) : null;
    return { ...none, highWatermark, lastStableOffset, logStartOffset: result.logStartOffset, records, abortedTransactions };
  }

  /** On the leader, for a consumer in a rack: the in-sync follower in that rack it should fetch from, if any (KIP-392). */
  private readReplicaFor(item: ReadItem): number {
    const rackOf = this.env.rackOf;
    if (!item.clientRack || !rackOf || !this.isLeader) return NO_PREFERRED_REPLICA;
    return preferredReadReplica({
      clientRack: item.clientRack,
      leader: this.env.nodeId,
      inSync: this.env.inSyncOf?.(this.groupId) ?? [],
      rackOf,
      matchIndexOf: (node) => this.group.matchIndexOf(node),
      fetchOffset: item.fetchOffset,
    });
  }

  async listOffset(item: OffsetQuery): Promise<OffsetAnswer> {
    if (!this.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, offset: -1, timestampMs: -1 };
    const epochError = this.epochProblem(item.currentLeaderEpoch);
    if (epochError !== null) return { errorCode: epochError, offset: -1, timestampMs: -1 };
    const leaderEpoch = this.state.term;
    // As Kafka: read_committed's latest is the LSO, and only offsets below it are found by timestamp.
    const latest = item.readCommitted ? this.lastStableOffset : this.highWatermark;
    if (item.timestampMs === -1) return { errorCode: ErrorCode.NONE, offset: latest, timestampMs: -1, leaderEpoch };
    if (item.timestampMs === -2) return { errorCode: ErrorCode.NONE, offset: this.logStartOffset, timestampMs: -1, leaderEpoch };
    const log = this.group.partitionLog;
    const found = item.timestampMs === -3 ? await log.offsetOfMaxTimestamp() : await log.offsetForTimestamp(item.timestampMs);
    if (!found || found.offset >= latest) return { errorCode: ErrorCode.NONE, offset: -1, timestampMs: -1, leaderEpoch: -1 };
    const offset = Math.max(found.offset, this.logStartOffset);
    return { errorCode: ErrorCode.NONE, offset, timestampMs: found.timestampMs, leaderEpoch: this.group.termAt(offset) ?? leaderEpoch };
  }

  epochEnd(item: EpochQuery): EpochAnswer {
    const none = { leaderEpoch: -1, endOffset: -1 };
    if (!this.isLeader) return { ...none, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const epochError = this.epochProblem(item.currentLeaderEpoch);
    if (epochError !== null) return { ...none, errorCode: epochError };
    if (item.leaderEpoch < 0) return { ...none, errorCode: ErrorCode.NONE };
    const found = this.group.epochEnd(item.leaderEpoch);
    if (found === null) return { ...none, errorCode: ErrorCode.NONE };
    // The current term's entries end at the log end: the leader never truncates its own log.
    return { errorCode: ErrorCode.NONE, leaderEpoch: found.epoch, endOffset: found.endOffset };
  }

  /**
   * Retention, each replica on its own (as Redpanda): whole segments past the topic's
   * retention.ms / retention.bytes and below the commit index leave through prefix truncation. A
   * follower that then needs them gets an InstallSnapshot and starts its log at the new start.
   */
  async enforceRetention(nowMs: number): Promise<boolean> {
    if (this.failed || !this.config.cleanup.delete) return false;
    const log = this.group.partitionLog;
    const start = log.retentionStart(nowMs, this.config, this.commitIndex + 1);
    if (start <= log.logStartOffset) return false;
    await this.group.truncatePrefix(start);
    this.wake(); // waiting fetches below the new start learn they are out of range
    return true;
  }

  /** One compaction pass of this replica's log, on a compacted topic: below the last stable offset (and the commit index, `RaftGroup.compact`). */
  compact(nowMs: number, keyMapBudgetBytes: number): Promise<boolean> {
    if (this.failed || !this.config.cleanup.compact) return Promise.resolve(false);
    const options = { nowMs, keyMapBudgetBytes, stableOffset: this.lastStableOffset };
    return compactInHousekeeping(`${this.ref.topic}/${this.ref.partition}`, () => this.group.compact(options), this.env.log);
  }

  /** Resolves at the first change a fetch could see (commit, log start, leadership), or never: the caller times it out. */
  onChange(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }

  private wake(): void {
    if (this.wakers.size === 0) return;
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const w of wakers) w();
  }

  /** Proposes one batch as the leader; resolves once committed (acks=-1). For internal writers (the groups), not for Kafka produce. */
  async proposeCommitted(batch: Uint8Array): Promise<void> {
    if (!this.readyToAppend) throw new Error(`${this.ref.topic}/${this.ref.partition}: not the leader (or not yet ready)`);
    const result = await this.group.propose(batch);
    if (!result.ok) throw new Error(`${this.ref.topic}/${this.ref.partition}: not committed: ${result.error}`);
  }

  /** The values of every committed record, in log order (control batches, such as Raft configurations, skipped). */
  async committedValues(): Promise<Uint8Array[]> {
    const values: Uint8Array[] = [];
    const log = this.group.partitionLog;
    const commit = this.commitIndex;
    let offset = log.logStartOffset;
    while (offset <= commit) {
      const result = await log.read(offset, READ_CHUNK_BYTES);
      if (!result.ok) throw new Error(`${this.ref.topic}/${this.ref.partition}: offset ${offset} is no longer in the log (start ${result.logStartOffset})`);
      let next = offset;
      rb.scanBatches(result.bytes, 0, (at) => {
        if (rb.lastOffset(result.bytes, at) > commit) return false;
        next = rb.lastOffset(result.bytes, at) + 1;
        if ((rb.attributes(result.bytes, at) & rb.ATTR_CONTROL) === 0) forEachRecord(result.bytes, at, (r) => r.value && values.push(r.value.slice()));
        return true;
      });
      if (next === offset) throw new Error(`${this.ref.topic}/${this.ref.partition}: no whole batch at offset ${offset}`);
      offset = next;
    }
    return values;
  }

  async close(): Promise<void> {
    this.tellReadiness(false);
    await this.group.close();
    this.wake();
    const log = this.group.partitionLog;
    if (this.failed || log.failed) return;
    await saveProducerState(log.disk, log, this.producers, this.producersCover).catch((error: unknown) => rethrowIfBroken(error));
  }
}

/** Gives the remembered (idempotent) batches of a payload their offsets, now that the group assigned them from `baseOffset`; opens transactions. */
function placeRemembered(remembered: RememberedBatch[], records: Uint8Array, baseOffset: Index, producers: ProducerState): void {
  let next = baseOffset;
  let k = 0;
  rb.scanBatches(records, 0, (at) => {
    const lastOffset = next + rb.lastOffsetDelta(records, at);
    if (rb.producerId(records, at) >= 0) {
      const batch = remembered[k++]!;
      batch.baseOffset = next;
      batch.lastOffset = lastOffset;
      // A transactional batch opens its producer's transaction at its offset, now known (the LSO waits for its marker).
      if ((rb.attributes(records, at) & rb.ATTR_TRANSACTIONAL) !== 0) producers.openTxnAt(rb.producerId(records, at), next);
    }
    next = lastOffset + 1;
  });
}

/**
 * One Raft group (see README.md). Every input becomes an event in one queue, processed one at a
 * time to the end (disk writes included), so the group is a sequential actor whose outputs depend
 * only on its inputs and their order.
 */
import { assert, AssertionError } from "../base/assert.ts";
import { concatBytes } from "../base/bytes.ts";
import { limits } from "../base/limits.ts";
import type { CancelTimer } from "../base/timers.ts";
import { type CompactionStats, compactLog } from "../storage/compaction.ts";
import * as rb from "../storage/record-batch.ts";
import { takeBatches } from "../storage/recent-batch-cache.ts";
import { configBatch, decodeConfigBatch, isMember, isVoter, majority, peersOf, quorumIndex, sortedIds } from "./config.ts";
import { HardStateFile } from "./hard-state.ts";
import { plantedBugs } from "./planted-bugs.ts";
import { RaftLog } from "./raft-log.ts";
import {
  type AppendReply,
  type AppendRequest,
  type HardState,
  type HeartbeatRequest,
  type Index,
  type InstallSnapshotRequest,
  type LogEntryInfo,
  NO_INDEX,
  NO_TERM,
  NO_VOTE,
  type NodeId,
  type PreVoteRequest,
  type ProposeResult,
  type RaftConfig,
  type RaftError,
  type RaftGroupApi,
  type RaftGroupOptions,
  type RaftInspect,
  type RaftMessage,
  type Role,
  type ProposeOptions,
  type RaftState,
  type Term,
  type TransferResult,
  type VoteRequest,
} from "./types.ts";

/** Election timeouts without a leader after which a node that may not campaign (maintenance) campaigns anyway. */
const DEFERRED_CAMPAIGN_TIMEOUTS = 3;
/** A new group's preferred first leader pre-votes this many times per heartbeat interval until the group has a term. */
const FIRST_ELECTION_TRIES_PER_HEARTBEAT = 4;
const APPEND_BYTES_MAX_DEFAULT = 1024 * 1024;
/** Appends a leader keeps unanswered per follower (a replication window, as Redpanda pipelines appends). */
const APPENDS_IN_FLIGHT_MAX_DEFAULT = 8;

/** Where the last batch of whole batches starts. */
function lastBatchAt(batches: Uint8Array): number {
  let lastAt = 0;
  rb.scanBatches(batches, 0, (at) => {
    lastAt = at;
  });
  return lastAt;
}

/** The last offset of the last batch in whole batches. */
function lastOffsetIn(batches: Uint8Array): Index {
  return rb.lastOffset(batches, lastBatchAt(batches));
}
const EMPTY = new Uint8Array(0);

/** Thrown out of an event whose group was stopped while it waited on the disk. */
const STOPPED = Symbol("raft group stopped");

interface Progress {
  match: Index;
  next: Index;
  lastHeardMs: number;
  /**
   * Appends (or a snapshot) out and unanswered, the last sent at sentMs. Up to
   * `appendsInFlightMax` appends go out before the first is answered (`next` moves past each as
   * it is sent), so a follower's write and fdatasync of one overlap the next one's trip; a reject
   * or a stall starts again from what the follower answered.
   */
  inflight: number;
  sentMs: number;
  /** The peer refused a light heartbeat: full ones until it answers an append or heartbeat. */
  lightRefused: boolean;
}

interface Pending {
  index: Index;
  term: Term;
  resolve: (r: ProposeResult) => void;
}

type ConfigChange = { kind: "addLearner" | "promote" | "remove"; id: NodeId };
type Queued =
  | { batches: Uint8Array; change: null; resolve: (r: ProposeResult) => void; onAppended?: ProposeOptions["onAppended"] }
  | { batches: null; change: ConfigChange; resolve: (r: ProposeResult) => void };
type Proposal = { batches: Uint8Array; resolve: (r: ProposeResult) => void; onAppended?: ProposeOptions["onAppended"] };

type Event = () => Promise<void> | void;
type AppendRun = { messages: AppendRequest[]; started: boolean };
type Unanswered = { to: NodeId; matched: Index; commitIndex: Index; appended: Uint8Array | null };

/** Whether `next` carries on where `previous` ended: both have entries, same sender and term, next's prev = previous's last entry. */
function continues(previous: AppendRequest, next: AppendRequest): boolean {
  if (previous.entries.length === 0 || next.entries.length === 0 || previous.from !== next.from || previous.term !== next.term) return false;
  const lastAt = lastBatchAt(previous.entries);
  return next.prevIndex === rb.lastOffset(previous.entries, lastAt) && next.prevTerm === rb.partitionLeaderEpoch(previous.entries, lastAt);
}

export class RaftGroup implements RaftGroupApi {
  private readonly o: RaftGroupOptions;
  private readonly self: NodeId;
  private role: Role = "follower";
  private term: Term;
  private votedFor: NodeId;
  private leaderId: NodeId | null = null;
  private commitIndex: Index;
  /** Clock time a leader of the current term was last heard (leader stickiness). */
  private leaderContactMs = Number.NEGATIVE_INFINITY;
  private startedAtMs = 0;
  private votes = new Set<NodeId>();
  private progress = new Map<NodeId, Progress>();
  private pending: Pending[] = [];
  private queued: Queued[] = [];
  private proposalsScheduled = false;
  private transfer: { to: NodeId; token: number; sent: boolean } | null = null;
  private transferToken = 0;

  private events: Event[] = [];
  /** Leader: the proposals whose write is under way (offsets assigned), sent to followers from these bytes. */
  private unwritten: { base: Index; bytes: Uint8Array } | null = null;
  /** The appends of the event at the queue's tail, which later appends may join until it starts. */
  private appendsAtTail: AppendRun | null = null;
  /** Follower: appends of this event written but not yet fdatasync'ed, answered by `answerAppends`. */
  private unanswered: Unanswered[] = [];
  private running = false;
  private started = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  /** What `onStateChange` was last told. */
  private reported: RaftState = { role: "follower", term: NO_TERM, leaderId: null };
  private electionToken = 0;
  private cancelElection: CancelTimer | null = null;
  private electionDeadlineMs = Number.POSITIVE_INFINITY;
  /** When the armed election timer fires, or null if none is armed. */
  private electionArmedForMs: number | null = null;
  private heartbeatToken = 0;
  private cancelHeartbeat: CancelTimer | null = null;
  private cancelTransfer: CancelTimer | null = null;
  /** A wake-up armed for when the recovery throttle lets learners be sent to again. */
  private cancelThrottleWake: CancelTimer | null = null;

  private constructor(
    options: RaftGroupOptions,
    private readonly hard: HardStateFile,
    private readonly raftLog: RaftLog,
  ) {
    this.o = options;
    this.self = options.self;
    assert(options.timings.heartbeatIntervalMs > 0 && options.timings.heartbeatIntervalMs < options.timings.electionTimeoutMs, "raft timings");
    const state = hard.current;
    this.term = state.term;
    this.votedFor = state.votedFor;
    this.commitIndex = raftLog.startOffset - 1;
  }

  static async open(options: RaftGroupOptions): Promise<RaftGroup> {
    const hard = await HardStateFile.open(options.disk, options.dir);
    const raftLog = await RaftLog.open(options.disk, options.dir, options.clock, options.bootstrap, options.logConfig, options.log, options.logResources);
    return new RaftGroup(options, hard, raftLog);
  }

  /** The durable (term, votedFor) in `dir`, read from disk (for checkers). */
  static readHardState(disk: RaftGroupOptions["disk"], dir: string): Promise<HardState> {
    return HardStateFile.read(disk, dir);
  }

  // ---- the event queue ----

  private enqueue(event: Event): void {
    if (this.stopped) return;
    this.appendsAtTail = null;
    this.events.push(event);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.events.length > 0 && !this.stopped) {
      const event = this.events.shift()!;
      try {
        await event();
      } catch (e) {
        // After stop() the disk may fail or vanish under the abandoned event: that is the crash, not a failure.
        if (e !== STOPPED && !this.stopped) this.fail(e);
      }
      this.reportState();
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Awaits disk work; if the group was stopped meanwhile, abandons the event. */
  private async io<T>(work: Promise<T>): Promise<T> {
    const value = await work;
    if (this.stopped) throw STOPPED;
    return value;
  }

  private fail(error: unknown): void {
    this.o.log?.(`raft group ${this.o.group} on ${this.self} failed: ${String(error)}`);
    void this.stop();
    if (this.o.onFailure) this.o.onFailure(error);
    else
      queueMicrotask(() => {
        throw error;
      });
  }

  /** Tells the owner, after an event, when the role, term or known leader changed. */
  private reportState(): void {
    const r = this.reported;
    if (this.o.onStateChange === undefined || (r.role === this.role && r.term === this.term && r.leaderId === this.leaderId)) return;
    this.reported = { role: this.role, term: this.term, leaderId: this.leaderId };
    this.o.onStateChange(this.reported);
  }

  idle(): Promise<void> {
    if (!this.running && this.events.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startedAtMs = this.now;
    this.resetElectionTimer();
  }

  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.events = [];
      this.cancelTimers();
      this.failPending("stopped");
    }
    return this.running ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.raftLog.close();
    await this.hard.close();
  }

  private cancelTimers(): void {
    this.electionArmedForMs = null;
    this.electionToken++;
    this.heartbeatToken++;
    this.transferToken++;
    this.cancelElection?.();
    this.cancelHeartbeat?.();
    this.cancelTransfer?.();
    this.cancelThrottleWake?.();
    this.cancelThrottleWake = null;
  }

  // ---- inputs ----

  receive(message: RaftMessage): void {
    // Not assert(): its message would be built for every message, and this is the hottest path of an idle cluster.
    if (message.group !== this.o.group || message.to !== this.self) {
      throw new AssertionError(`message for group ${message.group} node ${message.to} given to group ${this.o.group} node ${this.self}`);
    }
    // Light heartbeats touch only timers and liveness, so they skip the event queue: an idle group costs no event.
    if (message.kind === "lightBeat") return this.receiveLightBeat(message.from, message.term, message.commitIndex);
    if (message.kind === "lightBeatReply") return this.receiveLightBeatReply(message.from, message.term, message.accepted);
    // An answer counts as heard when it came, not when the queue (maybe behind a slow disk) gets to it:
    // else a leader cut off meanwhile would go on believing in its quorum past check-quorum's bound.
    const receivedAtMs = this.now;
    if (message.kind === "append") return this.enqueueAppend(message, receivedAtMs);
    this.enqueue(() => this.onMessage(message, receivedAtMs));
  }

  /**
   * An append joins the one queued just before it when it continues that one's entries from the
   * same leader in the same term: the run is handled as its appends one by one, but written with
   * one fdatasync before any is answered (a follower's appends otherwise each wait for their own).
   */
  private enqueueAppend(m: AppendRequest, receivedAtMs: number): void {
    const tail = this.appendsAtTail;
    if (tail !== null && !tail.started && continues(tail.messages[tail.messages.length - 1]!, m)) {
      tail.messages.push(m);
      return;
    }
    const run: AppendRun = { messages: [m], started: false };
    this.enqueue(async () => {
      run.started = true;
      for (const message of run.messages) await this.onMessage(message, receivedAtMs);
      await this.answerAppends();
    });
    this.appendsAtTail = run;
  }

  propose(batches: Uint8Array, options: ProposeOptions = {}): Promise<ProposeResult> {
    return this.queue({ batches, change: null, onAppended: options.onAppended });
  }

  addLearner(id: NodeId): Promise<ProposeResult> {
    return this.queue({ batches: null, change: { kind: "addLearner", id } });
  }

  promoteLearner(id: NodeId): Promise<ProposeResult> {
    return this.queue({ batches: null, change: { kind: "promote", id } });
  }

  removeNode(id: NodeId): Promise<ProposeResult> {
    return this.queue({ batches: null, change: { kind: "remove", id } });
  }

  private queue(item: { batches: Uint8Array; change: null; onAppended?: ProposeOptions["onAppended"] } | { batches: null; change: ConfigChange }): Promise<ProposeResult> {
    if (this.stopped) return Promise.resolve({ ok: false, error: "stopped" });
    return new Promise((resolve) => {
      this.queued.push({ ...item, resolve } as Queued);
      if (this.proposalsScheduled) return;
      this.proposalsScheduled = true;
      this.enqueue(() => this.appendQueued());
    });
  }

  transferLeadership(to: NodeId): Promise<TransferResult> {
    if (this.stopped) return Promise.resolve({ ok: false, error: "stopped" });
    return new Promise((resolve) => this.enqueue(() => this.startTransfer(to, resolve)));
  }

  truncatePrefix(offset: Index): Promise<void> {
    return new Promise((resolve, reject) =>
      this.enqueue(async () => {
        assert(offset <= this.commitIndex + 1, `prefix truncation at ${offset} past the commit index ${this.commitIndex}`);
        await this.io(this.raftLog.truncatePrefix(offset)).then(resolve, (e) => {
          reject(e);
          throw e;
        });
      }),
    );
  }

  read(offset: Index, maxBytes: number): Promise<Uint8Array> {
    return this.raftLog.read(offset, maxBytes);
  }

  termAt(index: Index): Term | null {
    return this.raftLog.termAt(index);
  }

  epochEnd(epoch: Term): { epoch: Term; endOffset: Index } | null {
    const term = this.raftLog.latestTermAtOrBelow(epoch);
    if (term === null) return null;
    const next = this.raftLog.firstIndexOfTermAfter(term);
    return { epoch: term, endOffset: next ?? this.raftLog.lastIndex + 1 };
  }

  get partitionLog(): RaftGroupApi["partitionLog"] {
    return this.raftLog.log;
  }

  compact(options: { nowMs: number; keyMapBudgetBytes: number; stableOffset: Index }): Promise<CompactionStats | null> {
    const planted = globalThis.SKUA_TEST_BUILD !== false;
    const bound = planted && plantedBugs.compactPastCommit ? this.raftLog.lastIndex + 1 : this.commitIndex + 1;
    const keepEveryBatch = !(planted && plantedBugs.compactDropsEntries);
    return compactLog(this.raftLog.log, { ...options, stableOffset: Math.min(options.stableOffset, bound), keepEveryBatch });
  }

  inspectLog(): Promise<LogEntryInfo[]> {
    return this.raftLog.entries();
  }

  inspect(): RaftInspect {
    const { index: configIndex, config } = this.raftLog.config;
    return {
      self: this.self,
      role: this.role,
      term: this.term,
      votedFor: this.votedFor,
      leaderId: this.leaderId,
      commitIndex: this.commitIndex,
      logStartOffset: this.raftLog.startOffset,
      snapshotTerm: this.raftLog.snapshotTerm,
      durableIndex: this.raftLog.durableIndex,
      lastIndex: this.raftLog.lastIndex,
      lastTerm: this.raftLog.lastTerm,
      config,
      configIndex,
      peers: [...this.progress].map(([id, p]) => ({ id, matchIndex: p.match, nextIndex: p.next, lastHeardMs: p.lastHeardMs })),
      transferringTo: this.transfer?.to ?? null,
      stopped: this.stopped,
    };
  }

  /**
   * Leader: its term, commit index and the voters it heard from since `sinceMs` whose log matches
   * up to `index` or the commit index, whichever is lower (itself included); null when not
   * leading. What `inspect` tells of a leader, without its copies.
   */
  leaderView(sinceMs: number, index: Index): { term: Term; commitIndex: Index; inSync: NodeId[] } | null {
    if (this.role !== "leader") return null;
    const needed = Math.min(index, this.commitIndex);
    const inSync = this.config.voters.filter((v) => {
      if (v === this.self) return true;
      const p = this.progress.get(v);
      return p !== undefined && p.lastHeardMs >= sinceMs && p.match >= needed;
    });
    return { term: this.term, commitIndex: this.commitIndex, inSync };
  }

  /** Leader: the last index it knows `node` holds; undefined when not leading or it has no progress of it. */
  matchIndexOf(node: NodeId): Index | undefined {
    return this.role === "leader" ? this.progress.get(node)?.match : undefined;
  }

  // ---- helpers ----

  private get now(): number {
    return this.o.clock.nowMs();
  }

  private get config(): RaftConfig {
    return this.raftLog.config.config;
  }

  private send(message: RaftMessage): void {
    this.o.transport.send(message);
  }

  private envelope(to: NodeId) {
    return { group: this.o.group, from: this.self, to, term: this.term };
  }

  private hasMajority(votes: Set<NodeId>): boolean {
    const voters = this.config.voters;
    return voters.filter((v) => votes.has(v)).length >= majority(voters.length);
  }

  /** Leader stickiness (thesis §4.2.3): a live leader makes this node ignore disruptive candidates. */
  private inLease(): boolean {
    if (this.role === "leader") return true;
    return this.leaderId !== null && this.now - this.leaderContactMs < this.o.timings.electionTimeoutMs;
  }

  private upToDate(lastTerm: Term, lastIndex: Index): boolean {
    const myTerm = this.raftLog.lastTerm;
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.raftLog.lastIndex);
  }

  private async persist(term: Term, votedFor: NodeId): Promise<void> {
    await this.io(this.hard.save({ term, votedFor }));
    this.term = term;
    this.votedFor = votedFor;
  }

  /**
   * Moves the election deadline (the leader's is its check-quorum period; everyone else's is
   * randomized in [T, 2T)). Lazy: a timer already armed for an earlier time stays and, when it
   * fires, re-arms for the deadline, so a heartbeat costs no timer.
   */
  private resetElectionTimer(): void {
    if (!this.started || this.stopped) return;
    const delayMs = this.electionDelayMs();
    this.electionDeadlineMs = this.now + delayMs;
    if (this.electionArmedForMs !== null && this.electionArmedForMs <= this.electionDeadlineMs) return;
    this.armElectionTimer(delayMs);
  }

  private electionDelayMs(): number {
    const { electionTimeoutMs: base, heartbeatIntervalMs } = this.o.timings;
    if (this.role === "leader") return base;
    // A brand-new group (a fresh hard state holds term 0; any leader would have raised it).
    if (this.o.preferredFirstLeader === true && this.term === 0) return Math.ceil(heartbeatIntervalMs / FIRST_ELECTION_TRIES_PER_HEARTBEAT);
    return base + Math.floor(this.o.random() * base);
  }

  private armElectionTimer(delayMs: number): void {
    this.cancelElection?.();
    const token = ++this.electionToken;
    this.electionArmedForMs = this.now + delayMs;
    this.cancelElection = this.o.timers.after(delayMs, () => {
      if (token === this.electionToken) this.onElectionTimerFired();
    });
  }

  /**
   * Firings need no event: a deadline that moved on re-arms, and a leader runs check-quorum right
   * here, so one whose events wait on a slow disk still stops claiming leadership in time (what
   * an event it interrupts does next is safe without the role: README.md, "Protocol"). A
   * follower's timeout is an event, which looks at the deadline again (a message queued before
   * it may have moved it).
   */
  private onElectionTimerFired(): void {
    this.electionArmedForMs = null;
    if (this.stopped) return;
    if (this.now < this.electionDeadlineMs) return this.armElectionTimer(this.electionDeadlineMs - this.now);
    if (this.role !== "leader") return this.enqueue(() => this.onElectionTimer());
    this.checkQuorum();
    this.reportState();
  }

  private async onElectionTimer(): Promise<void> {
    if (this.now < this.electionDeadlineMs) {
      if (this.electionArmedForMs === null) this.armElectionTimer(this.electionDeadlineMs - this.now);
      return;
    }
    await this.onElectionTimeout();
  }

  /** A new leader's heartbeats: on the shared ticker when there is one, else on a timer of its own. */
  private startHeartbeats(): void {
    const ticker = this.o.heartbeatTicker;
    if (ticker === undefined) return this.armHeartbeat();
    this.cancelHeartbeat = ticker.add(() => this.onTick());
  }

  /** Heartbeat ticks fall on multiples of the interval, so the groups of one node beat together and batch well. */
  private armHeartbeat(): void {
    this.cancelHeartbeat?.();
    const token = ++this.heartbeatToken;
    const intervalMs = this.o.timings.heartbeatIntervalMs;
    const delayMs = intervalMs - (((this.now % intervalMs) + intervalMs) % intervalMs);
    this.cancelHeartbeat = this.o.timers.after(delayMs, () =>
      this.enqueue(() => (token === this.heartbeatToken ? this.onHeartbeatTick() : undefined)),
    );
  }

  // ---- roles ----

  /** A higher term (made durable first) or a leader of this term: follow. */
  private async stepDown(term: Term, leaderId: NodeId | null): Promise<void> {
    if (term > this.term) await this.persist(term, NO_VOTE);
    this.becomeFollower(leaderId);
  }

  private becomeFollower(leaderId: NodeId | null): void {
    if (this.role === "leader") this.endLeadership();
    this.role = "follower";
    this.leaderId = leaderId;
    if (leaderId !== null) this.leaderContactMs = this.now;
    this.resetElectionTimer();
  }

  private endLeadership(): void {
    this.heartbeatToken++;
    this.cancelHeartbeat?.();
    this.endTransfer();
    this.progress.clear();
    this.failPending("notLeader");
  }

  private failPending(error: RaftError): void {
    const pending = this.pending;
    const queued = this.queued;
    this.pending = [];
    this.queued = [];
    for (const p of pending) p.resolve({ ok: false, error });
    for (const q of queued) q.resolve({ ok: false, error });
  }

  private async onElectionTimeout(): Promise<void> {
    if (this.role === "leader") return this.checkQuorum();
    if (!isVoter(this.config, this.self)) return this.resetElectionTimer(); // learners never campaign
    if (!this.mayCampaign() && this.now - Math.max(this.leaderContactMs, this.startedAtMs) < DEFERRED_CAMPAIGN_TIMEOUTS * this.o.timings.electionTimeoutMs) {
      return this.resetElectionTimer();
    }
    this.startPreVote();
  }

  /**
   * Whether this node may take leadership now: always when it is the only voter (nobody else
   * could). One that may not still campaigns once no leader was heard for
   * DEFERRED_CAMPAIGN_TIMEOUTS election timeouts: it may hold the only log a new leader could have.
   */
  private mayCampaign(): boolean {
    return this.o.mayCampaign === undefined || this.config.voters.length === 1 || this.o.mayCampaign();
  }

  private startPreVote(): void {
    this.role = "preCandidate";
    this.leaderId = null;
    this.votes = new Set([this.self]);
    this.resetElectionTimer();
    if (this.hasMajority(this.votes)) return void this.enqueue(() => this.campaign(false));
    const request = { kind: "preVote" as const, lastIndex: this.raftLog.lastIndex, lastTerm: this.raftLog.lastTerm };
    for (const v of this.config.voters) if (v !== this.self) this.send({ ...this.envelope(v), term: this.term + 1, ...request });
  }

  private async campaign(transfer: boolean): Promise<void> {
    await this.persist(this.term + 1, this.self);
    this.role = "candidate";
    this.leaderId = null;
    this.votes = new Set([this.self]);
    this.resetElectionTimer();
    if (this.hasMajority(this.votes)) return this.becomeLeader();
    const request = { kind: "vote" as const, lastIndex: this.raftLog.lastIndex, lastTerm: this.raftLog.lastTerm, transfer };
    for (const v of this.config.voters) if (v !== this.self) this.send({ ...this.envelope(v), ...request });
  }

  private async becomeLeader(): Promise<void> {
    this.role = "leader";
    this.leaderId = this.self;
    this.progress.clear();
    this.syncProgress();
    this.resetElectionTimer();
    this.startHeartbeats();
    // The no-op of thesis §6.4: an entry of this term (the configuration, re-stated) so earlier entries can commit.
    await this.io(this.raftLog.appendAsLeader(configBatch(this.config, this.now), this.term, this.now));
    this.maybeCommit();
    await this.replicate();
  }

  /** Leader: one progress record per member but itself (new members start probing at the log end). */
  private syncProgress(): void {
    const peers = peersOf(this.config, this.self);
    for (const id of [...this.progress.keys()]) if (!peers.includes(id)) this.progress.delete(id);
    for (const id of peers) {
      if (!this.progress.has(id)) this.progress.set(id, { match: NO_INDEX, next: this.raftLog.lastIndex + 1, lastHeardMs: this.now, inflight: 0, sentMs: 0, lightRefused: false });
    }
  }

  /** Check-quorum (thesis §6.2): without a majority heard from within an election timeout, step down. */
  private checkQuorum(): void {
    const forget = globalThis.SKUA_TEST_BUILD !== false && plantedBugs.forgetCheckQuorum;
    if (!this.heardFromMajority() && !forget) {
      this.o.log?.(`raft group ${this.o.group}: leader ${this.self} lost touch with a majority in term ${this.term}; stepping down`);
      return this.becomeFollower(null);
    }
    this.resetElectionTimer();
  }

  /** A majority of voters (this leader included) heard from within an election timeout. */
  private heardFromMajority(): boolean {
    let heard = isVoter(this.config, this.self) ? 1 : 0;
    for (const [id, p] of this.progress) if (isVoter(this.config, id) && this.now - p.lastHeardMs < this.o.timings.electionTimeoutMs) heard++;
    return heard >= majority(this.config.voters.length);
  }

  // ---- messages ----

  private async onMessage(m: RaftMessage, receivedAtMs: number): Promise<void> {
    if (m.term > this.term) {
      if (m.kind === "preVote") return this.onPreVote(m);
      if (m.kind === "preVoteReply") return m.granted ? this.onPreVoteGranted(m.from, m.term) : this.stepDown(m.term, null);
      if (m.kind === "vote" && !m.transfer && this.inLease()) return this.sendVoteReply(m, false);
      const fromLeader = m.kind === "append" || m.kind === "heartbeat" || m.kind === "installSnapshot" || m.kind === "timeoutNow";
      await this.stepDown(m.term, fromLeader ? m.from : null);
    } else if (m.term < this.term) {
      return this.onStale(m);
    }
    switch (m.kind) {
      case "preVote":
        return this.onPreVote(m);
      case "vote":
        return this.onVote(m);
      case "voteReply":
        if (this.role === "candidate" && m.granted) {
          this.votes.add(m.from);
          if (this.hasMajority(this.votes)) await this.becomeLeader();
        }
        return;
      case "append":
      case "heartbeat":
      case "installSnapshot":
        return this.onLeaderMessage(m);
      case "appendReply":
        if (this.role === "leader") await this.onAppendReply(m, receivedAtMs);
        return;
      case "timeoutNow":
        if (this.role !== "leader" && isVoter(this.config, this.self) && this.mayCampaign()) await this.campaign(true);
        return;
      case "preVoteReply":
        return; // a stale answer
    }
  }

  /** A message from an older term: requests are refused so the sender learns the term; answers are dropped. */
  private onStale(m: RaftMessage): void {
    if (m.kind === "append" || m.kind === "heartbeat" || m.kind === "installSnapshot") this.sendAppendReply(m.from, false, NO_INDEX, NO_TERM, NO_INDEX);
    else if (m.kind === "vote" || m.kind === "preVote") this.sendVoteReply(m, false);
  }

  private sendVoteReply(m: VoteRequest | PreVoteRequest, granted: boolean): void {
    const kind = m.kind === "vote" ? ("voteReply" as const) : ("preVoteReply" as const);
    // A granted pre-vote answers in the proposed term; every refusal carries this node's term.
    const term = granted && m.kind === "preVote" ? m.term : this.term;
    this.send({ ...this.envelope(m.from), term, kind, granted });
  }

  private onPreVote(m: PreVoteRequest): void {
    const granted = m.term > this.term && !this.inLease() && this.upToDate(m.lastTerm, m.lastIndex);
    this.sendVoteReply(m, granted);
  }

  private async onPreVoteGranted(from: NodeId, term: Term): Promise<void> {
    if (this.role !== "preCandidate" || term !== this.term + 1) return;
    this.votes.add(from);
    if (this.hasMajority(this.votes)) await this.campaign(false);
  }

  private async onVote(m: VoteRequest): Promise<void> {
    const canVote = this.votedFor === NO_VOTE || this.votedFor === m.from;
    if (!canVote || !this.upToDate(m.lastTerm, m.lastIndex)) return this.sendVoteReply(m, false);
    if (globalThis.SKUA_TEST_BUILD !== false && plantedBugs.voteBeforeFsync) {
      this.votedFor = m.from;
      this.sendVoteReply(m, true);
      await this.persist(this.term, m.from);
    } else {
      await this.persist(this.term, m.from);
      this.sendVoteReply(m, true);
    }
    this.resetElectionTimer();
  }

  private async onLeaderMessage(m: AppendRequest | HeartbeatRequest | InstallSnapshotRequest): Promise<void> {
    assert(this.role !== "leader", `two leaders in term ${this.term}: ${this.self} and ${m.from}`);
    if (this.role !== "follower" || this.leaderId !== m.from) this.becomeFollower(m.from);
    this.leaderId = m.from;
    this.leaderContactMs = this.now;
    this.resetElectionTimer();
    if (m.kind === "append") return this.onAppend(m);
    if (m.kind === "heartbeat") return this.onHeartbeat(m);
    return this.onInstallSnapshot(m);
  }

  /** The log-matching check: null if this log holds (prevIndex, prevTerm), else the fast back-off hint. */
  private checkPrev(prevIndex: Index, prevTerm: Term): { conflictTerm: Term; conflictIndex: Index } | null {
    const start = this.raftLog.startOffset;
    if (prevIndex < start - 1) return { conflictTerm: NO_TERM, conflictIndex: start };
    if (prevIndex > this.raftLog.lastIndex) return { conflictTerm: NO_TERM, conflictIndex: this.raftLog.lastIndex + 1 };
    const term = this.raftLog.termAt(prevIndex)!;
    if (term === prevTerm || (globalThis.SKUA_TEST_BUILD !== false && plantedBugs.skipLogMatching)) return null;
    return { conflictTerm: term, conflictIndex: Math.max(this.raftLog.firstIndexOfTerm(term) ?? start, start) };
  }

  private async onAppend(m: AppendRequest): Promise<void> {
    const conflict = this.checkPrev(m.prevIndex, m.prevTerm);
    if (conflict !== null) return this.sendAppendReply(m.from, false, NO_INDEX, conflict.conflictTerm, conflict.conflictIndex);
    if (m.entries.length > 0 && !rb.validateBatches(m.entries, limits.storedBatchBytesMax, true).ok) {
      this.o.log?.(`raft group ${this.o.group}: dropped an append from ${m.from} with malformed batches`);
      return;
    }
    await this.appendEntries(m.from, m.entries, m.prevIndex, m.commitIndex);
  }

  /** After the appends of one event: one fdatasync for what they wrote, then each is answered (and commits) in order. */
  private async answerAppends(): Promise<void> {
    const answers = this.unanswered;
    if (answers.length === 0) return;
    const unsynced = globalThis.SKUA_TEST_BUILD !== false && plantedBugs.answerAppendsBeforeSync;
    if (answers.some((a) => a.appended !== null) && !unsynced) await this.io(this.raftLog.sync());
    this.unanswered = [];
    for (const a of answers) {
      if (a.appended !== null) this.o.onFollowerAppend?.(a.appended);
      this.advanceCommit(Math.min(a.commitIndex, a.matched));
      this.sendAppendReply(a.to, true, a.matched, NO_TERM, NO_INDEX);
    }
  }

  /**
   * Skips entries this log already holds (same index, same term), truncates at the first that
   * conflicts (never a committed one) and writes the rest; `answerAppends` syncs and answers.
   */
  private async appendEntries(from: NodeId, entries: Uint8Array, prevIndex: Index, commitIndex: Index): Promise<void> {
    let matched = prevIndex;
    let appendFrom = -1;
    let truncateAt = -1;
    rb.scanBatches(entries, 0, (at) => {
      const base = rb.baseOffset(entries, at);
      const last = rb.lastOffset(entries, at);
      assert(base === matched + 1, () => `append entries not contiguous at ${base}`);
      if (last <= this.raftLog.lastIndex && this.raftLog.termAt(last) === rb.partitionLeaderEpoch(entries, at)) {
        matched = last;
        return true;
      }
      if (last <= this.raftLog.lastIndex || base <= this.raftLog.lastIndex) truncateAt = base;
      appendFrom = at;
      return false;
    });
    if (truncateAt >= 0) {
      assert(truncateAt > this.commitIndex, `follower ${this.self} asked to truncate at ${truncateAt}, at or below its commit index ${this.commitIndex}`);
      await this.answerAppends(); // what this event wrote before the cut is synced and answered first, as its own event would have been
      await this.io(this.raftLog.truncateSuffix(truncateAt));
      this.o.onLogCut?.(truncateAt);
    }
    let appended: Uint8Array | null = null;
    if (appendFrom >= 0) {
      appended = entries.subarray(appendFrom); // the message's own bytes (a frame of its own): nobody changes them
      matched = await this.io(this.raftLog.writeAsFollower(appended, this.now));
    }
    this.unanswered.push({ to: from, matched, commitIndex, appended });
  }

  private onHeartbeat(m: HeartbeatRequest): void {
    const conflict = this.checkPrev(m.prevIndex, m.prevTerm);
    if (conflict !== null) return this.sendAppendReply(m.from, false, NO_INDEX, conflict.conflictTerm, conflict.conflictIndex);
    this.advanceCommit(Math.min(m.commitIndex, m.prevIndex));
    this.sendAppendReply(m.from, true, m.prevIndex, NO_TERM, NO_INDEX);
  }

  private async onInstallSnapshot(m: InstallSnapshotRequest): Promise<void> {
    const before = m.startOffset - 1;
    // At or below our commit index everything matches the leader (maybe compacted here already): a stale install.
    if (before > this.commitIndex && this.raftLog.termAt(before) !== m.prevTerm) {
      await this.io(this.raftLog.resetTo({ startOffset: m.startOffset, prevTerm: m.prevTerm, config: m.config }));
      this.o.onLogCut?.(0);
    }
    this.advanceCommit(before);
    this.sendAppendReply(m.from, true, before, NO_TERM, NO_INDEX);
  }

  private sendAppendReply(to: NodeId, success: boolean, matchIndex: Index, conflictTerm: Term, conflictIndex: Index): void {
    this.send({ ...this.envelope(to), kind: "appendReply", success, matchIndex, conflictTerm, conflictIndex, lastIndex: this.raftLog.lastIndex });
  }

  private advanceCommit(index: Index): void {
    if (index <= this.commitIndex) return;
    assert(index <= this.raftLog.lastIndex, () => `commit index ${index} past the log end ${this.raftLog.lastIndex}`);
    this.commitIndex = index;
    const done: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.pending) (p.index <= index ? done : rest).push(p);
    this.pending = rest;
    for (const p of done) p.resolve({ ok: true, index: p.index, term: p.term });
    this.o.onCommit?.(index);
  }

  // ---- leader: replication and commit ----

  private async onAppendReply(m: AppendReply, receivedAtMs: number): Promise<void> {
    const p = this.progress.get(m.from);
    if (p === undefined) return;
    p.lastHeardMs = Math.max(p.lastHeardMs, receivedAtMs);
    if (m.success) {
      p.lightRefused = false;
      p.inflight = Math.max(0, p.inflight - 1);
      p.match = Math.max(p.match, m.matchIndex);
      p.next = Math.max(p.next, p.match + 1);
      // A log that ends before `next` lost what was sent past its end (a heartbeat tells so): resume
      // from its end. Not while appends are in flight: an answer to the first says nothing of the rest.
      if (p.inflight === 0 && m.lastIndex + 1 < p.next) {
        p.next = Math.max(p.match + 1, m.lastIndex + 1);
        p.inflight = 0;
      }
      this.maybeCommit();
      this.maybeSendTimeoutNow(m.from, p);
    } else {
      if (globalThis.SKUA_TEST_BUILD !== false && plantedBugs.leaderTruncatesLog) await this.plantedLeaderTruncation(m);
      p.next = Math.max(this.backOff(m), p.match + 1);
      p.inflight = 0; // what was sent after the rejected append rests on it: send again from `next`
    }
    await this.sendNext(m.from, p);
  }

  /**
   * One more append to a peer that is behind: the first (a probe when `next` is past the log:
   * its answer says where the peer's log ends) when nothing is in flight, else the next entries
   * while there is room. One per event, so an event's disk reads stay one per peer.
   */
  private async sendNext(to: NodeId, p: Progress): Promise<void> {
    if (p.match >= this.raftLog.lastIndex) return;
    if (p.inflight === 0) return this.sendAppend(to, p);
    const room = p.inflight < (this.o.appendsInFlightMax ?? APPENDS_IN_FLIGHT_MAX_DEFAULT);
    if (room && p.next <= this.raftLog.lastIndex && p.next >= this.raftLog.startOffset) await this.sendAppend(to, p);
  }

  /** Where to resume after a reject (thesis §5.3): past our last entry of the follower's conflicting term, else its hint. */
  private backOff(m: AppendReply): Index {
    if (m.conflictTerm === NO_TERM) return m.conflictIndex;
    const last = this.raftLog.lastIndexOfTerm(m.conflictTerm);
    return last === null ? m.conflictIndex : last + 1;
  }

  /** Planted bug: the leader cuts its own log back to a follower's shorter one. */
  private async plantedLeaderTruncation(m: AppendReply): Promise<void> {
    if (m.conflictTerm !== NO_TERM || m.conflictIndex <= this.commitIndex + 1 || m.conflictIndex > this.raftLog.lastIndex) return;
    const bytes = await this.io(this.raftLog.read(m.conflictIndex, 1));
    const base = rb.baseOffset(bytes, 0);
    if (base > this.commitIndex) await this.io(this.raftLog.truncateSuffix(base));
  }

  /** Commit = the index a majority of voters hold durably, and only if its entry is of this term (§3.6.2). */
  private maybeCommit(): void {
    const index = quorumIndex(this.config, (id) => (id === this.self ? this.raftLog.durableIndex : (this.progress.get(id)?.match ?? NO_INDEX)));
    if (index <= this.commitIndex) return;
    const olderTermBug = globalThis.SKUA_TEST_BUILD !== false && plantedBugs.commitOlderTermByCounting;
    if (this.raftLog.termAt(index) !== this.term && !olderTermBug) return;
    this.advanceCommit(index);
  }

  /** Sends the next append to every peer that is behind, if it has room in flight. */
  private async replicate(): Promise<void> {
    for (const [id, p] of this.progress) await this.sendNext(id, p);
  }

  private async sendAppend(to: NodeId, p: Progress): Promise<void> {
    if (this.learnerThrottled(to, p)) return;
    p.inflight++;
    p.sentMs = this.now;
    if (p.next < this.raftLog.startOffset) {
      const { startOffset, snapshotTerm, snapshotConfig } = this.raftLog;
      return this.send({ ...this.envelope(to), kind: "installSnapshot", startOffset, prevTerm: snapshotTerm, config: snapshotConfig });
    }
    const next = Math.min(p.next, this.raftLog.lastIndex + 1);
    const maxBytes = this.o.appendBytesMax ?? APPEND_BYTES_MAX_DEFAULT;
    const entries = next > this.raftLog.lastIndex ? EMPTY : (this.unwrittenFrom(next, maxBytes) ?? (await this.io(this.raftLog.read(next, maxBytes))));
    const prevIndex = entries.length > 0 ? rb.baseOffset(entries, 0) - 1 : next - 1;
    const prevTerm = this.raftLog.termAt(prevIndex);
    assert(prevTerm !== null, () => `leader has no term at ${prevIndex}`);
    // The next append starts after these entries: pipelined, not waiting for this one's answer.
    if (entries.length > 0) p.next = lastOffsetIn(entries) + 1;
    if (entries.length > 0 && this.config.learners.includes(to)) this.o.recoveryThrottle?.take(entries.length, this.now);
    this.send({ ...this.envelope(to), kind: "append", prevIndex, prevTerm, commitIndex: this.commitIndex, entries });
  }

  /** Whole batches from `offset` of the proposals being written now (not readable from the log yet), or null if they do not hold it. */
  private unwrittenFrom(offset: Index, maxBytes: number): Uint8Array | null {
    const run = this.unwritten;
    if (run === null || offset < run.base) return null;
    let from = -1;
    rb.scanBatches(run.bytes, 0, (at) => {
      if (rb.baseOffset(run.bytes, at) === offset) from = at;
      return from < 0;
    });
    return from < 0 ? null : run.bytes.subarray(from, takeBatches(run.bytes, from, maxBytes, true, Infinity));
  }

  /**
   * Whether log entries to this peer must wait for the recovery throttle: only a learner's, and
   * only while the shard's bucket is in debt. A wake-up is armed to send again then.
   */
  private learnerThrottled(to: NodeId, p: Progress): boolean {
    const throttle = this.o.recoveryThrottle;
    if (throttle === undefined || !this.config.learners.includes(to)) return false;
    if (p.next < this.raftLog.startOffset || p.next > this.raftLog.lastIndex) return false; // a snapshot or a probe: no log data
    const waitMs = throttle.waitMs(this.now);
    if (waitMs === 0) return false;
    if (this.cancelThrottleWake === null) {
      this.cancelThrottleWake = this.o.timers.after(waitMs, () =>
        this.enqueue(async () => {
          this.cancelThrottleWake = null;
          if (this.role === "leader") await this.replicate();
        }),
      );
    }
    return true;
  }

  private async onHeartbeatTick(): Promise<void> {
    if (this.role !== "leader") return;
    const ticked = this.o.heartbeatTicker !== undefined;
    if (!ticked) this.armHeartbeat();
    for (const [id, p] of this.progress) {
      if (ticked && this.caughtUp(p)) continue; // beaten lightly by onTick
      if (p.inflight > 0) {
        // Appends on their way, or being answered: they beat for us. A heartbeat now would be
        // answered with the log end as it is, before the appends behind it, and that answer
        // would send the whole window again (a slow follower got each MiB many times).
        const intervalMs = this.o.timings.heartbeatIntervalMs;
        if (this.now - p.sentMs < intervalMs || this.now - p.lastHeardMs < intervalMs) continue;
        // Silent for an interval since the last send (lost, or the follower stopped): start again from its match.
        p.next = p.match + 1;
        p.inflight = 0;
      }
      if (p.match < this.raftLog.lastIndex) await this.sendAppend(id, p);
      else this.sendHeartbeat(id, p);
    }
  }

  /**
   * The shared ticker's beat, run outside the event queue: a light heartbeat to every peer that
   * holds the whole log; the full tick (an event: appends, stalls, full heartbeats) only if some
   * peer needs more.
   */
  private onTick(): void {
    if (this.stopped || this.role !== "leader") return;
    let full = false;
    const transport = this.o.transport;
    for (const [id, p] of this.progress) {
      // Spelled out, not spread from envelope(): this runs per group and peer every interval.
      if (!this.caughtUp(p)) full = true;
      else if (transport.lightBeat) transport.lightBeat(this.o.group, id, this.term, this.commitIndex);
      else this.send({ kind: "lightBeat", group: this.o.group, from: this.self, to: id, term: this.term, commitIndex: this.commitIndex });
    }
    if (full) this.enqueue(() => this.onHeartbeatTick());
  }

  /** Nothing in flight and the peer acknowledged every entry in this term: a light heartbeat says all it needs. */
  private caughtUp(p: Progress): boolean {
    return !p.lightRefused && p.inflight === 0 && p.match === this.raftLog.lastIndex;
  }

  /**
   * Follower: a light heartbeat. Accepted only from the leader this node follows in that term
   * (a restarted node knows none yet, so it gets full heartbeats until an append or heartbeat
   * names the leader). The leader sent it because this node acknowledged its log up to at least
   * the commit index in this term, so that commit index holds here too.
   */
  receiveLightBeat(from: NodeId, term: Term, commitIndex: Index): void {
    // A term above ours cannot come (the sender had our answer in its term); ignoring it is safe.
    if (!this.started || this.stopped || term > this.term) return;
    if (this.role === "leader" && term === this.term) throw new AssertionError(`two leaders in term ${this.term}: ${this.self} and ${from}`);
    const accepted = term === this.term && this.role === "follower" && this.leaderId === from;
    if (accepted) {
      this.leaderContactMs = this.now;
      this.resetElectionTimer();
      if (commitIndex > this.commitIndex) this.enqueue(() => this.onLightCommit(from, term, commitIndex));
    }
    const transport = this.o.transport;
    if (transport.lightBeatReply) transport.lightBeatReply(this.o.group, from, term, accepted);
    else this.send({ kind: "lightBeatReply", group: this.o.group, from: this.self, to: from, term, accepted });
  }

  private onLightCommit(from: NodeId, term: Term, commitIndex: Index): void {
    if (this.term === term && this.role === "follower" && this.leaderId === from) this.advanceCommit(commitIndex);
  }

  /** Leader: a follower answered a light heartbeat; a refusal means full heartbeats to it from the next tick. */
  receiveLightBeatReply(from: NodeId, term: Term, accepted: boolean): void {
    if (this.stopped || this.role !== "leader" || term !== this.term) return;
    const p = this.progress.get(from);
    if (p === undefined) return;
    if (accepted) p.lastHeardMs = this.now;
    else p.lightRefused = true;
  }

  private sendHeartbeat(to: NodeId, p: Progress): void {
    const known = p.match >= this.raftLog.startOffset - 1;
    const prevIndex = known ? p.match : NO_INDEX;
    const prevTerm = known ? this.raftLog.termAt(p.match)! : NO_TERM;
    this.send({ ...this.envelope(to), kind: "heartbeat", prevIndex, prevTerm, commitIndex: this.commitIndex });
  }

  // ---- leader: proposals and membership ----

  private async appendQueued(): Promise<void> {
    this.proposalsScheduled = false;
    const items = this.queued;
    this.queued = [];
    let run: Proposal[] = [];
    for (const item of items) {
      const refusal = this.refusal();
      if (refusal !== null) {
        item.resolve({ ok: false, error: refusal });
        continue;
      }
      if (item.batches !== null) {
        if (this.validProposal(item.batches)) run.push(item);
        else item.resolve({ ok: false, error: "invalidBatch" });
        continue;
      }
      await this.appendRun(run);
      run = [];
      await this.changeConfig(item.change, item.resolve);
    }
    await this.appendRun(run);
  }

  private refusal(): RaftError | null {
    if (this.role !== "leader") return "notLeader";
    if (this.transfer !== null) return "transferring";
    return null;
  }

  private validProposal(batches: Uint8Array): boolean {
    const check = rb.validateBatches(batches, this.o.logConfig?.maxMessageBytes ?? 1024 * 1024);
    if (!check.ok) return false;
    // Configurations are the group's own; other control batches (transaction markers) come from the partition's owner.
    return rb.scanBatches(batches, 0, (at) => (rb.attributes(batches, at) & rb.ATTR_CONTROL) === 0 || decodeConfigBatch(batches, at) === null) === batches.length;
  }

  /** Appends proposals as one write and one fdatasync; each resolves when its last batch commits. */
  private async appendRun(run: Proposal[]): Promise<void> {
    if (run.length === 0) return;
    let next = this.raftLog.lastIndex + 1;
    const ranges: Array<{ baseOffset: Index; lastOffset: Index }> = [];
    for (const item of run) {
      const baseOffset = next;
      rb.scanBatches(item.batches, 0, (at) => void (next += rb.lastOffsetDelta(item.batches, at) + 1));
      ranges.push({ baseOffset, lastOffset: next - 1 });
      this.pending.push({ index: next - 1, term: this.term, resolve: item.resolve });
    }
    const bytes = concatBytes(run.map((r) => r.batches));
    // Offsets and terms are stamped, and the log's end moved, before the write is done: the
    // followers get the entries from these bytes at once, so their write and fdatasync overlap
    // ours (thesis §10.2.1); the commit counts ours once it is synced.
    const writing = this.raftLog.writeAsLeader(bytes, this.term, this.now);
    writing.catch(() => {}); // a failure is awaited below, after the sends; not "unhandled" meanwhile
    this.unwritten = { base: ranges[0]!.baseOffset, bytes };
    try {
      await this.replicate();
      const last = await this.io(writing);
      assert(last === next - 1, () => `leader append ended at ${last}, expected ${next - 1}`);
    } finally {
      this.unwritten = null;
    }
    await this.io(this.raftLog.sync());
    run.forEach((item, i) => item.onAppended?.(ranges[i]!));
    this.maybeCommit();
  }

  private async changeConfig(change: ConfigChange, resolve: (r: ProposeResult) => void): Promise<void> {
    if (this.raftLog.config.index > this.commitIndex) return resolve({ ok: false, error: "configChangeInProgress" });
    const next = this.nextConfig(change);
    if (typeof next === "string") return resolve({ ok: false, error: next });
    const last = await this.io(this.raftLog.appendAsLeader(configBatch(next, this.now), this.term, this.now));
    // Stepped down (check-quorum) while the entry was written: its fate is a later leader's.
    if (this.role !== "leader") return resolve({ ok: false, error: "notLeader" });
    this.pending.push({ index: last, term: this.term, resolve });
    this.syncProgress();
    this.maybeCommit();
    await this.replicate();
  }

  /** The configuration after a single-server change, or why it is refused. */
  private nextConfig(change: ConfigChange): RaftConfig | RaftError {
    const { voters, learners } = this.config;
    const { id } = change;
    if (change.kind === "addLearner") return isMember(this.config, id) || id < 0 ? "invalidConfigChange" : { voters, learners: sortedIds([...learners, id]) };
    if (change.kind === "promote") {
      if (!learners.includes(id)) return "invalidConfigChange";
      if ((this.progress.get(id)?.match ?? NO_INDEX) < this.commitIndex) return "learnerBehind";
      return { voters: sortedIds([...voters, id]), learners: learners.filter((l) => l !== id) };
    }
    if (id === this.self || !isMember(this.config, id)) return "invalidConfigChange";
    if (learners.includes(id)) return { voters, learners: learners.filter((l) => l !== id) };
    const remaining = voters.filter((v) => v !== id);
    const inTouch = remaining.filter((v) => v === this.self || this.isInTouch(v));
    if (inTouch.length < majority(remaining.length)) return "wouldLoseQuorum";
    return { voters: remaining, learners };
  }

  private isInTouch(id: NodeId): boolean {
    const p = this.progress.get(id);
    return p !== undefined && this.now - p.lastHeardMs < this.o.timings.electionTimeoutMs && p.match >= this.commitIndex;
  }

  // ---- leader: leadership transfer ----

  private async startTransfer(to: NodeId, resolve: (r: TransferResult) => void): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== null) return resolve({ ok: false, error: refusal });
    if (to === this.self || !isVoter(this.config, to)) return resolve({ ok: false, error: "invalidTransferTarget" });
    const token = ++this.transferToken;
    this.transfer = { to, token, sent: false };
    this.cancelTransfer = this.o.timers.after(this.o.timings.electionTimeoutMs, () =>
      this.enqueue(() => {
        if (this.transfer?.token === token) this.endTransfer();
      }),
    );
    resolve({ ok: true });
    const p = this.progress.get(to)!;
    if (p.match === this.raftLog.lastIndex) this.maybeSendTimeoutNow(to, p);
    else await this.sendAppend(to, p);
  }

  private maybeSendTimeoutNow(id: NodeId, p: Progress): void {
    const t = this.transfer;
    if (t === null || t.to !== id || t.sent || p.match !== this.raftLog.lastIndex) return;
    t.sent = true;
    this.send({ ...this.envelope(id), kind: "timeoutNow" });
  }

  private endTransfer(): void {
    this.transfer = null;
    this.transferToken++;
    this.cancelTransfer?.();
    this.cancelTransfer = null;
  }
}

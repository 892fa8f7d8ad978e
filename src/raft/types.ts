/**
 * The public contract of one Raft group: its messages, what it is given (disk, clock, timers,
 * network, randomness) and what it exposes to its owner and to the simulator's checkers.
 * See README.md for the design.
 */
import type { Clock } from "../base/clock.ts";
import type { Timers } from "../base/timers.ts";
import type { Disk } from "../io/disk.ts";
import type { CompactionStats } from "../storage/compaction.ts";
import type { LogConfig, PartitionLog, SharedLogResources } from "../storage/partition-log.ts";

/** What a group's partition log takes from its topic: segment size, batch bound, compaction (retention is Raft's: prefix truncation only). */
export type RaftLogConfig = Pick<LogConfig, "segmentBytes" | "segmentMs" | "maxMessageBytes" | "cleanup">;

/** A broker (node) id. */
export type NodeId = number;

/** Raft index = Kafka offset: an entry is a record batch and its index is the batch's last offset. */
export type Index = number;
/** Raft term = the batch's `partitionLeaderEpoch`. */
export type Term = number;

/** No entry: the index before an empty log starting at 0, and its term. */
export const NO_INDEX = -1;
export const NO_TERM = -1;
/** `votedFor` when the node has not voted in its current term. */
export const NO_VOTE = -1;

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/** Voters vote and count for commit; learners only receive the log. Disjoint, each sorted. */
export interface RaftConfig {
  voters: NodeId[];
  learners: NodeId[];
}

// ---- messages ----
// Every message names its group (so one connection carries many groups), sender and receiver,
// and the sender's current term. Entries travel as whole Kafka record batches, bytes unchanged.

interface Envelope {
  group: number;
  from: NodeId;
  to: NodeId;
  term: Term;
}

/** Pre-vote (thesis §9.6): "would you vote for me in `term`?" (term = the sender's term + 1); changes no one's term. */
export interface PreVoteRequest extends Envelope {
  kind: "preVote";
  lastIndex: Index;
  lastTerm: Term;
}
export interface PreVoteReply extends Envelope {
  kind: "preVoteReply";
  granted: boolean;
}

export interface VoteRequest extends Envelope {
  kind: "vote";
  lastIndex: Index;
  lastTerm: Term;
  /** Sent after TimeoutNow: voters ignore their leader stickiness for it (thesis §4.2.3). */
  transfer: boolean;
}
export interface VoteReply extends Envelope {
  kind: "voteReply";
  granted: boolean;
}

/**
 * AppendEntries. `entries` are whole record batches (possibly none) starting at `prevIndex + 1`,
 * each stamped with its term as partitionLeaderEpoch. Followers may commit up to
 * min(commitIndex, the last index this message proved matching).
 */
export interface AppendRequest extends Envelope {
  kind: "append";
  prevIndex: Index;
  prevTerm: Term;
  commitIndex: Index;
  entries: Uint8Array;
}

/**
 * Heartbeat: an AppendEntries without entries, kept small and separate so that an owner can
 * batch the heartbeats of many groups to one peer into one network message (as Redpanda does).
 * Answered with an AppendReply.
 */
export interface HeartbeatRequest extends Envelope {
  kind: "heartbeat";
  prevIndex: Index;
  prevTerm: Term;
  commitIndex: Index;
}

/**
 * Answer to an append, heartbeat or snapshot. On success `matchIndex` is the last index the
 * follower holds durably (fdatasync'ed) and knows to match the leader. On a reject, fast back-off
 * (thesis §5.3 optimisation): `conflictTerm` is the follower's term at prevIndex (NO_TERM if its log
 * is shorter) and `conflictIndex` the first index of that term in its log (or its last index + 1).
 */
export interface AppendReply extends Envelope {
  kind: "appendReply";
  success: boolean;
  matchIndex: Index;
  conflictTerm: Term;
  conflictIndex: Index;
  /** The follower's last log index, for the leader's progress view. */
  lastIndex: Index;
}

/** Leadership transfer: the receiver starts an election at once, without pre-vote. */
export interface TimeoutNowRequest extends Envelope {
  kind: "timeoutNow";
}

/**
 * InstallSnapshot, Kafka-log style: the state machine is the log itself, so a snapshot is just
 * "your log starts at `startOffset`; the entry before it had term `prevTerm`; the configuration
 * there was `config`". The follower discards its log and restarts it empty at `startOffset`;
 * replication then continues with AppendEntries. Answered with an AppendReply.
 */
export interface InstallSnapshotRequest extends Envelope {
  kind: "installSnapshot";
  startOffset: Index;
  prevTerm: Term;
  config: RaftConfig;
}

/**
 * Light heartbeat (Redpanda's lightweight heartbeat): what a leader sends, instead of a full
 * heartbeat, to a follower that has acknowledged its whole log in this term and knows nothing is
 * in flight: "I still lead in `term`; the commit index is `commitIndex`". It carries no log
 * position, so it costs the follower no log lookup and no event; a follower that does not follow
 * `from` in `term` (restarted, moved on) refuses it and the leader falls back to full heartbeats.
 */
export interface LightBeat extends Envelope {
  kind: "lightBeat";
  commitIndex: Index;
}

/** Answer to a light heartbeat, in the beat's term: `accepted` (the follower follows the sender in that term) or not. */
export interface LightBeatReply extends Envelope {
  kind: "lightBeatReply";
  accepted: boolean;
}

export type RaftMessage =
  | LightBeat
  | LightBeatReply
  | PreVoteRequest
  | PreVoteReply
  | VoteRequest
  | VoteReply
  | AppendRequest
  | HeartbeatRequest
  | AppendReply
  | TimeoutNowRequest
  | InstallSnapshotRequest;

// ---- what a group is given ----

/** The network: fire and forget; messages may be lost, duplicated, delayed or reordered. */
export interface RaftTransport {
  send(message: RaftMessage): void;
  /**
   * Packed forms of a light heartbeat and its answer, where the transport has them (the broker's
   * batcher): the same message, without an object per group and peer. Without them: `send`.
   */
  lightBeat?(group: number, to: NodeId, term: Term, commitIndex: Index): void;
  lightBeatReply?(group: number, to: NodeId, term: Term, accepted: boolean): void;
}

/** What a group receives: messages, and the packed light heartbeats and answers (RaftTransport). */
export interface RaftReceiver {
  receive(message: RaftMessage): void;
  /** As `receive` of a LightBeat from `from` to this node, in this group. */
  receiveLightBeat(from: NodeId, term: Term, commitIndex: Index): void;
  /** As `receive` of a LightBeatReply from `from` to this node, in this group. */
  receiveLightBeatReply(from: NodeId, term: Term, accepted: boolean): void;
}

/**
 * One clock for the heartbeats of many leaders (Redpanda's heartbeat manager): each leader's
 * `tick` runs once per heartbeat interval, all on the same timer, instead of a timer per group.
 */
export interface HeartbeatTicker {
  /** Calls `tick` every interval until the returned function is called. */
  add(tick: () => void): () => void;
}

export interface RaftTimings {
  /** Base election timeout; each wait is uniformly random in [electionTimeoutMs, 2 × electionTimeoutMs). */
  electionTimeoutMs: number;
  /** Leader's heartbeat period; must be well below electionTimeoutMs. */
  heartbeatIntervalMs: number;
}

/** The recovery throttle as a group uses it (`recovery-throttle.ts`); the time is passed in. */
export interface LearnerThrottle {
  /** Milliseconds until learners may be sent log entries again (0: now). */
  waitMs(nowMs: number): number;
  /** Bytes just sent to a learner. */
  take(bytes: number, nowMs: number): void;
}

export interface RaftGroupOptions {
  group: number;
  self: NodeId;
  disk: Disk;
  /** The owner's cache, read-ahead budget and file LRU for the group's log (each log has its own without). */
  logResources?: SharedLogResources;
  /** Directory of this group's files: hard state, snapshot record, and `log/` (the partition log). */
  dir: string;
  clock: Clock;
  timers: Timers;
  transport: RaftTransport;
  /** Uniform in [0, 1); the only randomness (election timeouts). */
  random: () => number;
  timings: RaftTimings;
  /**
   * Shared heartbeat clock (its interval is `timings.heartbeatIntervalMs`). With it the leader
   * sends light heartbeats to caught-up followers; without it, a timer of its own and full ones.
   */
  heartbeatTicker?: HeartbeatTicker;
  /** The configuration of a brand-new group (empty log, no snapshot record); ignored otherwise. */
  bootstrap: RaftConfig;
  /** Called after an event that changed the role, the term or the known leader (Kafka's leader and epoch follow it). */
  onStateChange?: (state: RaftState) => void;
  /** A follower appended these batches (offsets and terms as in its log) and fdatasync'ed them. */
  onFollowerAppend?: (batches: Uint8Array) => void;
  /** Entries from `endOffset` on were removed (a conflicting suffix; 0 when InstallSnapshot reset the whole log). */
  onLogCut?: (endOffset: Index) => void;
  /** Called, in order, each time the commit index advances (on every member, leader or not). */
  onCommit?: (commitIndex: Index) => void;
  log?: (message: string) => void;
  /** Largest AppendRequest payload the leader builds, in bytes (at least one batch is always sent). */
  appendBytesMax?: number;
  /**
   * Bytes of log entries sent to learners (a move's catch-up; never voters) are drawn from this
   * bucket, shared by the groups of a shard (`recovery-throttle.ts`, `raft_learner_recovery_rate`).
   */
  recoveryThrottle?: LearnerThrottle;
  /** Appends the leader sends a follower before it has answered the first (default 8; 1: stop-and-wait). */
  appendsInFlightMax?: number;
  /**
   * False while this node should not take leadership (maintenance mode): with other voters in
   * the group it ignores TimeoutNow and campaigns on its election timeout only once no leader was
   * heard for a few election timeouts; it still votes. Only liveness depends on it. Default: may.
   */
  mayCampaign?: () => boolean;
  /**
   * This node is the group's preferred first leader (Kafka's first replica). While the group has
   * never had a term (a topic just created) it pre-votes every quarter heartbeat interval instead of
   * waiting a random [T, 2T), so a new partition has a leader in milliseconds. Only liveness
   * depends on it: pre-votes keep the early tries from raising the term.
   */
  preferredFirstLeader?: boolean;
  logConfig?: RaftLogConfig;
  /**
   * A disk error or a broken invariant inside the group: it has stopped (as if crashed). Without
   * this callback the error is rethrown, which stops the process.
   */
  onFailure?: (error: unknown) => void;
}

// ---- what a group answers ----

export type RaftError =
  /** Not the leader (or stepped down before the entry committed: its fate is then unknown). */
  | "notLeader"
  /** A leadership transfer is under way; proposals wait for its end. */
  | "transferring"
  /** A configuration change is not yet committed: one change at a time. */
  | "configChangeInProgress"
  /** The change makes no sense for the current configuration (unknown node, already a voter, ...). */
  | "invalidConfigChange"
  /** A learner to promote has not caught up with the commit index. */
  | "learnerBehind"
  /** The change would leave fewer voters in touch with the leader than a majority of the new set. */
  | "wouldLoseQuorum"
  /** A transfer target that is not another voter. */
  | "invalidTransferTarget"
  /** Not whole, valid record batches, or one larger than the log's maxMessageBytes. */
  | "invalidBatch"
  /** The group was stopped or its log failed. */
  | "stopped";

export interface RaftState {
  role: Role;
  term: Term;
  leaderId: NodeId | null;
}

export interface ProposeOptions {
  /** Called once the proposal is written and fdatasync'ed in the leader's log (Kafka's acks=1), with its offsets. */
  onAppended?: (range: { baseOffset: Index; lastOffset: Index }) => void;
}

export type ProposeResult = { ok: true; index: Index; term: Term } | { ok: false; error: RaftError };

/** Per-peer replication progress, as the leader sees it. */
export interface PeerProgress {
  id: NodeId;
  matchIndex: Index;
  nextIndex: Index;
  /** Clock time the leader last heard from this peer (any reply of its term). */
  lastHeardMs: number;
}

/** A snapshot of a node's volatile and durable state, for checkers and the admin API. */
export interface RaftInspect {
  self: NodeId;
  role: Role;
  term: Term;
  votedFor: NodeId;
  leaderId: NodeId | null;
  commitIndex: Index;
  /** First index in the log; entries below it were prefix-truncated (snapshot). */
  logStartOffset: Index;
  /** Term of the entry at logStartOffset - 1 (the snapshot's term), NO_TERM for none. */
  snapshotTerm: Term;
  /** Index of the last entry written and fdatasync'ed. */
  durableIndex: Index;
  lastIndex: Index;
  lastTerm: Term;
  /** The configuration in force: the last one in the log (committed or not). */
  config: RaftConfig;
  /** Index of the batch holding `config`, NO_INDEX if it came from bootstrap/snapshot. */
  configIndex: Index;
  /** Leader only. */
  peers: PeerProgress[];
  transferringTo: NodeId | null;
  /** Set once the group stopped (stop(), or a failure). */
  stopped: boolean;
}

/** One entry of the log as a checker compares it: index (last offset), first offset, term and CRC-32C. */
export interface LogEntryInfo {
  index: Index;
  baseOffset: Index;
  term: Term;
  crc: number;
  isConfig: boolean;
}

/** The durable (term, votedFor) record as read back from disk. */
export interface HardState {
  term: Term;
  votedFor: NodeId;
}

/** Result of a leadership transfer request: started (it ends when the target wins or after an election timeout). */
export type TransferResult = { ok: true } | { ok: false; error: RaftError };

/**
 * What an owner (the broker, the simulator) does with a group. `RaftGroup.open(options)` makes one;
 * `RaftGroup.readHardState(disk, dir)` reads the durable (term, votedFor) without opening it.
 */
export interface RaftGroupApi extends RaftReceiver {
  /** Arms the election timer; until then the group only answers messages. */
  start(): void;
  /** Hands the group a message addressed to it (any order; duplicates and stale ones are fine). */
  receive(message: RaftMessage): void;
  /**
   * Leader only: appends whole record batches (the group stamps the term as partitionLeaderEpoch
   * and assigns offsets; the buffer is the group's from now on). Resolves once committed, or with
   * an error if refused or if leadership was lost first (then the entry may or may not commit).
   */
  propose(batches: Uint8Array, options?: ProposeOptions): Promise<ProposeResult>;
  /** Membership, one change at a time, each taking effect when appended (single-server changes). */
  addLearner(id: NodeId): Promise<ProposeResult>;
  /** Learner → voter, once it has caught up with the commit index. */
  promoteLearner(id: NodeId): Promise<ProposeResult>;
  /** Removes a learner or a voter (not the leader itself: transfer first); refuses to lose a majority. */
  removeNode(id: NodeId): Promise<ProposeResult>;
  /** Leadership transfer to a voter (TimeoutNow once it has caught up). Proposals are refused meanwhile. */
  transferLeadership(to: NodeId): Promise<TransferResult>;
  /** Prefix truncation: the log starts at `offset` (a batch start at or below commitIndex + 1) from now on. */
  truncatePrefix(offset: Index): Promise<void>;
  inspect(): RaftInspect;
  /** Term of the entry holding `index` (the snapshot's term at start - 1), null outside the log. */
  termAt(index: Index): Term | null;
  /**
   * Kafka's OffsetForLeaderEpoch: the largest term in the log at or below `epoch` and the first
   * index after its entries (the next term's first index, or the log end); null if none is.
   */
  epochEnd(epoch: Term): { epoch: Term; endOffset: Index } | null;
  /** The partition log under the group, for its owner's reads (fetch, offsets by time, sizes); never written through. */
  readonly partitionLog: PartitionLog;
  /**
   * One Kafka compaction pass of the log (a compacted topic) below `stableOffset`, and never past
   * the commit index, so no entry a new leader could cut is rewritten; a batch left with no record
   * stays as an empty batch, so every entry keeps its offsets and term. Null: nothing was due.
   */
  compact(options: { nowMs: number; keyMapBudgetBytes: number; stableOffset: Index }): Promise<CompactionStats | null>;
  /** Every entry in the log (written, not necessarily durable), oldest first. */
  inspectLog(): Promise<LogEntryInfo[]>;
  /** Whole batches from the one holding `offset`, at most `maxBytes` (at least one), below lastIndex + 1. */
  read(offset: Index, maxBytes: number): Promise<Uint8Array>;
  /** Resolves once every message and timer event handed to the group so far has been processed. */
  idle(): Promise<void>;
  /**
   * A crash, for the simulator: at once, timers are cancelled, later inputs ignored and pending
   * proposals answered "stopped"; the promise resolves once the event in progress has abandoned
   * its work, after which the group touches the disk no more (then crash the disk).
   */
  stop(): Promise<void>;
  /** Clean shutdown: stop, then wait for the log's writes and close its files. */
  close(): Promise<void>;
}

/**
 * One classic consumer group's state machine (Kafka's GroupMetadata + the membership half of
 * its GroupCoordinator): Empty → PreparingRebalance → CompletingRebalance → Stable, and Dead
 * once deleted. Single-threaded, no I/O and no timers of its own: time comes from the Clock,
 * and the coordinator calls tick() at nextDeadlineMs(), so tests drive it with a ManualClock.
 */
import { copyBytes } from "../base/bytes.ts";
import type { Clock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type {
  DescribedGroupInfo, GroupStateName, HeartbeatArgs, JoinArgs, JoinResult, LeaveResult, MemberRef, ProtocolOffer, SyncArgs, SyncResult,
} from "./types.ts";

export interface GroupConfig {
  /** How long a new group's first rebalance waits for more members (group_initial_rebalance_delay). */
  initialRebalanceDelayMs: number;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestampMs: number;
}

/** A joined member: what its JoinGroup said, plus its state in the group. */
interface Member extends Omit<JoinArgs, "groupId" | "requireKnownMemberId"> {
  assignment: Uint8Array;
  lastHeartbeatMs: number;
  joinWaiter: ((result: JoinResult) => void) | null;
  syncWaiter: ((result: SyncResult) => void) | null;
}

const EMPTY_BYTES = new Uint8Array(0);

export class Group {
  state: GroupStateName = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Committed offsets by `topic/partition`. */
  readonly offsets = new Map<string, CommittedOffset & { topic: string; partition: number }>();
  /** Offsets committed inside transactions not yet ended (TxnOffsetCommit), by producer id, then `topic/partition`. */
  readonly pendingTxnOffsets = new Map<number, Map<string, CommittedOffset & { topic: string; partition: number }>>();
  private readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED, each with the time it expires unless used. */
  private readonly pendingMembers = new Map<string, number>();
  private readonly staticMembers = new Map<string, string>(); // group.instance.id → member id
  private rebalanceDeadlineMs = 0;
  private initialDelayActive = false;
  private syncDeadlineMs = 0;

  constructor(
    readonly groupId: string,
    private readonly clock: Clock,
    private readonly config: GroupConfig,
    /** Called when a new generation starts (or the group empties), so it can be persisted. */
    private readonly onGeneration: (group: Group) => void = () => {},
  ) {}

  get memberCount(): number {
    return this.members.size;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  join(args: JoinArgs): Promise<JoinResult> {
    if (this.state === "Dead") return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, args.memberId));
    if (!this.acceptsProtocols(args.protocolType, args.protocols)) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, args.memberId));
    }
    return args.memberId === "" ? this.joinNewMember(args) : this.joinKnownMember(args);
  }

  private joinNewMember(args: JoinArgs): Promise<JoinResult> {
    if (this.members.size + this.pendingMembers.size >= limits.groupMembersMax) {
      return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, ""));
    }
    const memberId = `${args.groupInstanceId ?? args.clientId}-${crypto.randomUUID()}`;
    if (args.groupInstanceId !== null) {
      const previous = this.staticMembers.get(args.groupInstanceId);
      if (previous !== undefined) return this.replaceStaticMember(previous, memberId, args);
    } else if (args.requireKnownMemberId) {
      this.pendingMembers.set(memberId, this.clock.nowMs() + args.sessionTimeoutMs);
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    return this.addMember(memberId, args);
  }

  private joinKnownMember(args: JoinArgs): Promise<JoinResult> {
    if (this.pendingMembers.delete(args.memberId)) return this.addMember(args.memberId, args);
    const member = this.members.get(args.memberId);
    if (!member) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, args.memberId));
    if (this.isFenced(args.groupInstanceId, args.memberId)) return Promise.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, args.memberId));
    member.lastHeartbeatMs = this.clock.nowMs();
    const unchanged = sameProtocols(member.protocols, args.protocols);
    if (this.state === "CompletingRebalance" && unchanged) return Promise.resolve(this.joinAnswer(member));
    if (this.state === "Stable" && unchanged && member.memberId !== this.leaderId) return Promise.resolve(this.joinAnswer(member));
    updateMember(member, args);
    const joined = this.waitForJoin(member);
    if (this.state === "PreparingRebalance") this.maybeCompleteJoin();
    else this.prepareRebalance();
    return joined;
  }

  private addMember(memberId: string, args: JoinArgs): Promise<JoinResult> {
    const member: Member = {
      memberId, groupInstanceId: args.groupInstanceId, clientId: args.clientId, clientHost: args.clientHost,
      sessionTimeoutMs: 0, rebalanceTimeoutMs: 0, protocolType: "", protocols: [], assignment: EMPTY_BYTES,
      lastHeartbeatMs: this.clock.nowMs(), joinWaiter: null, syncWaiter: null,
    };
    updateMember(member, args);
    this.members.set(memberId, member);
    if (args.groupInstanceId !== null) this.staticMembers.set(args.groupInstanceId, memberId);
    if (this.leaderId === null) this.leaderId = memberId;
    const joined = this.waitForJoin(member);
    if (this.state === "PreparingRebalance") this.maybeCompleteJoin();
    else this.prepareRebalance();
    return joined;
  }

  /** A static member came back without its id: it takes over its old slot, fencing the old id. */
  private replaceStaticMember(oldId: string, newId: string, args: JoinArgs): Promise<JoinResult> {
    const member = this.members.get(oldId)!;
    member.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    member.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.joinWaiter = null;
    member.syncWaiter = null;
    this.members.delete(oldId);
    member.memberId = newId;
    this.members.set(newId, member);
    this.staticMembers.set(args.groupInstanceId!, newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    member.lastHeartbeatMs = this.clock.nowMs();
    if (this.state === "Stable" && sameProtocols(member.protocols, args.protocols)) {
      updateMember(member, args);
      return Promise.resolve(this.joinAnswer(member));
    }
    updateMember(member, args);
    const joined = this.waitForJoin(member);
    if (this.state === "PreparingRebalance") this.maybeCompleteJoin();
    else this.prepareRebalance();
    return joined;
  }

  private waitForJoin(member: Member): Promise<JoinResult> {
    // A member that joins twice in one round keeps only the newer request; the older one is told to retry.
    member.joinWaiter?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    return new Promise((resolve) => (member.joinWaiter = resolve));
  }

  private joinAnswer(member: Member): JoinResult {
    const isLeader = member.memberId === this.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? "",
      memberId: member.memberId,
      members: isLeader ? [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: metadataFor(m, this.protocolName) })) : [],
    };
  }

  private prepareRebalance(): void {
    if (this.state === "CompletingRebalance") {
      for (const member of this.members.values()) {
        member.assignment = EMPTY_BYTES;
        member.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.syncWaiter = null;
      }
    }
    const wasEmpty = this.state === "Empty";
    const rebalanceTimeoutMs = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.state = "PreparingRebalance";
    this.initialDelayActive = wasEmpty && this.config.initialRebalanceDelayMs > 0;
    const waitMs = this.initialDelayActive ? Math.min(this.config.initialRebalanceDelayMs, rebalanceTimeoutMs) : rebalanceTimeoutMs;
    this.rebalanceDeadlineMs = this.clock.nowMs() + waitMs;
    this.maybeCompleteJoin();
  }

  /** The join phase ends once every known member has rejoined (and no new id is pending), or at the deadline. */
  private maybeCompleteJoin(): void {
    if (this.state !== "PreparingRebalance") return;
    if (this.initialDelayActive && this.clock.nowMs() < this.rebalanceDeadlineMs) return;
    const allJoined = [...this.members.values()].every((m) => m.joinWaiter !== null);
    if (allJoined && this.pendingMembers.size === 0) this.completeJoin();
  }

  private completeJoin(): void {
    this.initialDelayActive = false;
    for (const member of [...this.members.values()]) if (member.joinWaiter === null) this.removeMember(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    this.generationId++;
    if (this.members.size === 0) {
      this.state = "Empty";
      this.protocolName = null;
      this.leaderId = null;
      this.onGeneration(this);
      return;
    }
    const first = this.members.values().next().value!;
    this.protocolType = first.protocolType;
    this.protocolName = this.selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = first.memberId;
    this.state = "CompletingRebalance";
    const nowMs = this.clock.nowMs();
    this.syncDeadlineMs = nowMs + Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    for (const member of this.members.values()) {
      member.lastHeartbeatMs = nowMs;
      const waiter = member.joinWaiter!;
      member.joinWaiter = null;
      waiter(this.joinAnswer(member));
    }
    this.onGeneration(this);
  }

  /** Each member votes for its most preferred protocol that every member supports; most votes wins. */
  private selectProtocol(): string {
    const members = [...this.members.values()];
    const candidates = members[0].protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const member of members) {
      const choice = member.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    // acceptsProtocols() keeps at least one protocol common to all; the fallback is only defensive.
    let best = candidates[0] ?? members[0].protocols[0].name;
    if (!votes.has(best)) votes.set(best, 0);
    for (const [name, count] of votes) if (count > votes.get(best)!) best = name;
    return best;
  }

  sync(args: SyncArgs): Promise<SyncResult> {
    const problem = this.checkMember(args.memberId, args.groupInstanceId, args.generationId);
    if (problem !== ErrorCode.NONE) return Promise.resolve(syncError(problem));
    if ((args.protocolType !== null && args.protocolType !== this.protocolType) || (args.protocolName !== null && args.protocolName !== this.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = this.members.get(args.memberId)!;
    if (this.state === "PreparingRebalance") return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (this.state === "Stable") return Promise.resolve(this.syncAnswer(member));
    member.lastHeartbeatMs = this.clock.nowMs();
    member.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    const synced = new Promise<SyncResult>((resolve) => (member.syncWaiter = resolve));
    if (member.memberId === this.leaderId) this.applyAssignments(args.assignments);
    return synced;
  }

  private applyAssignments(assignments: SyncArgs["assignments"]): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    this.state = "Stable";
    for (const member of this.members.values()) {
      const assignment = byMember.get(member.memberId);
      member.assignment = assignment ? copyBytes(assignment) : EMPTY_BYTES;
      const waiter = member.syncWaiter;
      member.syncWaiter = null;
      waiter?.(this.syncAnswer(member));
    }
  }

  private syncAnswer(member: Member): SyncResult {
    return { errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: member.assignment };
  }

  heartbeat(args: HeartbeatArgs): number {
    const problem = this.checkMember(args.memberId, args.groupInstanceId, args.generationId);
    if (problem !== ErrorCode.NONE) return problem;
    this.members.get(args.memberId)!.lastHeartbeatMs = this.clock.nowMs();
    return this.state === "PreparingRebalance" ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** The checks Heartbeat and SyncGroup share, in Kafka's order. */
  private checkMember(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.isFenced(groupInstanceId, memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (this.state === "Empty" || !this.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  /** Whether a TxnOffsetCommit may go ahead: v0–2 carry no member (generation -1) and are not checked, as in Kafka. */
  checkTxnCommit(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0) return ErrorCode.NONE;
    return this.checkCommit(memberId, groupInstanceId, generationId);
  }

  /** Whether a commit from this member at this generation may go ahead (Kafka's doCommitOffsets rules). */
  checkCommit(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.isFenced(groupInstanceId, memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId < 0 && this.state === "Empty") return ErrorCode.NONE; // a group that only stores offsets
    if (this.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    member.lastHeartbeatMs = this.clock.nowMs();
    return ErrorCode.NONE;
  }

  private isFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  leave(refs: MemberRef[]): LeaveResult {
    if (this.state === "Dead") return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    let removed = false;
    const members = refs.map((ref) => {
      const errorCode = this.leaveOne(ref);
      if (errorCode === ErrorCode.NONE) removed = true;
      return { ...ref, errorCode };
    });
    if (removed) this.afterMembershipChange();
    return { errorCode: ErrorCode.NONE, members };
  }

  private leaveOne(ref: MemberRef): number {
    if (ref.groupInstanceId !== null) {
      const memberId = this.staticMembers.get(ref.groupInstanceId);
      if (memberId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (ref.memberId !== "" && ref.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      this.removeMember(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      return ErrorCode.NONE;
    }
    if (this.pendingMembers.delete(ref.memberId)) return ErrorCode.NONE;
    if (!this.members.has(ref.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(ref.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    return ErrorCode.NONE;
  }

  private removeMember(memberId: string, errorCode: number): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.members.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId);
    member.joinWaiter?.(joinError(errorCode, memberId));
    member.syncWaiter?.(syncError(errorCode));
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  private afterMembershipChange(): void {
    if (this.state === "Stable" || this.state === "CompletingRebalance") this.prepareRebalance();
    else this.maybeCompleteJoin();
  }

  /** Expires sessions, pending ids and phase deadlines that are due. */
  tick(): void {
    const nowMs = this.clock.nowMs();
    let changed = false;
    for (const [memberId, deadlineMs] of this.pendingMembers) {
      if (nowMs >= deadlineMs) changed = this.pendingMembers.delete(memberId) || changed;
    }
    for (const member of [...this.members.values()]) {
      const waiting = member.joinWaiter !== null || member.syncWaiter !== null;
      if (!waiting && nowMs >= member.lastHeartbeatMs + member.sessionTimeoutMs) {
        this.removeMember(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
        changed = true;
      }
    }
    if (this.state === "PreparingRebalance" && nowMs >= this.rebalanceDeadlineMs) this.completeJoin();
    else if (this.state === "CompletingRebalance" && nowMs >= this.syncDeadlineMs) this.expireUnsynced();
    else if (changed) this.afterMembershipChange();
  }

  /** The leader never sent its assignment in time: members that did not sync are dropped, and the group tries again. */
  private expireUnsynced(): void {
    for (const member of [...this.members.values()]) if (member.syncWaiter === null) this.removeMember(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    this.prepareRebalance();
  }

  /** When tick() next has work, or null when nothing is timed. */
  nextDeadlineMs(): number | null {
    let next = Infinity;
    for (const deadlineMs of this.pendingMembers.values()) next = Math.min(next, deadlineMs);
    for (const m of this.members.values()) if (m.joinWaiter === null && m.syncWaiter === null) next = Math.min(next, m.lastHeartbeatMs + m.sessionTimeoutMs);
    if (this.state === "PreparingRebalance") next = Math.min(next, this.rebalanceDeadlineMs);
    if (this.state === "CompletingRebalance") next = Math.min(next, this.syncDeadlineMs);
    return next === Infinity ? null : next;
  }

  /** A non-empty group accepts only members of its protocol type that share a protocol with everyone. */
  private acceptsProtocols(protocolType: string, protocols: ProtocolOffer[]): boolean {
    if (protocolType === "" || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    const members = [...this.members.values()];
    if (members.some((m) => m.protocolType !== protocolType)) return false;
    return protocols.some((offer) => members.every((m) => m.protocols.some((p) => p.name === offer.name)));
  }

  /** Marks the group deleted: every waiting request is told to find the coordinator again. */
  /** The group ends here (stopped, deleted, or in a cluster moved away); members waiting get `memberErrorCode`. */
  markDead(memberErrorCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE): void {
    for (const memberId of [...this.members.keys()]) this.removeMember(memberId, memberErrorCode);
    this.pendingMembers.clear();
    this.state = "Dead";
  }

  describe(): DescribedGroupInfo {
    const stable = this.state === "Stable";
    return {
      errorCode: ErrorCode.NONE,
      groupId: this.groupId,
      state: this.state,
      protocolType: this.protocolType ?? "",
      protocolData: this.state === "Stable" || this.state === "CompletingRebalance" ? (this.protocolName ?? "") : "",
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? metadataFor(m, this.protocolName) : EMPTY_BYTES,
        assignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  /** The protocol metadata blobs members sent for the chosen protocol (OffsetDelete reads subscriptions from them). */
  memberMetadata(): Uint8Array[] {
    return [...this.members.values()].map((m) => metadataFor(m, this.protocolName));
  }
}

function updateMember(member: Member, args: JoinArgs): void {
  member.sessionTimeoutMs = args.sessionTimeoutMs;
  member.rebalanceTimeoutMs = args.rebalanceTimeoutMs;
  member.protocolType = args.protocolType;
  member.protocols = args.protocols.map((p) => ({ name: p.name, metadata: copyBytes(p.metadata) }));
  member.clientId = args.clientId;
  member.clientHost = args.clientHost;
}

function metadataFor(member: Member, protocolName: string | null): Uint8Array {
  return member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
}

function sameProtocols(a: ProtocolOffer[], b: ProtocolOffer[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && bytesEqual(p.metadata, b[i].metadata));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function joinError(errorCode: number, memberId: string): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: "", memberId, members: [] };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

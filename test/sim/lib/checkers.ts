/**
 * The safety checkers, run after every simulated step against an abstract view of each node
 * (term, vote, role, leader, commit index, log as (index, term, checksum)) and what was seen on
 * the wire. Each broken property throws a Violation naming it.
 */
import { LogMirror, EMPTY_PREFIX, type EntryView, type MirrorEntry } from "./log-mirror.ts";

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

export interface NodeView {
  id: number;
  role: Role;
  term: number;
  /** -1 = no vote in this term. */
  votedFor: number;
  commitIndex: number;
  /** First index in the log; the entry at logStartIndex - 1 is covered by a snapshot. */
  logStartIndex: number;
}

export interface DurableState {
  term: number;
  votedFor: number;
}

/** What a sent message tells the checkers. */
export interface WireFacts {
  from: number;
  to: number;
  /** The sender's term, if the message is one that must only leave once that term is durable. */
  durableTerm: number | null;
  /** Set for a granted (real, not pre-) vote: the voter is `from`, the candidate `to`. */
  voteGrantedInTerm: number | null;
}

export type Property =
  | "election-safety"
  | "log-matching"
  | "leader-completeness"
  | "state-machine-safety"
  | "acked-entry-lost"
  | "durable-state-regressed"
  | "double-vote"
  | "stale-leader"
  /** The code under test threw (an assertion of its own, or a crash). */
  | "assertion";

export class Violation extends Error {
  constructor(
    readonly property: Property,
    readonly detail: string,
  ) {
    super(`${property}: ${detail}`);
  }
}

export interface CheckerOptions {
  nodes: readonly number[];
  /**
   * Virtual ms a leader may go without hearing from a majority before it must have stepped down
   * (check-quorum): the slowest clock's election timeout and check period plus message delay.
   */
  staleLeaderBoundMs: number;
}

interface PerNode {
  up: boolean;
  log: LogMirror;
  /** Highest index of this incarnation's committed prefix already checked against the chain. */
  checkedCommit: number;
  term: number;
  votedFor: number;
  role: Role;
  leaderSinceMs: number;
  /** Virtual time a message from each peer was last delivered to this node. */
  lastHeardMs: Map<number, number>;
  /** Highest term this node sent in a message that requires it durable. */
  durableTermSeen: number;
}

interface Ack extends EntryView {
  atMs: number;
}

export class SafetyChecker {
  private readonly nodes = new Map<number, PerNode>();
  private readonly leaderOfTerm = new Map<number, number>();
  private readonly grants = new Map<string, number>();
  /** (index, term) → the entry and prefix some node held there. */
  private readonly seen = new Map<string, { checksum: number; prefix: bigint; node: number }>();
  /** The committed log, as agreed by every node so far, with prefix hashes. */
  private readonly chain: MirrorEntry[] = [];
  /** Highest committed index seen from a node whose term was T. */
  private readonly commitTopByTerm = new Map<number, number>();
  /** Leaders' commit indexes (entry and prefix), increasing in (term, index). */
  private readonly commitPoints: MirrorEntry[] = [];
  private readonly pendingAcks: Ack[] = [];
  private readonly acks: Ack[] = [];
  private readonly majority: number;
  elections = 0;

  constructor(private readonly opts: CheckerOptions) {
    for (const id of opts.nodes) {
      this.nodes.set(id, {
        up: false,
        log: new LogMirror(),
        checkedCommit: -1,
        term: 0,
        votedFor: -1,
        role: "follower",
        leaderSinceMs: 0,
        lastHeardMs: new Map(),
        durableTermSeen: -1,
      });
    }
    this.majority = Math.floor(opts.nodes.length / 2) + 1;
  }

  get committedEntries(): number {
    return this.chain.length;
  }

  get committedIndex(): number {
    return this.chain.length > 0 ? this.chain[this.chain.length - 1].index : -1;
  }

  /** The agreed committed log so far, oldest first. */
  get committed(): readonly EntryView[] {
    return this.chain;
  }

  logOf(id: number): readonly EntryView[] {
    return this.node(id).log.entries;
  }

  /** A node (re)starts; `durable` is its (term, vote) as read from disk before it opened. */
  nodeUp(id: number, durable: DurableState, atMs: number): void {
    const n = this.node(id);
    if (durable.term < n.durableTermSeen) {
      throw new Violation("durable-state-regressed", `n${id} restarted with term ${durable.term} on disk, but had sent messages of term ${n.durableTermSeen}`);
    }
    const grantedTo = this.grants.get(`${id}:${durable.term}`);
    if (grantedTo !== undefined && durable.votedFor !== grantedTo) {
      throw new Violation("durable-state-regressed", `n${id} restarted in term ${durable.term} with vote ${durable.votedFor} on disk, but had granted its vote to n${grantedTo}`);
    }
    n.up = true;
    n.checkedCommit = -1;
    n.term = durable.term;
    n.votedFor = durable.votedFor;
    n.role = "follower";
    n.leaderSinceMs = atMs;
    n.lastHeardMs.clear();
  }

  nodeDown(id: number): void {
    const n = this.node(id);
    n.up = false;
    n.role = "follower";
  }

  sent(facts: WireFacts): void {
    const n = this.node(facts.from);
    if (facts.durableTerm !== null) n.durableTermSeen = Math.max(n.durableTermSeen, facts.durableTerm);
    if (facts.voteGrantedInTerm === null) return;
    const key = `${facts.from}:${facts.voteGrantedInTerm}`;
    const earlier = this.grants.get(key);
    if (earlier !== undefined && earlier !== facts.to) {
      throw new Violation("double-vote", `n${facts.from} voted for n${earlier} and then for n${facts.to} in term ${facts.voteGrantedInTerm}`);
    }
    this.grants.set(key, facts.to);
  }

  delivered(from: number, to: number, atMs: number): void {
    this.node(to).lastHeardMs.set(from, atMs);
  }

  /** The client got an acknowledgement: the entry is committed. */
  acked(entry: EntryView, atMs: number): void {
    this.pendingAcks.push({ ...entry, atMs });
  }

  /** A node's state after a step; `log` when it may have changed since the last call (else null). */
  observe(view: NodeView, log: readonly EntryView[] | null, atMs: number): void {
    const n = this.node(view.id);
    this.checkMonotonic(n, view);
    if (log) this.updateLog(n, view, log);
    this.checkCommitted(n, view);
    this.checkLeader(n, view, atMs);
    n.term = view.term;
    n.votedFor = view.votedFor;
    n.role = view.role;
  }

  /** After every node was observed: acknowledgements must be committed, leaders must be in touch. */
  endOfStep(atMs: number): void {
    for (const ack of this.pendingAcks.splice(0)) {
      const e = this.chainAt(ack.index);
      if (!e || e.term !== ack.term || e.checksum !== ack.checksum) {
        throw new Violation("acked-entry-lost", `entry ${ack.index} (term ${ack.term}) was acknowledged but the committed log has ${describe(e)} there`);
      }
      this.acks.push(ack);
    }
    for (const [id, n] of this.nodes) {
      if (!n.up) continue;
      this.checkElectable(id, n);
      if (n.role === "leader") this.checkInTouch(id, n, atMs);
    }
  }

  /**
   * Leader completeness, in the inductive form that makes it hold. A leader commits index c only
   * when the entry at c is of its own term C (§3.6.2); from then on every log whose last entry is
   * at least (C, c) holds the whole committed prefix up to c (an entry of a later term comes from
   * a leader that held it; one of term C at or past c from the leader that committed it). So no
   * node that could out-vote the committed entries lacks them. Committing an older term's entry
   * by counting breaks this at the commit, long before an election shows the loss.
   */
  private checkElectable(id: number, n: PerNode): void {
    const last = n.log.last();
    const points = this.commitPoints;
    if (!last || !n.log.anchored || points.length === 0) return;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = points[mid];
      if (e.term < last.term || (e.term === last.term && e.index <= last.index)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return;
    const covered = points[lo - 1];
    if (covered.index < (n.log.entries[0]?.index ?? 0)) return;
    const mine = n.log.at(covered.index);
    if (!mine || mine.prefix !== covered.prefix) {
      throw new Violation("leader-completeness", `n${id}'s log ends at index ${last.index} term ${last.term}, so it could be elected, but it lacks committed ${describe(covered)} (has ${describe(mine)})`);
    }
  }

  private checkMonotonic(n: PerNode, view: NodeView): void {
    if (view.term < n.term) throw new Violation("durable-state-regressed", `n${view.id} term went from ${n.term} to ${view.term}`);
    if (view.term === n.term && n.votedFor !== -1 && view.votedFor !== n.votedFor) {
      throw new Violation("double-vote", `n${view.id} changed its vote in term ${view.term} from n${n.votedFor} to n${view.votedFor}`);
    }
  }

  private updateLog(n: PerNode, view: NodeView, log: readonly EntryView[]): void {
    let base = EMPTY_PREFIX;
    let anchored = true;
    if (view.logStartIndex > 0) {
      const anchor = this.chainAt(view.logStartIndex - 1);
      anchored = anchor !== null;
      base = anchor ? anchor.prefix : EMPTY_PREFIX;
    }
    const fresh = n.log.replace(log, base, anchored);
    if (!anchored) return;
    for (const e of fresh) {
      const key = `${e.index}:${e.term}`;
      const other = this.seen.get(key);
      if (!other) {
        this.seen.set(key, { checksum: e.checksum, prefix: e.prefix, node: view.id });
      } else if (other.checksum !== e.checksum) {
        throw new Violation("log-matching", `n${view.id} and n${other.node} hold different entries at index ${e.index} of term ${e.term}`);
      } else if (other.prefix !== e.prefix) {
        throw new Violation("log-matching", `n${view.id} and n${other.node} agree at index ${e.index} term ${e.term} but their logs differ before it`);
      }
    }
  }

  /** The node's committed prefix must be the chain (extending it if the node is ahead). */
  private checkCommitted(n: PerNode, view: NodeView): void {
    if (view.commitIndex <= n.checkedCommit || !n.log.anchored) return;
    const top = n.log.atOrBefore(view.commitIndex);
    if (!top) return;
    const chainTop = this.chain.length > 0 ? this.chain[this.chain.length - 1] : null;
    const overlap = chainTop && chainTop.index < top.index ? chainTop.index : top.index;
    const mine = n.log.atOrBefore(overlap);
    const agreed = this.chainAt(overlap, true);
    if (mine && agreed && (mine.index !== agreed.index || mine.prefix !== agreed.prefix)) {
      throw new Violation("state-machine-safety", `n${view.id} committed ${describe(mine)} but the committed log has ${describe(agreed)} up to index ${overlap}`);
    }
    if (!chainTop || top.index > chainTop.index) {
      for (const e of n.log.entries) if (e.index > (chainTop?.index ?? -1) && e.index <= top.index) this.chain.push(e);
    }
    n.checkedCommit = top.index;
    if (view.role === "leader" && top.index === view.commitIndex) this.addCommitPoint(top);
    this.commitTopByTerm.set(view.term, Math.max(this.commitTopByTerm.get(view.term) ?? -1, top.index));
  }

  private checkLeader(n: PerNode, view: NodeView, atMs: number): void {
    if (view.role !== "leader") return;
    const known = this.leaderOfTerm.get(view.term);
    if (known !== undefined && known !== view.id) {
      throw new Violation("election-safety", `n${known} and n${view.id} are both leaders of term ${view.term}`);
    }
    if (n.role !== "leader" || n.term !== view.term) {
      this.leaderOfTerm.set(view.term, view.id);
      this.elections++;
      n.leaderSinceMs = atMs;
      this.checkComplete(n, view);
    }
  }

  /** Leader completeness: a new leader of term T holds everything committed in terms before T. */
  private checkComplete(n: PerNode, view: NodeView): void {
    if (!n.log.anchored) return;
    for (let i = this.acks.length - 1; i >= 0; i--) {
      const ack = this.acks[i];
      if (ack.term >= view.term || ack.index < view.logStartIndex) continue;
      const mine = n.log.at(ack.index);
      if (!mine || mine.term !== ack.term || mine.checksum !== ack.checksum) {
        throw new Violation("acked-entry-lost", `n${view.id} became leader of term ${view.term} without acknowledged entry ${ack.index} (term ${ack.term}); it has ${describe(mine)}`);
      }
      break;
    }
    let needed = -1;
    for (const [term, top] of this.commitTopByTerm) if (term < view.term) needed = Math.max(needed, top);
    if (needed < view.logStartIndex) return;
    const agreed = this.chainAt(needed, true);
    const mine = agreed ? n.log.at(agreed.index) : null;
    if (agreed && (!mine || mine.prefix !== agreed.prefix)) {
      throw new Violation("leader-completeness", `n${view.id} became leader of term ${view.term} but its log differs from the committed log up to index ${agreed.index} (has ${describe(mine)}, committed ${describe(agreed)})`);
    }
  }

  /** A leader's commit index, a point the inductive completeness check measures logs against. */
  private addCommitPoint(e: MirrorEntry): void {
    const last = this.commitPoints.at(-1);
    if (last && (last.term > e.term || (last.term === e.term && last.index >= e.index))) return;
    this.commitPoints.push(e);
  }

  /** Check-quorum: a leader that has not heard from a majority for the bound must have stepped down. */
  private checkInTouch(id: number, n: PerNode, atMs: number): void {
    const boundMs = this.opts.staleLeaderBoundMs;
    if (atMs - n.leaderSinceMs <= boundMs) return;
    let inTouch = 1;
    for (const [peer, heardMs] of n.lastHeardMs) if (peer !== id && atMs - heardMs <= boundMs) inTouch++;
    if (inTouch < this.majority) {
      throw new Violation("stale-leader", `n${id} is still leader of term ${n.term} at ${atMs.toFixed(1)} ms but heard from only ${inTouch - 1} peer(s) in the last ${boundMs.toFixed(0)} ms`);
    }
  }

  /** The committed entry with exactly `index`; with `orBefore`, the last one at or below it. */
  private chainAt(index: number, orBefore = false): MirrorEntry | null {
    let lo = 0;
    let hi = this.chain.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.chain[mid].index <= index) lo = mid + 1;
      else hi = mid;
    }
    const e = lo > 0 ? this.chain[lo - 1] : null;
    if (!e) return null;
    return orBefore || e.index === index ? e : null;
  }

  private node(id: number): PerNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }
}

function describe(e: EntryView | null): string {
  return e ? `entry ${e.index} term ${e.term} crc ${e.checksum.toString(16)}` : "nothing";
}

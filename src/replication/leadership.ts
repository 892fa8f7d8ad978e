/**
 * Keeps a shard's LeaderTable current and tells the rest of the cluster. A group hosted here
 * reports its role, term and leader as they change (RaftGroup.onStateChange); what changed goes,
 * within `flushDelayMs`, to this node's other shards (hopped over the shard channel) and to every
 * other node (an RPC `leadership` report, fire and forget; the receiving shard applies it and
 * hands it to its siblings). Every `reportIntervalMs` each leader here reports the groups whose
 * in-sync replicas changed, and every tenth time all its groups, so a report lost while a link
 * was down is repaired. A report is also whole when a link to a node connected since the last one
 * (the node joined or restarted): it learns the leaders of groups it does not host within a second,
 * not ten, and its Metadata names them.
 *
 * In-sync replicas, decided here: the leader, and each voter the leader heard from within an
 * election timeout whose match index had reached the commit index of the previous report (about
 * one interval ago). A follower that keeps up under load stays in; one that stopped answering or
 * fell a whole interval behind drops out until it catches up.
 */
import type { Logger } from "../base/log.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import type { Clock } from "../base/clock.ts";
import type { Servers } from "../base/calls.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { RaftGroup } from "../raft/group.ts";
import type { RaftState } from "../raft/types.ts";
import type { RpcHopCalls } from "../rpc/endpoint.ts";
import { encodeBody } from "../rpc/frame.ts";
import type { Reply } from "../rpc/inbound.ts";
import { LeadershipRequest, type LeadershipEntry, type RpcCalls } from "../rpc/messages/index.ts";
import type { PeerLink } from "../rpc/outbound.ts";
import type { LeaderInfo, LeaderTable } from "./leaders.ts";

/** Most entries per report message; a longer report leaves as several. */
const REPORT_ENTRIES_MAX = 8192;
/** Every this many reports (one a second) a leader repeats every group it leads, changed or not. */
const FULL_REPORT_EVERY = 10;

export interface LeadershipOptions {
  nodeId: number;
  shardId: number;
  shardCount: number;
  table: () => MetadataTable;
  leaders: LeaderTable;
  clock: Clock;
  timers: Timers;
  log: Logger;
  electionTimeoutMs: number;
  linkTo(node: number): PeerLink | undefined;
  hop(shard: number, request: RpcHopCalls["rpcDeliver"]["request"]): Promise<Reply>;
  /** The groups this shard hosts, for the periodic report. */
  hosted(): Iterable<{ groupId: number; group: RaftGroup }>;
  reportIntervalMs?: number;
  flushDelayMs?: number;
}

export class Leadership {
  private changed = new Map<number, LeaderInfo>();
  private flushScheduled = false;
  private cancelReport: CancelTimer = () => {};
  /** Commit index of each group this shard leads, at the previous report. */
  private readonly commitAtLastReport = new Map<number, number>();
  reportsSent = 0;
  private reports = 0;
  /** Each peer link's connect count at the previous report. */
  private readonly connectsAtLastReport = new Map<number, number>();

  constructor(private readonly o: LeadershipOptions) {}

  start(): void {
    const interval = this.o.reportIntervalMs ?? 1000;
    const tick = () => {
      this.reportLeaders();
      this.cancelReport = this.o.timers.after(interval, tick);
    };
    this.cancelReport = this.o.timers.after(interval, tick);
  }

  stop(): void {
    this.cancelReport();
  }

  /** A hosted group's role, term or leader changed. */
  onLocalState(groupId: number, group: RaftGroup, state: RaftState): void {
    const known = this.o.leaders.get(groupId);
    let inSync: number[];
    const view = state.role === "leader" ? this.leaderView(groupId, group) : null;
    if (view !== null) {
      inSync = view.inSync;
      this.commitAtLastReport.set(groupId, view.commitIndex);
    } else {
      this.commitAtLastReport.delete(groupId);
      // A follower knows the leader, not who keeps up with it: it keeps what the leader reported.
      inSync = known && known.term === state.term && known.leader === state.leaderId ? known.inSync : state.leaderId === null ? [] : [state.leaderId];
    }
    this.note(groupId, { leader: state.leaderId, term: state.term, inSync });
  }

  /** What a group hosted here outside the replicated partitions (the controller's, group 0) knows of its leader. */
  report(groupId: number, info: LeaderInfo): void {
    this.note(groupId, info);
  }

  /** A group no longer hosted here (closed): forgotten here only, others learn from its replicas. */
  forget(groupId: number): void {
    this.commitAtLastReport.delete(groupId);
  }

  readonly servers: Pick<Servers<RpcCalls>, "leadership"> = {
    leadership: async (request) => {
      if (request.leaders.length > REPORT_ENTRIES_MAX) throw new Error("a leadership report past its bound");
      for (const e of request.leaders) {
        const leader = e.leader < 0 ? null : e.leader;
        // Only the leader knows who keeps up with it: a follower's view of the same leader and term keeps the ISR known.
        const known = this.o.leaders.get(e.group);
        const keep = e.leader !== request.from && known !== undefined && known.term === e.term && known.leader === leader;
        this.o.leaders.update(e.group, { leader, term: e.term, inSync: keep ? known.inSync : [...e.inSync].sort((a, b) => a - b) }, request.from);
      }
      // Handed on whole, changed or not here: a sibling may have missed an earlier report.
      if (!request.hopped) this.toSiblings(request.leaders, request.from);
      return {};
    },
  };

  private note(groupId: number, info: LeaderInfo): void {
    if (!this.o.leaders.update(groupId, info, this.o.nodeId)) return;
    this.changed.set(groupId, info);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.o.timers.after(this.o.flushDelayMs ?? 10, () => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const entries = [...this.changed].map(([group, info]) => entry(group, info));
    this.changed.clear();
    this.send(entries);
  }

  /**
   * The groups this shard leads, with fresh in-sync sets, to everyone: those whose leader, term
   * or in-sync set changed since the last report, and every one each FULL_REPORT_EVERY reports
   * (for a node that missed one: restarted, or its link was down) or once a link connected again.
   */
  private reportLeaders(): void {
    const reconnected = this.linksConnectedSinceLastReport();
    const full = this.reports++ % FULL_REPORT_EVERY === 0 || reconnected;
    const entries: LeadershipEntry[] = [];
    for (const { groupId, group } of this.o.hosted()) {
      const view = this.leaderView(groupId, group);
      if (view === null) continue;
      const info = { leader: this.o.nodeId, term: view.term, inSync: view.inSync };
      this.commitAtLastReport.set(groupId, view.commitIndex);
      if (this.o.leaders.update(groupId, info, this.o.nodeId) || full) entries.push(entry(groupId, info));
    }
    this.send(entries);
  }

  /** Whether a link to another node connected (a node joined, or came back) since the previous report. */
  private linksConnectedSinceLastReport(): boolean {
    let connected = false;
    for (const node of this.o.table().nodes()) {
      if (node.id === this.o.nodeId) continue;
      const connects = this.o.linkTo(node.id)?.connects ?? 0;
      if (connects !== (this.connectsAtLastReport.get(node.id) ?? 0)) connected = true;
      this.connectsAtLastReport.set(node.id, connects);
    }
    return connected;
  }

  /** In sync: heard from within an election timeout and holding what was committed at the previous report. */
  private leaderView(groupId: number, group: RaftGroup) {
    const sinceMs = this.o.clock.nowMs() - this.o.electionTimeoutMs;
    return group.leaderView(sinceMs, this.commitAtLastReport.get(groupId) ?? Number.POSITIVE_INFINITY);
  }

  private send(entries: LeadershipEntry[]): void {
    if (entries.length === 0) return;
    for (let at = 0; at < entries.length; at += REPORT_ENTRIES_MAX) {
      const part = entries.slice(at, at + REPORT_ENTRIES_MAX);
      this.toSiblings(part);
      for (const node of this.o.table().nodes()) {
        if (node.id === this.o.nodeId) continue;
        if (this.o.linkTo(node.id)?.cast("leadership", { from: this.o.nodeId, leaders: part, hopped: false })) this.reportsSent++;
      }
    }
  }

  /** `from`: the node whose view this is (a report names its sender, so a leader's own word on its ISR is told apart). */
  private toSiblings(entries: LeadershipEntry[], from = this.o.nodeId): void {
    const body = encodeBody(LeadershipRequest, { from, leaders: entries, hopped: true });
    for (let shard = 0; shard < this.o.shardCount; shard++) {
      if (shard === this.o.shardId) continue;
      this.o.hop(shard, { method: LeadershipRequest.apiKey, body }).catch((error: unknown) => {
        this.o.log.warn("could not hand a leadership report to a sibling shard", { shard, error: String(error) });
      });
    }
  }
}

function entry(group: number, info: LeaderInfo): LeadershipEntry {
  return { group, leader: info.leader ?? -1, term: info.term, inSync: info.inSync };
}

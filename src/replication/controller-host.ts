/**
 * The controller's Raft group (group 0) on shard 0 of a cluster node. The main thread's
 * controller proposes metadata updates through it; every committed update, on every member,
 * goes back to the main thread in log order, which applies it (`Controller.applyCommitted`).
 * Each entry is one record batch holding one record whose value is the update as JSON.
 */
import { join } from "node:path";
import type { Clock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import type { Timers, CancelTimer } from "../base/timers.ts";
import { CONTROLLER_GROUP, type MetadataUpdate } from "../cluster/metadata.ts";
import type { Disk } from "../io/disk.ts";
import { RaftGroup } from "../raft/group.ts";
import type { Index, NodeId, RaftConfig, RaftInspect, RaftMessage, RaftReceiver, RaftTransport, Term, TransferResult } from "../raft/types.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import { nextLeaveStep } from "./controller-leave.ts";
import * as rb from "../storage/record-batch.ts";
import { forEachRecord } from "../storage/records.ts";

/** What the main thread hears of the controller group's leadership. */
export interface ControllerLeadership {
  leader: number | null;
  term: number;
  /** This node leads and has applied every entry before its term: it may plan changes. */
  ready: boolean;
}

export interface ControllerHostOptions {
  nodeId: number;
  disk: Disk;
  dataDir: string;
  clock: Clock;
  timers: Timers;
  transport: RaftTransport;
  random: () => number;
  electionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** The founding configuration, used only when the group is new on this node. */
  bootstrap: RaftConfig;
  /** Committed updates, in log order, each once (from the start of the log after a restart). */
  onCommitted(updates: MetadataUpdate[]): Promise<void>;
  onLeadership(leadership: ControllerLeadership): void;
  log: Logger;
}

/** How often the host looks at the group's role (a change of leader is reported within this). */
const LEADERSHIP_POLL_MS = 50;
const READ_BYTES_MAX = 1024 * 1024;

export class ControllerHost implements RaftReceiver {
  /** The next offset to apply. */
  private nextOffset = 0;
  /** Term of the last batch applied: once it is the leader's own term, all before it is applied. */
  private appliedTerm = -1;
  private applying: Promise<void> = Promise.resolve();
  private committed = -1;
  private reported: ControllerLeadership = { leader: null, term: -1, ready: false };
  private cancelPoll: CancelTimer | null = null;

  private constructor(
    private readonly group: RaftGroup,
    private readonly options: ControllerHostOptions,
  ) {}

  static dir(dataDir: string): string {
    return join(dataDir, "controller", "raft");
  }

  static async open(options: ControllerHostOptions): Promise<ControllerHost> {
    let host: ControllerHost | null = null;
    const group = await RaftGroup.open({
      group: CONTROLLER_GROUP,
      self: options.nodeId,
      disk: options.disk,
      dir: ControllerHost.dir(options.dataDir),
      clock: options.clock,
      timers: options.timers,
      transport: options.transport,
      random: options.random,
      timings: { electionTimeoutMs: options.electionTimeoutMs, heartbeatIntervalMs: options.heartbeatIntervalMs },
      bootstrap: options.bootstrap,
      preferredFirstLeader: options.bootstrap.voters[0] === options.nodeId, // founders: the first seed leads the new cluster
      onCommit: (commitIndex) => host?.committedTo(commitIndex),
      log: (message) => options.log.info(message, { group: CONTROLLER_GROUP }),
    });
    host = new ControllerHost(group, options);
    group.start();
    host.poll();
    return host;
  }

  receive(message: RaftMessage): void {
    this.group.receive(message);
  }

  receiveLightBeat(from: NodeId, term: Term, commitIndex: Index): void {
    this.group.receiveLightBeat(from, term, commitIndex);
  }

  receiveLightBeatReply(from: NodeId, term: Term, accepted: boolean): void {
    this.group.receiveLightBeatReply(from, term, accepted);
  }

  /** Resolves true once committed; false when this node does not lead (or lost leadership first). */
  async propose(update: MetadataUpdate): Promise<boolean> {
    const value = new TextEncoder().encode(JSON.stringify(update));
    const batch = buildBatch({ baseTimestamp: this.options.clock.nowMs(), records: [{ value }] });
    const result = await this.group.propose(batch);
    return result.ok;
  }

  /** Adds a node that joined as a learner of the controller group (it receives the log and never votes). */
  async addLearner(node: number): Promise<boolean> {
    const config = this.group.inspect().config;
    if (config.voters.includes(node) || config.learners.includes(node)) return true;
    return (await this.group.addLearner(node)).ok;
  }

  /** The group's state, and a leadership transfer: a node in maintenance hands the controller's leadership on (leader-driver.ts). */
  inspect(): RaftInspect {
    return this.group.inspect();
  }

  transferLeadership(to: number): Promise<TransferResult> {
    return this.group.transferLeadership(to);
  }

  /**
   * One step of taking a decommissioned node out of the group (`controller-leave.ts`), on the
   * leader; "ready" once only its removal is left (`recorded`: its leaving the cluster is
   * recorded, so remove it), "gone" once it is no member. `replacements`: learners that may become voters.
   */
  async leaveStep(node: number, replacements: number[], recorded: boolean): Promise<"gone" | "ready" | "pending"> {
    const step = nextLeaveStep(this.group.inspect(), node, replacements, recorded);
    if (step.kind === "gone" || step.kind === "ready") return step.kind;
    if (step.kind === "wait") return "pending";
    const result = step.kind === "remove" ? await this.group.removeNode(step.node) : step.kind === "promote" ? await this.group.promoteLearner(step.node) : await this.group.transferLeadership(step.node);
    this.options.log.info("controller group: a decommissioned node leaves", { node, step: `${step.kind} ${step.node}`, ok: result.ok });
    return "pending";
  }

  leadership(): ControllerLeadership {
    return this.reported;
  }

  async close(): Promise<void> {
    this.cancelPoll?.();
    await this.applying;
    await this.group.close();
  }

  private committedTo(commitIndex: number): void {
    if (commitIndex <= this.committed) return;
    this.committed = commitIndex;
    this.applying = this.applying.then(() => this.applyTo(commitIndex));
  }

  /** Reads the entries up to `commitIndex` and hands the updates among them to the main thread. */
  private async applyTo(commitIndex: number): Promise<void> {
    while (this.nextOffset <= commitIndex) {
      const bytes = await this.group.read(this.nextOffset, READ_BYTES_MAX);
      if (bytes.length === 0) return;
      const updates: MetadataUpdate[] = [];
      let at = 0;
      while (at < bytes.length && rb.baseOffset(bytes, at) <= commitIndex) {
        const last = rb.lastOffset(bytes, at);
        if (last >= this.nextOffset) {
          if ((rb.attributes(bytes, at) & rb.ATTR_CONTROL) === 0) {
            forEachRecord(bytes, at, (record) => {
              if (record.value) updates.push(JSON.parse(new TextDecoder().decode(record.value)) as MetadataUpdate);
            });
          }
          this.appliedTerm = rb.partitionLeaderEpoch(bytes, at);
          this.nextOffset = last + 1;
        }
        at += rb.batchSizeBytes(bytes, at);
      }
      if (updates.length > 0) await this.options.onCommitted(updates);
      this.report();
    }
  }

  private poll(): void {
    this.report();
    this.cancelPoll = this.options.timers.after(LEADERSHIP_POLL_MS, () => this.poll());
  }

  private report(): void {
    const state = this.group.inspect();
    if (state.stopped) return;
    const leadership: ControllerLeadership = {
      leader: state.leaderId,
      term: state.term,
      ready: state.role === "leader" && this.appliedTerm === state.term,
    };
    const r = this.reported;
    if (r.leader === leadership.leader && r.term === leadership.term && r.ready === leadership.ready) return;
    this.reported = leadership;
    this.options.onLeadership(leadership);
  }
}

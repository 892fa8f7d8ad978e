/**
 * One simulated Raft group of 3 or 5 nodes running the real src/raft code in this process: the
 * scheduler drives virtual time, each node has its own clock (drift), SimDisk (slow, faulty,
 * crashable) and network endpoint; the client workload proposes; the fault injector breaks
 * things; after every step the checkers look at every node.
 */
import { AssertionError } from "../../../src/base/assert.ts";
import { SimDisk, SimIoError } from "../../../src/io/sim-disk.ts";
import { LogFailedError } from "../../../src/storage/partition-log.ts";
import { RaftGroup } from "../../../src/raft/group.ts";
import { SharedHeartbeatTicker } from "../../../src/raft/heartbeat-ticker.ts";
import type { RaftGroupApi, RaftMessage } from "../../../src/raft/types.ts";
import { SafetyChecker, Violation, type NodeView } from "./checkers.ts";
import { FaultInjector } from "./fault-injector.ts";
import { drawProfile, type Profile } from "./faults.ts";
import { diskLogStart, readDiskBatches, readDiskLog } from "./disk-log.ts";
import type { EntryView } from "./log-mirror.ts";
import { SimNetwork } from "./network.ts";
import { NodeDisk, type DiskLatency } from "./node-disk.ts";
import { NodeTime } from "./node-time.ts";
import { COMPACTED_KEYS, compactedLogConfig, RecordCompaction } from "./record-compaction.ts";
import { Rng } from "./rng.ts";
import { Scheduler, settle } from "./scheduler.ts";
import { Trace } from "./trace.ts";
import { Workload } from "./workload.ts";

export interface SimOptions {
  seed: number;
  steps: number;
  nodes: number;
  electionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** false: a calm run (no faults), for baselines and liveness measurements. */
  faults: boolean;
  /** Overrides of the seed's drawn profile. */
  profile?: Partial<Profile>;
  /** Print every trace line as it happens. */
  echo?: (line: string) => void;
}

export const defaultTimings = { electionTimeoutMs: 100, heartbeatIntervalMs: 20 };

export const GROUP_DIR = "/raft";

interface SimNode {
  id: number;
  disk: SimDisk;
  time: NodeTime | null;
  io: NodeDisk | null;
  group: RaftGroupApi | null;
  state: "down" | "starting" | "up";
  /** inspect() fields whose change means the log may have changed. */
  signature: string;
  incarnation: number;
  latency: DiskLatency;
  lastRole: string;
  /** False while in maintenance mode (RaftGroupOptions.mayCampaign). */
  mayLead: boolean;
  /** A compaction pass of this incarnation is running. */
  compacting: boolean;
}

export class Cluster {
  readonly scheduler = new Scheduler();
  readonly trace: Trace;
  readonly network: SimNetwork<RaftMessage>;
  readonly checker: SafetyChecker;
  readonly workload: Workload;
  readonly faults: FaultInjector;
  readonly profile: Profile;
  readonly ids: number[];
  private readonly nodes = new Map<number, SimNode>();
  private readonly nodeRng: Rng;
  violation: Violation | null = null;
  /** Every acknowledgement the client got: when, from which node. */
  readonly acks: Array<{ atMs: number; node: number; index: number; term: number }> = [];
  /** Errors thrown inside the code under test (assertions), as a violation of their own. */
  crashError: Error | null = null;
  /** Kafka compaction of the nodes' logs, in the seeds that draw it (and never in a calm run). */
  readonly compaction: RecordCompaction | null;
  private readonly compactionRng: Rng;

  constructor(readonly opts: SimOptions) {
    const root = new Rng(opts.seed);
    this.ids = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    const drawn = drawProfile(root.fork(), opts.nodes, opts.electionTimeoutMs);
    this.profile = { ...drawn, ...(opts.faults ? {} : calmProfile(drawn)), ...opts.profile };
    this.trace = new Trace(opts.echo ?? null);
    this.network = new SimNetwork(this.scheduler, root.fork(), this.ids, opts.faults ? this.profile.network : calmProfile(drawn).network, describeMessage);
    const rateMin = Math.min(...this.profile.clockRates);
    this.checker = new SafetyChecker({ nodes: this.ids, staleLeaderBoundMs: (3 * opts.electionTimeoutMs) / rateMin + this.profile.network.delayMsMax });
    this.nodeRng = root.fork();
    for (const id of this.ids) {
      const disk = new SimDisk(Math.floor(root.float() * 0x1_0000_0000));
      this.nodes.set(id, { id, disk, time: null, io: null, group: null, state: "down", signature: "", incarnation: 0, latency: { ...this.profile.diskLatency }, lastRole: "follower", mayLead: true, compacting: false });
    }
    this.compaction = opts.faults && this.profile.compactRecordsEveryMs > 0 ? new RecordCompaction() : null;
    const keys = this.compaction ? COMPACTED_KEYS : 0;
    this.workload = new Workload(this.scheduler, root.fork(), this.workloadHost(), { proposeEveryMs: opts.electionTimeoutMs / 5, inflightMax: 4, timeoutMs: opts.electionTimeoutMs * 5, recordsMax: 3, keys }, `s${opts.seed}`);
    this.faults = new FaultInjector(this, root.fork(), opts.electionTimeoutMs);
    this.compactionRng = root.fork(); // forked last: seeds that do not compact run as before
    this.network.observe({
      sent: (from, to, msg) => this.onSent(from, to, msg),
      delivered: (from, to) => this.checker.delivered(from, to, this.scheduler.nowMs()),
    });
  }

  /** Runs up to `steps` events, checking after each; stops at the first violation. */
  async run(): Promise<void> {
    this.begin();
    while (this.scheduler.stepsRun < this.opts.steps && (await this.stepOnce()));
  }

  /** Starts the nodes, the client and (unless calm) the fault schedule. */
  begin(): void {
    for (const id of this.ids) this.startNode(id);
    this.workload.start();
    if (this.opts.faults) this.faults.start();
    if (this.compaction) this.scheduleCompaction(this.compaction);
  }

  /** A compaction pass on a random up node now and then, below its commit index; its log is read again after. */
  private scheduleCompaction(compaction: RecordCompaction): void {
    const delayMs = this.profile.compactRecordsEveryMs * (0.2 + 1.6 * this.compactionRng.float());
    this.scheduler.after(delayMs, "compaction", () => {
      const up = this.upIds();
      const node = up.length > 0 ? this.must(this.compactionRng.pick(up)) : null;
      // One pass at a time per log, as a shard's housekeeping runs them.
      if (node && !node.compacting) {
        const incarnation = node.incarnation;
        node.compacting = true;
        this.note(`compaction n${node.id} below ${node.group!.inspect().commitIndex + 1}`);
        void compaction.compact(node.group!, node.time!.nowMs()).then(
          () => {
            if (node.incarnation === incarnation) node.signature = "";
          },
          // As housekeeping: a broken invariant stops everything, any other failure (a disk error, a log reset under the pass) waits for the next pass.
          (e: unknown) => (e instanceof AssertionError ? this.fail(e) : this.note(`n${node.id} compaction failed: ${String(e)}`)),
        ).finally(() => {
          if (node.incarnation === incarnation) node.compacting = false;
        });
      }
      this.scheduleCompaction(compaction);
    });
  }

  /** One event, then the checks; false once a violation was found or nothing is left to run. */
  async stepOnce(): Promise<boolean> {
    if (this.violation) return false;
    const event = this.scheduler.runNext();
    if (!event) return false;
    this.trace.record(event.atMs, event.label);
    await settle();
    await this.check();
    return this.violation === null;
  }

  /** Steps until `done()` holds or virtual time passes `untilMs`; true if `done()` held. */
  async runUntil(done: () => boolean, untilMs: number): Promise<boolean> {
    while (this.scheduler.nowMs() < untilMs) {
      if (done()) return true;
      if (!(await this.stepOnce())) return false;
    }
    return done();
  }

  /** Hands the checker what `node` holds now: its state, and its log on disk when that may have changed. */
  private observe(node: SimNode, nowMs: number): NodeView {
    const info = node.group!.inspect();
    const start = diskLogStart(node.disk, GROUP_DIR, info.logStartOffset); // ahead of the group's while a prefix truncation deletes segments
    const view: NodeView = { id: node.id, role: info.role, term: info.term, votedFor: info.votedFor, commitIndex: info.commitIndex, logStartIndex: start };
    const signature = `${info.lastIndex}:${info.lastTerm}:${start}:${info.commitIndex}:${info.durableIndex}`;
    let log: EntryView[] | null = null;
    if (signature !== node.signature) {
      node.signature = signature;
      if (this.compaction) {
        const stored = readDiskBatches(node.disk, `${GROUP_DIR}/log`, start);
        this.compaction.register(stored);
        log = this.compaction.normalize(stored, this.checker.committed);
      } else {
        log = readDiskLog(node.disk, `${GROUP_DIR}/log`, start);
      }
    }
    this.checker.observe(view, log, nowMs);
    return view;
  }

  private async check(): Promise<void> {
    try {
      if (this.crashError) throw new Violation("assertion", this.crashError.message);
      const now = this.scheduler.nowMs();
      for (const node of this.nodes.values()) {
        if (node.state !== "up" || !node.group) continue;
        const view = this.observe(node, now);
        if (view.role === "leader" && node.lastRole !== "leader" && this.opts.faults) this.faults.afterElected(node.id, this.opts.heartbeatIntervalMs);
        node.lastRole = view.role;
      }
      this.checker.endOfStep(now);
    } catch (e) {
      this.fail(e);
    }
  }

  fail(e: unknown): void {
    if (this.violation) return;
    this.violation = e instanceof Violation ? e : new Violation("assertion", e instanceof Error ? (e.stack ?? e.message) : String(e));
    this.note(`VIOLATION ${this.violation.message}`);
  }

  note(line: string): void {
    this.trace.record(this.scheduler.nowMs(), line);
  }

  // ---- nodes ----

  upIds(): number[] {
    return this.ids.filter((id) => this.nodes.get(id)?.state === "up");
  }

  downIds(): number[] {
    return this.ids.filter((id) => this.nodes.get(id)?.state === "down");
  }

  /** The up node that is leader in the highest term, if any. */
  leader(): number | null {
    let best: { id: number; term: number } | null = null;
    for (const id of this.upIds()) {
      const info = this.nodes.get(id)?.group?.inspect();
      if (info?.role === "leader" && (!best || info.term > best.term)) best = { id, term: info.term };
    }
    return best?.id ?? null;
  }

  /** The checker's copy of `id`'s log, as last read from its disk. */
  logOf(id: number): readonly EntryView[] {
    return this.checker.logOf(id);
  }

  /** Where `id`'s log may be cut at its start: after each of its batches as stored (compaction may have merged entries into one). */
  storedEntries(id: number): readonly EntryView[] {
    if (!this.compaction) return this.logOf(id);
    const info = this.group(id)?.inspect();
    const disk = this.must(id).disk;
    return info ? readDiskBatches(disk, `${GROUP_DIR}/log`, diskLogStart(disk, GROUP_DIR, info.logStartOffset)) : [];
  }

  mayLead(id: number): boolean {
    return this.nodes.get(id)!.mayLead;
  }

  setMayLead(id: number, may: boolean): void {
    this.nodes.get(id)!.mayLead = may;
  }

  group(id: number): RaftGroupApi | null {
    const node = this.nodes.get(id);
    return node?.state === "up" ? node.group : null;
  }

  simDisk(id: number): SimDisk {
    return this.must(id).disk;
  }

  setLatency(id: number, latency: DiskLatency): void {
    this.must(id).latency = latency;
  }

  /** Power loss on `id`: its timers, network and in-flight I/O die; unsynced writes are lost or torn. */
  crash(id: number): void {
    const node = this.must(id);
    if (node.state === "down") return;
    node.time?.kill();
    node.io?.kill();
    node.group?.stop();
    this.network.detach(id);
    node.disk.crash();
    node.state = "down";
    node.group = null;
    node.compacting = false; // a pass of the dead incarnation never finishes
    node.lastRole = "follower";
    this.checker.nodeDown(id);
    this.note(`crash n${id}`);
  }

  startNode(id: number): void {
    const node = this.must(id);
    if (node.state !== "down") return;
    node.state = "starting";
    node.incarnation++;
    node.signature = "";
    const incarnation = node.incarnation;
    void this.open(node).catch((e) => this.onGroupFailure(node, incarnation, e));
  }

  private async open(node: SimNode): Promise<void> {
    const incarnation = node.incarnation;
    const rate = this.profile.clockRates[node.id - 1];
    const time = new NodeTime(this.scheduler, `n${node.id}`, rate, node.id * 1000);
    const io = new NodeDisk(node.disk, this.scheduler, this.nodeRng.fork(), () => node.latency, `n${node.id}`);
    node.time = time;
    node.io = io;
    await node.disk.mkdirp(GROUP_DIR);
    const durable = await RaftGroup.readHardState(node.disk, GROUP_DIR);
    const random = this.nodeRng.fork();
    const group = await RaftGroup.open({
      group: 1,
      self: node.id,
      disk: io,
      dir: GROUP_DIR,
      clock: time,
      timers: time,
      transport: { send: (msg) => node.incarnation === incarnation && node.state === "up" && this.network.send(node.id, msg.to, msg) },
      random: () => random.float(),
      timings: { electionTimeoutMs: this.opts.electionTimeoutMs, heartbeatIntervalMs: this.opts.heartbeatIntervalMs },
      heartbeatTicker: this.profile.sharedHeartbeats ? new SharedHeartbeatTicker(time, time, this.opts.heartbeatIntervalMs) : undefined,
      bootstrap: { voters: this.ids.slice(), learners: [] },
      appendBytesMax: this.profile.appendBytesMax,
      logConfig: this.compaction ? compactedLogConfig : undefined,
      mayCampaign: () => node.mayLead,
      preferredFirstLeader: node.id === this.ids[0], // as the broker's first replica: early tries at term 0 run in every seed
      onFailure: (e) => this.onGroupFailure(node, incarnation, e),
    });
    if (node.incarnation !== incarnation || node.state !== "starting") return; // crashed while opening
    this.checker.nodeUp(node.id, durable, this.scheduler.nowMs());
    node.group = group;
    node.state = "up";
    this.network.attach(node.id, (_from, msg) => group.receive(msg));
    group.start();
    this.note(`start n${node.id} term=${durable.term} vote=${durable.votedFor}`);
  }

  /**
   * The group stopped itself, or failed to open. A disk error (EIO, ENOSPC: an operating error) is what a supervisor
   * answers by restarting the process, so the node crashes and comes back; anything else is a
   * broken invariant in the code under test.
   */
  private onGroupFailure(node: SimNode, incarnation: number, e: unknown): void {
    if (node.incarnation !== incarnation) return;
    if (isDiskError(e)) {
      this.note(`n${node.id} group failed on a disk error (${String(e)}); restarting it`);
      // What it committed before failing counts (a leader may ack and fail in one step): look once more before the crash.
      if (node.state === "up" && node.group) {
        try {
          this.observe(node, this.scheduler.nowMs());
        } catch (error) {
          this.fail(error);
        }
      }
      this.crash(node.id);
      this.scheduler.after(this.opts.electionTimeoutMs, `restart n${node.id}`, () => this.startNode(node.id));
      return;
    }
    this.fail(e);
  }

  private onSent(from: number, to: number, msg: RaftMessage): void {
    const prevote = msg.kind === "preVote" || msg.kind === "preVoteReply";
    const granted = msg.kind === "voteReply" && msg.granted;
    try {
      this.checker.sent({ from, to, durableTerm: prevote ? null : msg.term, voteGrantedInTerm: granted ? msg.term : null });
    } catch (e) {
      this.fail(e);
    }
    if (granted) this.faults.afterVoteGrant(from);
  }

  private workloadHost() {
    return {
      nodeIds: this.ids,
      group: (id: number) => this.group(id),
      acked: (index: number, term: number, checksum: number, node: number) => {
        this.acks.push({ atMs: this.scheduler.nowMs(), node, index, term });
        this.checker.acked({ index, term, checksum }, this.scheduler.nowMs());
      },
      note: (line: string) => this.note(line),
    };
  }

  private must(id: number): SimNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }
}

function isDiskError(e: unknown): boolean {
  if (e instanceof SimIoError || e instanceof LogFailedError) return true;
  return e instanceof Error && e.cause !== undefined && isDiskError(e.cause);
}

function calmProfile(drawn: Profile): Profile {
  return {
    ...drawn,
    network: { dropProbability: 0, duplicateProbability: 0, delayMsMin: 0.5, delayMsMax: 2 },
    clockRates: drawn.clockRates.map(() => 1),
    crashAfterVoteProbability: 0,
    crashNewLeaderProbability: 0,
    diskLatency: { writeMs: 0, syncMs: 0.2 },
  };
}

export function describeMessage(msg: RaftMessage): string {
  const head = `${msg.kind} t${msg.term}`;
  switch (msg.kind) {
    case "preVote":
    case "vote":
      return `${head} last=${msg.lastIndex}/${msg.lastTerm}`;
    case "preVoteReply":
    case "voteReply":
      return `${head} ${msg.granted ? "yes" : "no"}`;
    case "append":
      return `${head} prev=${msg.prevIndex}/${msg.prevTerm} commit=${msg.commitIndex} bytes=${msg.entries.length}`;
    case "heartbeat":
      return `${head} prev=${msg.prevIndex}/${msg.prevTerm} commit=${msg.commitIndex}`;
    case "appendReply":
      return `${head} ${msg.success ? "ok" : "no"} match=${msg.matchIndex} conflict=${msg.conflictIndex}/${msg.conflictTerm}`;
    case "timeoutNow":
      return head;
    case "installSnapshot":
      return `${head} start=${msg.startOffset}/${msg.prevTerm}`;
    case "lightBeat":
      return `${head} commit=${msg.commitIndex}`;
    case "lightBeatReply":
      return `${head} ${msg.accepted ? "ok" : "no"}`;
  }
}

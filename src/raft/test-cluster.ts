/**
 * A small deterministic harness for the raft unit tests (not the simulator): N RaftGroups on
 * SimDisks, one virtual clock and timer queue, and a zero-latency network whose messages are
 * delivered one at a time, in order, each followed by every group going idle. Tests drop, hold
 * or rewrite messages with `net.filter`, crash and restart nodes, and read each node's state.
 */
import { assert } from "../base/assert.ts";
import { ManualClock } from "../base/clock.ts";
import { mulberry32 } from "../base/random.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import { RaftGroup } from "./group.ts";
import { SharedHeartbeatTicker } from "./heartbeat-ticker.ts";
import type { LearnerThrottle, NodeId, ProposeResult, RaftConfig, RaftInspect, RaftMessage, RaftTimings } from "./types.ts";

export const testTimings: RaftTimings = { electionTimeoutMs: 100, heartbeatIntervalMs: 20 };
const DELIVERIES_PER_RUN_MAX = 200_000;

/** What a filter decides about a message: deliver it, drop it, keep it for later, or deliver this one instead. */
export type Verdict = "deliver" | "drop" | "hold" | RaftMessage;

export class TestNetwork {
  queue: RaftMessage[] = [];
  held: RaftMessage[] = [];
  /** Every message ever sent, for assertions. */
  log: RaftMessage[] = [];
  filter: (m: RaftMessage) => Verdict = () => "deliver";
  private down = new Set<NodeId>();

  send(m: RaftMessage): void {
    this.queue.push(m);
    this.log.push(m);
  }
  isolate(id: NodeId): void {
    this.down.add(id);
  }
  heal(): void {
    this.down.clear();
  }
  releaseHeld(): void {
    this.queue.push(...this.held);
    this.held = [];
  }
  /** Next message to hand over, or null; dropped and held ones are taken out of the queue. */
  take(): RaftMessage | null {
    while (this.queue.length > 0) {
      const m = this.queue.shift()!;
      if (this.down.has(m.from) || this.down.has(m.to)) continue;
      const verdict = this.filter(m);
      if (verdict === "deliver") return m;
      if (verdict === "hold") this.held.push(m);
      else if (verdict !== "drop") return verdict;
    }
    return null;
  }
}

export interface ClusterOptions {
  ids: NodeId[];
  config?: RaftConfig;
  seed?: number;
  timings?: RaftTimings;
  segmentBytes?: number;
  /** The leader's AppendRequest payload bound (1 byte: one batch per message). */
  appendBytesMax?: number;
  /** Each node's leaders beat on a shared ticker, with light heartbeats (as the broker runs). */
  sharedTicker?: boolean;
  /** Shared by every group, as a shard's groups share one (`recovery-throttle.ts`). */
  recoveryThrottle?: LearnerThrottle;
  /** Per node: whether it may take leadership now (RaftGroupOptions.mayCampaign). */
  mayCampaign?: (id: NodeId) => boolean;
  /** The node that is told it is the group's preferred first leader (RaftGroupOptions.preferredFirstLeader). */
  preferredFirstLeader?: NodeId;
}

export class TestCluster {
  readonly clock = new ManualClock(1_000_000);
  readonly timers = new ManualTimers(this.clock);
  readonly net = new TestNetwork();
  readonly disks = new Map<NodeId, SimDisk>();
  readonly groups = new Map<NodeId, RaftGroup>();
  /** Each node's onCommit calls, in order. */
  readonly commits = new Map<NodeId, number[]>();
  readonly failures: unknown[] = [];
  private readonly random: () => number;

  private constructor(private readonly options: ClusterOptions) {
    this.random = mulberry32(options.seed ?? 1);
    for (const id of options.ids) this.disks.set(id, new SimDisk((options.seed ?? 1) * 100 + id));
  }

  static async create(options: ClusterOptions, start = true): Promise<TestCluster> {
    const cluster = new TestCluster(options);
    for (const id of options.ids) await cluster.open(id, start);
    return cluster;
  }

  get ids(): NodeId[] {
    return [...this.groups.keys()];
  }

  async open(id: NodeId, start = true): Promise<RaftGroup> {
    let disk = this.disks.get(id);
    if (disk === undefined) this.disks.set(id, (disk = new SimDisk(id)));
    const timings = this.options.timings ?? testTimings;
    const group = await RaftGroup.open({
      group: 7,
      self: id,
      disk,
      dir: `/raft/${id}`,
      clock: this.clock,
      timers: this.timers,
      transport: { send: (m) => this.net.send(m) },
      random: this.random,
      timings,
      heartbeatTicker: this.options.sharedTicker ? new SharedHeartbeatTicker(this.clock, this.timers, timings.heartbeatIntervalMs) : undefined,
      bootstrap: this.options.config ?? { voters: this.options.ids, learners: [] },
      onCommit: (index) => this.commits.get(id)!.push(index),
      onFailure: (e) => this.failures.push(e),
      appendBytesMax: this.options.appendBytesMax,
      recoveryThrottle: this.options.recoveryThrottle,
      mayCampaign: this.options.mayCampaign && (() => this.options.mayCampaign!(id)),
      preferredFirstLeader: this.options.preferredFirstLeader === id,
      logConfig: { segmentBytes: this.options.segmentBytes ?? 64 * 1024, segmentMs: 1e12, maxMessageBytes: 1024 * 1024 },
    });
    this.groups.set(id, group);
    if (!this.commits.has(id)) this.commits.set(id, []);
    if (start) group.start();
    return group;
  }

  group(id: NodeId): RaftGroup {
    const g = this.groups.get(id);
    assert(g !== undefined, `no node ${id}`);
    return g;
  }

  state(id: NodeId): RaftInspect {
    return this.group(id).inspect();
  }

  /** Power loss on `id`: the group stops, unsynced writes are lost or torn. */
  async crash(id: NodeId): Promise<void> {
    await this.group(id).stop();
    this.groups.delete(id);
    this.disks.get(id)!.crash();
  }

  async restart(id: NodeId): Promise<RaftGroup> {
    return this.open(id);
  }

  /** Delivers queued messages until none is left, each followed by every group going idle. */
  async deliverAll(): Promise<void> {
    for (let n = 0; ; n++) {
      assert(n < DELIVERIES_PER_RUN_MAX, "message storm");
      await this.settle();
      const m = this.net.take();
      if (m === null) return;
      this.groups.get(m.to)?.receive(m);
    }
  }

  private async settle(): Promise<void> {
    for (let again = true; again; ) {
      await Promise.all([...this.groups.values()].map((g) => g.idle()));
      again = [...this.groups.values()].some((g) => (g as unknown as { running: boolean }).running);
    }
  }

  /** Advances virtual time by `ms`, firing timers in order and delivering messages after each. */
  async run(ms: number): Promise<void> {
    const untilMs = this.clock.nowMs() + ms;
    await this.deliverAll();
    while (this.timers.fireNext(untilMs)) await this.deliverAll();
    this.clock.set(untilMs);
    this.checkNoFailures();
  }

  checkNoFailures(): void {
    if (this.failures.length > 0) throw this.failures[0];
  }

  /** Runs until exactly one node is leader in the highest term (bounded), and returns it. */
  async elect(maxMs = 5000): Promise<NodeId> {
    for (let t = 0; t < maxMs; t += 10) {
      const leader = this.leader();
      if (leader !== null) return leader;
      await this.run(10);
    }
    throw new Error("no leader elected");
  }

  leader(): NodeId | null {
    const states = this.ids.map((id) => this.state(id));
    const top = Math.max(...states.map((s) => s.term));
    const leaders = states.filter((s) => s.role === "leader" && s.term === top);
    return leaders.length === 1 ? leaders[0]!.self : null;
  }

  propose(id: NodeId, value: string): Promise<ProposeResult> {
    return this.group(id).propose(entry(value));
  }

  /** Proposes and runs the cluster until the proposal settles. */
  async commit(id: NodeId, value: string, maxMs = 2000): Promise<ProposeResult> {
    let result: ProposeResult | null = null;
    void this.propose(id, value).then((r) => (result = r));
    for (let t = 0; result === null && t < maxMs; t += 5) await this.run(5);
    assert(result !== null, `proposal ${value} did not settle`);
    return result;
  }

  /** Each node's log as "index:term" strings (config batches marked with a c). */
  async logOf(id: NodeId): Promise<string[]> {
    return (await this.group(id).inspectLog()).map((e) => `${e.index}:${e.term}${e.isConfig ? "c" : ""}`);
  }

  /** The values of the data (non-configuration) batches in a node's log. */
  async valuesOf(id: NodeId): Promise<string[]> {
    return [...(await this.valuesByIndex(id)).values()];
  }

  /** Index (last offset) → value of each data batch in a node's log, oldest first. */
  async valuesByIndex(id: NodeId): Promise<Map<number, string>> {
    const g = this.group(id);
    const out = new Map<number, string>();
    const s = g.inspect();
    let offset = s.logStartOffset;
    while (offset <= s.lastIndex) {
      const bytes = await g.read(offset, 1 << 20);
      rb.scanBatches(bytes, 0, (at) => {
        if ((rb.attributes(bytes, at) & rb.ATTR_CONTROL) === 0) out.set(rb.lastOffset(bytes, at), valueOf(bytes, at));
        offset = rb.lastOffset(bytes, at) + 1;
      });
    }
    return out;
  }
}

/** A one-record batch whose value is `value`. */
export function entry(value: string, records = 1): Uint8Array {
  return buildBatch({ records: Array.from({ length: records }, (_, i) => ({ value: i === 0 ? value : `${value}/${i}` })), baseTimestamp: 1 });
}

/** The first record's value of an uncompressed batch built by `entry`. */
export function valueOf(bytes: Uint8Array, at: number): string {
  const cursor = { pos: at + rb.BATCH_HEADER_BYTES };
  rb.readVarint(bytes, cursor); // record length
  cursor.pos++; // attributes
  rb.readVarint(bytes, cursor); // timestamp delta
  rb.readVarint(bytes, cursor); // offset delta
  const keyLength = rb.readVarint(bytes, cursor);
  if (keyLength > 0) cursor.pos += keyLength;
  const valueLength = rb.readVarint(bytes, cursor);
  return new TextDecoder().decode(bytes.subarray(cursor.pos, cursor.pos + valueLength));
}

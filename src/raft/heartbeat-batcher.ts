/**
 * Per-node batching of the small messages of many groups (Redpanda's heartbeat manager): the
 * heartbeats (full and light), their replies and append replies that the groups of one node send to one other node within a
 * tick travel as one network message; everything else passes straight through. Groups send
 * through `transport`; the receiving owner hands what arrives to `deliverNodeMessage`.
 * Heartbeat timers fall on multiples of the interval (group.ts), so a node's groups beat together.
 */
import { assert, AssertionError } from "../base/assert.ts";
import type { Timers } from "../base/timers.ts";
import type { AppendReply, HeartbeatRequest, NodeId, RaftMessage, RaftReceiver, RaftTransport } from "./types.ts";

/** Most messages one batch carries; a fuller queue is sent at once and a new batch begins. */
export const HEARTBEAT_BATCH_MESSAGES_MAX = 16_384;

/** Batched as messages; light heartbeats and their answers are batched packed (PackedLight). */
export type Batchable = HeartbeatRequest | AppendReply;

const isBatchable = (m: RaftMessage): m is Batchable => m.kind === "heartbeat" || m.kind === "appendReply";

/**
 * Light heartbeats and their answers packed as columns (RaftTransport's lightBeat and
 * lightBeatReply): an idle cluster sends almost only these, so they carry no object per group.
 */
export class PackedLight {
  constructor(
    readonly beatGroups: number[] = [],
    readonly beatTerms: number[] = [],
    readonly beatCommits: number[] = [],
    readonly replyGroups: number[] = [],
    readonly replyTerms: number[] = [],
    readonly replyAccepted: boolean[] = [],
  ) {}

  get count(): number {
    return this.beatGroups.length + this.replyGroups.length;
  }

  beat(group: number, term: number, commitIndex: number): void {
    this.beatGroups.push(group);
    this.beatTerms.push(term);
    this.beatCommits.push(commitIndex);
  }

  reply(group: number, term: number, accepted: boolean): void {
    this.replyGroups.push(group);
    this.replyTerms.push(term);
    this.replyAccepted.push(accepted);
  }

  /**
   * Hands each beat and answer (from `from`) to where `routeOf` says: its group's receiver, or
   * another PackedLight to carry it on (another shard's part). Returns how many had nowhere to go.
   */
  deliver(from: NodeId, routeOf: (group: number) => RaftReceiver | PackedLight | undefined): number {
    let dropped = 0;
    for (let i = 0; i < this.beatGroups.length; i++) {
      const to = routeOf(this.beatGroups[i]!);
      if (to === undefined) dropped++;
      else if (to instanceof PackedLight) to.beat(this.beatGroups[i]!, this.beatTerms[i]!, this.beatCommits[i]!);
      else to.receiveLightBeat(from, this.beatTerms[i]!, this.beatCommits[i]!);
    }
    for (let i = 0; i < this.replyGroups.length; i++) {
      const to = routeOf(this.replyGroups[i]!);
      if (to === undefined) dropped++;
      else if (to instanceof PackedLight) to.reply(this.replyGroups[i]!, this.replyTerms[i]!, this.replyAccepted[i]!);
      else to.receiveLightBeatReply(from, this.replyTerms[i]!, this.replyAccepted[i]!);
    }
    return dropped;
  }
}

/** What one node sends another: a single message, or a batch of small ones (all from and to those nodes). */
export type NodeMessage = { kind: "one"; message: RaftMessage } | { kind: "batch"; from: NodeId; to: NodeId; messages: Batchable[]; light: PackedLight };

interface PendingBatch {
  messages: Batchable[];
  light: PackedLight;
}

export class HeartbeatBatcher {
  private readonly pending = new Map<NodeId, PendingBatch>();
  private flushScheduled = false;
  /** Network messages handed to `send`, and how many group messages they carried. */
  sentNodeMessages = 0;
  sentGroupMessages = 0;

  readonly transport: RaftTransport = {
    send: (m) => this.enqueue(m),
    lightBeat: (group, to, term, commitIndex) => {
      const batch = this.batchTo(to);
      batch.light.beat(group, term, commitIndex);
      this.queued(to, batch);
    },
    lightBeatReply: (group, to, term, accepted) => {
      const batch = this.batchTo(to);
      batch.light.reply(group, term, accepted);
      this.queued(to, batch);
    },
  };

  constructor(
    private readonly self: NodeId,
    private readonly timers: Timers,
    private readonly send: (to: NodeId, message: NodeMessage) => void,
    /** How long the first queued message waits for others to share its batch. */
    private readonly flushDelayMs = 0,
  ) {}

  private enqueue(m: RaftMessage): void {
    if (m.from !== this.self) throw new AssertionError(`node ${this.self} asked to send a message from ${m.from}`);
    if (m.kind === "lightBeat") return this.transport.lightBeat!(m.group, m.to, m.term, m.commitIndex);
    if (m.kind === "lightBeatReply") return this.transport.lightBeatReply!(m.group, m.to, m.term, m.accepted);
    if (!isBatchable(m)) {
      this.sentGroupMessages++;
      return this.emit(m.to, { kind: "one", message: m });
    }
    const batch = this.batchTo(m.to);
    batch.messages.push(m);
    this.queued(m.to, batch);
  }

  private batchTo(to: NodeId): PendingBatch {
    let batch = this.pending.get(to);
    if (batch === undefined) this.pending.set(to, (batch = { messages: [], light: new PackedLight() }));
    return batch;
  }

  /** After a message joined `batch`: sent at once when full, else with the next flush. */
  private queued(to: NodeId, batch: PendingBatch): void {
    this.sentGroupMessages++;
    if (batch.messages.length + batch.light.count >= HEARTBEAT_BATCH_MESSAGES_MAX) this.flushPeer(to);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.timers.after(this.flushDelayMs, () => this.flush());
    }
  }

  /** Sends every queued batch now. */
  flush(): void {
    this.flushScheduled = false;
    for (const to of [...this.pending.keys()]) this.flushPeer(to);
  }

  private flushPeer(to: NodeId): void {
    const batch = this.pending.get(to);
    this.pending.delete(to);
    if (batch === undefined) return;
    const { messages, light } = batch;
    if (messages.length === 1 && light.count === 0) return this.emit(to, { kind: "one", message: messages[0]! });
    if (messages.length + light.count > 0) this.emit(to, { kind: "batch", from: this.self, to, messages, light });
  }

  private emit(to: NodeId, message: NodeMessage): void {
    this.sentNodeMessages++;
    this.send(to, message);
  }
}

/** Hands each group message in `message` to its group; messages for groups this node does not hold are dropped. */
export function deliverNodeMessage(message: NodeMessage, groupOf: (group: number) => RaftReceiver | undefined): void {
  if (message.kind === "one") return void groupOf(message.message.group)?.receive(message.message);
  assert(message.messages.length + message.light.count <= HEARTBEAT_BATCH_MESSAGES_MAX, () => `batch of ${message.messages.length + message.light.count} messages`);
  for (const m of message.messages) {
    assert(m.from === message.from && m.to === message.to, "a batched message with other endpoints than its batch");
    groupOf(m.group)?.receive(m);
  }
  message.light.deliver(message.from, groupOf);
}

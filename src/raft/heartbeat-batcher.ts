/**
 * Per-node batching of the small messages of many groups (Redpanda's heartbeat manager): the
 * heartbeats (full and light), their replies and append replies that the groups of one node send to one other node within a
 * tick travel as one network message; everything else passes straight through. Groups send
 * through `transport`; the receiving owner hands what arrives to `deliverNodeMessage`.
 * Heartbeat timers fall on multiples of the interval (group.ts), so a node's groups beat together.
 */
import { assert, AssertionError } from "../base/assert.ts";
import type { Timers } from "../base/timers.ts";
import type { AppendReply, HeartbeatRequest, LightBeat, LightBeatReply, NodeId, RaftMessage, RaftTransport } from "./types.ts";

/** Most messages one batch carries; a fuller queue is sent at once and a new batch begins. */
export const HEARTBEAT_BATCH_MESSAGES_MAX = 16_384;

export type Batchable = HeartbeatRequest | AppendReply | LightBeat | LightBeatReply;

const isBatchable = (m: RaftMessage): m is Batchable => m.kind === "heartbeat" || m.kind === "appendReply" || m.kind === "lightBeat" || m.kind === "lightBeatReply";

/** What one node sends another: a single message, or a batch of small ones (all from and to those nodes). */
export type NodeMessage = { kind: "one"; message: RaftMessage } | { kind: "batch"; from: NodeId; to: NodeId; messages: Batchable[] };

export class HeartbeatBatcher {
  private readonly pending = new Map<NodeId, Batchable[]>();
  private flushScheduled = false;
  /** Network messages handed to `send`, and how many group messages they carried. */
  sentNodeMessages = 0;
  sentGroupMessages = 0;

  readonly transport: RaftTransport = { send: (m) => this.enqueue(m) };

  constructor(
    private readonly self: NodeId,
    private readonly timers: Timers,
    private readonly send: (to: NodeId, message: NodeMessage) => void,
    /** How long the first queued message waits for others to share its batch. */
    private readonly flushDelayMs = 0,
  ) {}

  private enqueue(m: RaftMessage): void {
    if (m.from !== this.self) throw new AssertionError(`node ${this.self} asked to send a message from ${m.from}`);
    this.sentGroupMessages++;
    if (!isBatchable(m)) return this.emit(m.to, { kind: "one", message: m });
    let queue = this.pending.get(m.to);
    if (queue === undefined) this.pending.set(m.to, (queue = []));
    queue.push(m);
    if (queue.length >= HEARTBEAT_BATCH_MESSAGES_MAX) this.flushPeer(m.to);
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
    const messages = this.pending.get(to);
    this.pending.delete(to);
    if (messages === undefined || messages.length === 0) return;
    this.emit(to, messages.length === 1 ? { kind: "one", message: messages[0]! } : { kind: "batch", from: this.self, to, messages });
  }

  private emit(to: NodeId, message: NodeMessage): void {
    this.sentNodeMessages++;
    this.send(to, message);
  }
}

/** Hands each group message in `message` to its group; messages for groups this node does not hold are dropped. */
export function deliverNodeMessage(message: NodeMessage, groupOf: (group: number) => { receive(m: RaftMessage): void } | undefined): void {
  if (message.kind === "one") return void groupOf(message.message.group)?.receive(message.message);
  assert(message.messages.length <= HEARTBEAT_BATCH_MESSAGES_MAX, `batch of ${message.messages.length} messages`);
  for (const m of message.messages) {
    assert(m.from === message.from && m.to === message.to, "a batched message with other endpoints than its batch");
    groupOf(m.group)?.receive(m);
  }
}

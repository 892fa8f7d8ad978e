/**
 * One shard's Raft network: what its groups send leaves over this shard's RPC link to the
 * receiving node (a `raft` request with the group in the header, so the receiving node routes it
 * to the owner shard; heartbeats and append replies of all groups bound for one node as one
 * `raftBatch` per tick, HeartbeatBatcher), fire and forget. What arrives is handed to the group
 * registered for it on this shard; a batch is split by owner shard and the other shards' parts
 * hop there once. The controller's group registers here like any partition's.
 */
import type { Servers } from "../base/calls.ts";
import type { Logger } from "../base/log.ts";
import type { Timers } from "../base/timers.ts";
import { HeartbeatBatcher, HEARTBEAT_BATCH_MESSAGES_MAX, PackedLight, type Batchable, type NodeMessage } from "../raft/heartbeat-batcher.ts";
import type { RaftMessage, RaftReceiver, RaftTransport } from "../raft/types.ts";
import type { RpcHopCalls } from "../rpc/endpoint.ts";
import { encodeBody } from "../rpc/frame.ts";
import type { Reply } from "../rpc/inbound.ts";
import { RaftBatchRequest, type RpcCalls } from "../rpc/messages/index.ts";
import type { PeerLink } from "../rpc/outbound.ts";
import { decodeBatch, decodeRaftMessage, encodeBatch, encodeRaftMessage } from "./raft-codec.ts";

export interface RaftNetworkOptions {
  nodeId: number;
  shardId: number;
  timers: Timers;
  log: Logger;
  /** This shard's link to a node, once the node list named it. */
  linkTo(node: number): PeerLink | undefined;
  /** The shard of this node that owns a group, or null. */
  groupOwner(group: number): number | null;
  /** Hands an RPC request to another shard of this node (the shard channel). */
  hop(shard: number, request: RpcHopCalls["rpcDeliver"]["request"]): Promise<Reply>;
  /** How long a heartbeat waits for others bound for the same node (0: the same tick). */
  flushDelayMs?: number;
  /** false: every group message travels alone (the benchmark's baseline for batching). */
  batchHeartbeats?: boolean;
}

const ACK = {};

export class RaftNetwork {
  private readonly receivers = new Map<number, RaftReceiver>();
  private readonly batcher: HeartbeatBatcher;
  /** Messages this shard dropped: no link to the node yet, the link down or full, or for a group it does not hold. */
  dropped = 0;

  constructor(private readonly o: RaftNetworkOptions) {
    this.batcher = new HeartbeatBatcher(o.nodeId, o.timers, (to, message) => this.sendToNode(to, message), o.flushDelayMs ?? 0);
  }

  /** What this shard's groups send through. */
  get transport(): RaftTransport {
    if (this.o.batchHeartbeats === false) return this.unbatched;
    return this.batcher.transport;
  }

  private readonly unbatched: RaftTransport = {
    send: (message) => {
      this.batcher.sentGroupMessages++;
      this.batcher.sentNodeMessages++;
      this.sendToNode(message.to, { kind: "one", message });
    },
  };

  get counters(): { nodeMessages: number; groupMessages: number; dropped: number } {
    return { nodeMessages: this.batcher.sentNodeMessages, groupMessages: this.batcher.sentGroupMessages, dropped: this.dropped };
  }

  /** Routes the group's messages arriving on this shard to `receiver`; returns the unregistration. */
  registerGroup(group: number, receiver: RaftReceiver): () => void {
    this.receivers.set(group, receiver);
    return () => {
      if (this.receivers.get(group) === receiver) this.receivers.delete(group);
    };
  }

  /** The RPC servers of Raft traffic, for the shard's endpoint. */
  readonly servers: Pick<Servers<RpcCalls>, "raft" | "raftBatch"> = {
    raft: async (request) => {
      const message = decodeRaftMessage(request);
      if (typeof message === "string") throw new Error(message);
      this.deliver(message);
      return ACK;
    },
    raftBatch: async (request) => {
      if (request.to !== this.o.nodeId) throw new Error(`a Raft batch for node ${request.to} reached node ${this.o.nodeId}`);
      if (request.heartbeats.length + request.replies.length + request.lightBeatGroups.length + request.lightReplyGroups.length > HEARTBEAT_BATCH_MESSAGES_MAX) throw new Error("a Raft batch past its bound");
      const batch = decodeBatch(request);
      if (typeof batch === "string") throw new Error(batch);
      this.deliverBatch(request.from, batch.messages, batch.light, request.hopped);
      return ACK;
    },
  };

  private sendToNode(to: number, message: NodeMessage): void {
    const link = this.o.linkTo(to);
    const sent = link !== undefined && (message.kind === "one"
      ? link.cast("raft", encodeRaftMessage(message.message), { group: message.message.group })
      : link.cast("raftBatch", encodeBatch(message)));
    if (!sent) this.dropped++;
  }

  private deliver(message: RaftMessage): void {
    const receiver = this.receivers.get(message.group);
    // A message for another node, or for a group this shard does not hold (moved, deleted, not yet opened): Raft retries.
    if (receiver === undefined || message.to !== this.o.nodeId) return void this.dropped++;
    receiver.receive(message);
  }

  /** Delivers this shard's part; the rest hops to its owners, once (a hopped batch is delivered, never forwarded). */
  private deliverBatch(from: number, messages: Batchable[], light: PackedLight, hopped: boolean): void {
    const elsewhere = new Map<number, { messages: Batchable[]; light: PackedLight }>();
    /** Another shard's part for the group, when that shard owns it (never for a hopped batch); else undefined. */
    const partFor = (group: number) => {
      const owner = hopped ? null : this.o.groupOwner(group);
      if (owner === null || owner === this.o.shardId) return undefined;
      let part = elsewhere.get(owner);
      if (part === undefined) elsewhere.set(owner, (part = { messages: [], light: new PackedLight() }));
      return part;
    };
    for (const m of messages) {
      const here = this.receivers.get(m.group);
      const part = here === undefined ? partFor(m.group) : undefined;
      if (m.to !== this.o.nodeId || (here === undefined && part === undefined)) this.dropped++;
      else if (here !== undefined) here.receive(m);
      else part!.messages.push(m);
    }
    this.dropped += light.deliver(from, (group) => this.receivers.get(group) ?? partFor(group)?.light);
    for (const [shard, part] of elsewhere) {
      const body = encodeBody(RaftBatchRequest, { ...encodeBatch({ kind: "batch", from, to: this.o.nodeId, ...part }), hopped: true });
      this.o.hop(shard, { method: RaftBatchRequest.apiKey, body }).catch((error: unknown) => {
        this.o.log.warn("could not hand Raft messages to their shard", { shard, error: String(error) });
      });
    }
  }
}

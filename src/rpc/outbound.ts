/**
 * One shard's link to one peer node: a TCP connection it dials, opened with a hello (refused when
 * the peer is in another cluster), then typed calls with at most `inflightMax` in flight (past
 * it, callers wait), a ping every `pingIntervalMs` (a ping that times out closes the link), and
 * after any close a reconnect with jittered exponential backoff. Calls made while the link is
 * down fail at once with `RpcUnavailableError`: the caller (Raft) decides whether to retry.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { Loose, MessageDef } from "../protocol/schema.ts";
import { Backoff, type BackoffPolicy } from "./backoff.ts";
import { decodeBody, encodeFrameParts, FrameCutter, readHeader } from "./frame.ts";
import {
  ANY_SHARD, HelloRequest, HelloResponse, NO_GROUP, rpcMethods, RpcErrorBody, RpcKind,
  type RpcCallName, type RpcCalls,
} from "./messages/index.ts";
import type { RateLimitedLog } from "./rate-limited-log.ts";
import { JOINING_CLUSTER_ID } from "./inbound.ts";
import type { RpcSocket } from "./socket.ts";

/** Fire-and-forget messages may be this many times `inflightMax` in flight (calls wait at `inflightMax`). */
const CAST_INFLIGHT_FACTOR = 8;

export class RpcUnavailableError extends Error {
  override name = "RpcUnavailableError";
}
/** The peer answered with an error (its server failed, or it refused us). */
export class RpcRemoteError extends Error {
  override name = "RpcRemoteError";
}

export interface HostPort {
  host: string;
  port: number;
}

/** Opens a socket; `onData`/`onClose` are called for it until it closes. Rejects when the connect fails. */
export type Dialer = (address: HostPort, handlers: { onData(chunk: Uint8Array): void; onClose(): void; onDrain?(): void }) => Promise<RpcSocket>;

export interface Destination {
  group?: number;
  shard?: number;
}

export type LinkState = "connecting" | "handshaking" | "connected" | "backoff" | "closed";

export interface PeerLinkState {
  address: string;
  state: LinkState;
  nodeId: number | null;
  shardCount: number | null;
  connects: number;
  disconnects: number;
  consecutiveFailures: number;
  lastError: string | null;
  pingsOk: number;
  lastPingRttMs: number | null;
  inflight: number;
  /** The peer is in another cluster (its hello refusal); cleared by a later accepted hello. */
  refused: boolean;
  /** Fire-and-forget messages dropped because the link was down or full. */
  castsDropped: number;
}

export interface PeerLinkOptions {
  address: HostPort;
  hello: HelloRequest;
  dial: Dialer;
  clock: Clock;
  timers: Timers;
  random: () => number;
  backoff: BackoffPolicy;
  inflightMax: number;
  frameBytesMax: number;
  callTimeoutMs: number;
  /** 0: no pings. */
  pingIntervalMs: number;
  warn: RateLimitedLog;
}

interface Pending {
  response: MessageDef<any>;
  resolve(value: unknown): void;
  reject(error: Error): void;
  cancelTimeout: CancelTimer;
  /** Fire and forget: counted apart from calls, whose bound it does not take up. */
  cast: boolean;
}

export class PeerLink {
  private socket: RpcSocket | null = null;
  private state: LinkState = "connecting";
  private readonly backoff: Backoff;
  private readonly pending = new Map<number, Pending>();
  private readonly waitingForRoom: Array<() => void> = [];
  private nextCorrelationId = 1;
  private castsPending = 0;
  private cancelTimer: CancelTimer = () => {};
  private peer: HelloResponse | null = null;
  private stats = { connects: 0, disconnects: 0, pingsOk: 0, lastPingRttMs: null as number | null, lastError: null as string | null, refused: false, castsDropped: 0 };
  /** Bytes of frames written and read on this link, for benchmarks. */
  bytesSent = 0;
  bytesReceived = 0;

  constructor(private readonly options: PeerLinkOptions) {
    this.backoff = new Backoff(options.backoff, options.random);
  }

  get name(): string {
    return `${this.options.address.host}:${this.options.address.port}`;
  }

  start(): void {
    void this.connect();
  }

  /** Waits while `inflightMax` calls are in flight; fails at once if the link is not connected. */
  async call<N extends RpcCallName>(name: N, request: Loose<RpcCalls[N]["request"]>, destination: Destination = {}, timeoutMs = this.options.callTimeoutMs): Promise<RpcCalls[N]["response"]> {
    while (this.state === "connected" && this.pending.size - this.castsPending >= this.options.inflightMax) {
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    }
    if (this.state !== "connected") throw new RpcUnavailableError(`RPC link to ${this.name} is ${this.state}`);
    const method = rpcMethods[name];
    return this.send(method.request, method.response, request, destination, timeoutMs) as Promise<RpcCalls[N]["response"]>;
  }

  /**
   * Fire and forget (Raft traffic): sent now if the link is connected and has room, else dropped;
   * the answer is awaited by no one. Returns whether it was sent.
   */
  cast<N extends RpcCallName>(name: N, request: Loose<RpcCalls[N]["request"]>, destination: Destination = {}): boolean {
    // Casts carry no timer and take none of the calls' room: a deeper bound of their own absorbs a burst (10,000 groups electing at once).
    if (this.state !== "connected" || this.castsPending >= this.options.inflightMax * CAST_INFLIGHT_FACTOR) {
      this.stats.castsDropped++;
      return false;
    }
    const method = rpcMethods[name];
    this.send(method.request, method.response, request, destination, 0).catch(() => {});
    this.castsPending++;
    return true;
  }

  /** How many times the link connected (and said hello) so far. */
  get connects(): number {
    return this.stats.connects;
  }

  snapshot(): PeerLinkState {
    return {
      address: this.name,
      state: this.state,
      nodeId: this.peer?.nodeId ?? null,
      shardCount: this.peer?.shardCount ?? null,
      connects: this.stats.connects,
      disconnects: this.stats.disconnects,
      consecutiveFailures: this.backoff.consecutiveFailures,
      lastError: this.stats.lastError,
      pingsOk: this.stats.pingsOk,
      lastPingRttMs: this.stats.lastPingRttMs,
      inflight: this.pending.size,
      refused: this.stats.refused,
      castsDropped: this.stats.castsDropped,
    };
  }

  close(): void {
    this.state = "closed";
    this.cancelTimer();
    this.socket?.close();
    this.dropConnection("link closed");
  }

  private async connect(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "connecting";
    let socket: RpcSocket;
    const cutter = new FrameCutter(this.options.frameBytesMax);
    try {
      socket = await this.options.dial(this.options.address, {
        onData: (chunk) => this.receive(socket, cutter, chunk),
        onClose: () => this.lost(socket, "connection closed"),
      });
    } catch (error) {
      rethrowIfBroken(error);
      return this.retryLater(`connect failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if ((this.state as LinkState) === "closed") return socket.close();
    this.socket = socket;
    this.state = "handshaking";
    await this.handshake();
  }

  private async handshake(): Promise<void> {
    try {
      const hello = (await this.send(HelloRequest, HelloResponse, this.options.hello, {}, this.options.callTimeoutMs)) as HelloResponse;
      if (this.options.hello.clusterId !== JOINING_CLUSTER_ID && hello.clusterId !== this.options.hello.clusterId) throw new RpcRemoteError(`cluster id mismatch: the peer is in cluster ${hello.clusterId}`);
      this.peer = hello;
      this.state = "connected";
      this.stats.refused = false;
      this.stats.connects++;
      this.backoff.reset();
      this.schedulePing();
    } catch (error) {
      rethrowIfBroken(error);
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes("cluster id mismatch")) this.stats.refused = true;
      this.options.warn.warn(`hello ${this.name}`, "RPC hello failed", { peer: this.name, reason: message });
      this.socket?.close();
      this.lost(this.socket, message);
      this.stats.lastError = message; // the close may have been seen first; the hello's answer says why
    }
  }

  private send(requestDef: MessageDef<any>, responseDef: MessageDef<any>, request: unknown, destination: Destination, timeoutMs: number): Promise<unknown> {
    const socket = this.socket;
    if (socket === null) return Promise.reject(new RpcUnavailableError(`RPC link to ${this.name} is ${this.state}`));
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const parts = encodeFrameParts(
      { kind: RpcKind.request, method: requestDef.apiKey, correlationId, group: destination.group ?? NO_GROUP, shard: destination.shard ?? ANY_SHARD },
      requestDef,
      request as never,
    );
    const result = new Promise<unknown>((resolve, reject) => {
      // A cast (timeout 0) needs no timer: the link's pings notice a dead peer, and its close fails what is pending.
      const cancelTimeout = timeoutMs <= 0 ? () => {} : this.options.timers.after(timeoutMs, () => {
        if (this.pending.delete(correlationId)) this.roomFreed();
        reject(new RpcUnavailableError(`RPC ${requestDef.name} to ${this.name} timed out after ${timeoutMs} ms`));
      });
      this.pending.set(correlationId, { response: responseDef, resolve, reject, cancelTimeout, cast: timeoutMs <= 0 });
    });
    for (const part of parts) {
      socket.write(part);
      this.bytesSent += part.length;
    }
    return result;
  }

  private receive(socket: RpcSocket, cutter: FrameCutter, chunk: Uint8Array): void {
    if (socket !== this.socket) return;
    this.bytesReceived += chunk.length;
    try {
      for (const frame of cutter.push(chunk)) this.settle(frame);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.options.warn.warn("bad-frame", "closing RPC link after a bad frame from the peer", { peer: this.name, reason: error.message });
      socket.close();
      this.lost(socket, `bad frame: ${error.message}`);
    }
  }

  private settle(frame: Uint8Array): void {
    const { header, body } = readHeader(frame);
    const pending = this.pending.get(header.correlationId);
    if (pending === undefined) return; // its call timed out; the answer came late
    if (header.kind === RpcKind.request) throw new ProtocolError("a request on an outbound link");
    const value = header.kind === RpcKind.error ? decodeBody(RpcErrorBody, body) : decodeBody(pending.response, body);
    this.pending.delete(header.correlationId);
    pending.cancelTimeout();
    if (pending.cast) this.castsPending--;
    else this.roomFreed();
    if (header.kind === RpcKind.error) pending.reject(new RpcRemoteError((value as RpcErrorBody).message));
    else pending.resolve(value);
  }

  private roomFreed(): void {
    this.waitingForRoom.shift()?.();
  }

  private schedulePing(): void {
    if (this.options.pingIntervalMs <= 0) return;
    this.cancelTimer = this.options.timers.after(this.options.pingIntervalMs, () => void this.ping());
  }

  private async ping(): Promise<void> {
    const socket = this.socket;
    if (this.state !== "connected" || socket === null) return;
    const sentAtMs = this.options.clock.nowMs();
    try {
      await this.call("ping", { sentAtMs, payload: new Uint8Array(0) }, {}, this.options.callTimeoutMs);
      this.stats.pingsOk++;
      this.stats.lastPingRttMs = this.options.clock.nowMs() - sentAtMs;
      this.schedulePing();
    } catch (error) {
      rethrowIfBroken(error);
      if (socket !== this.socket) return; // already lost and reconnecting
      socket.close();
      this.lost(socket, `ping failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The socket closed or was given up on: fail what was in flight, then reconnect after a backoff. */
  private lost(socket: RpcSocket | null, reason: string): void {
    if (socket !== this.socket || socket === null) return;
    this.socket = null;
    this.stats.disconnects++;
    this.cancelTimer();
    this.dropConnection(reason);
    this.retryLater(reason);
  }

  private dropConnection(reason: string): void {
    for (const pending of this.pending.values()) {
      pending.cancelTimeout();
      pending.reject(new RpcUnavailableError(`RPC link to ${this.name} lost: ${reason}`));
    }
    this.pending.clear();
    this.castsPending = 0;
    for (const wake of this.waitingForRoom.splice(0)) wake();
  }

  private retryLater(reason: string): void {
    if (this.state === "closed") return;
    this.stats.lastError = reason;
    this.state = "backoff";
    const delayMs = this.backoff.nextDelayMs();
    this.cancelTimer = this.options.timers.after(delayMs, () => void this.connect());
  }
}

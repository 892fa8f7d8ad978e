/**
 * The serving end of one connection from a peer node's shard: the first request must be a hello
 * from the same cluster; after it, each request goes to `serve` (which finds the owning shard)
 * and its reply goes back under the request's correlation id, in whatever order they finish. A
 * bad frame, a foreign cluster's hello, or a malformed body closes this connection only.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { decodeBody, encodeBody, encodeFrame, encodeRawFrame, FrameCutter, readHeader } from "./frame.ts";
import { HELLO_METHOD, HelloRequest, HelloResponse, RpcErrorBody, RpcKind, type RpcHeader } from "./messages/index.ts";
import type { RateLimitedLog } from "./rate-limited-log.ts";
import type { RpcSocket } from "./socket.ts";

/** A served request's answer as bytes: a response or error body, or "malformed" (the connection closes). */
export type Reply = { kind: "response" | "error"; body: Uint8Array } | { kind: "malformed"; reason: string };

/** The cluster id a node that has not joined yet says in its hello. */
export const JOINING_CLUSTER_ID = "";

export interface LocalIdentity {
  nodeId: number;
  clusterId: string;
  shardId: number;
  shardCount: number;
  softwareVersion: string;
}

export interface InboundOptions {
  identity: LocalIdentity;
  serve: (header: RpcHeader, body: Uint8Array) => Promise<Reply>;
  frameBytesMax: number;
  inflightMax: number;
  warn: RateLimitedLog;
  remote: string;
  /** Why a caller's node id is refused (a node that left the cluster), or null. */
  refuseNode?: (nodeId: number) => string | null;
  /** Told once the hello is accepted, with the caller's node id. */
  onHello?: (hello: HelloRequest) => void;
}

export class InboundConnection {
  private readonly cutter: FrameCutter;
  private hello: HelloRequest | null = null;
  private inflight = 0;
  private paused = false;
  private closed = false;

  constructor(
    private readonly io: RpcSocket,
    private readonly options: InboundOptions,
  ) {
    this.cutter = new FrameCutter(options.frameBytesMax);
  }

  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      for (const frame of this.cutter.push(chunk)) {
        this.handle(frame);
        if (this.closed) return;
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.refuse("bad-frame", "closing RPC connection after a bad frame", error.message);
    }
  }

  /** The socket closed (either end). */
  close(): void {
    this.closed = true;
  }

  private handle(frame: Uint8Array): void {
    const { header, body } = readHeader(frame);
    if (header.kind !== RpcKind.request) throw new ProtocolError(`expected a request, got kind ${header.kind}`);
    if (this.hello === null) return this.handshake(header, body);
    if (header.method === HELLO_METHOD) throw new ProtocolError("a second hello on one connection");
    this.inflight++;
    if (this.inflight >= this.options.inflightMax && !this.paused) {
      this.paused = true;
      this.io.pause();
    }
    this.options.serve(header, body).then(
      (reply) => this.answer(header, reply),
      (error: unknown) => {
        rethrowIfBroken(error);
        this.answer(header, { kind: "error", body: errorBody(error) });
      },
    );
  }

  private handshake(header: RpcHeader, body: Uint8Array): void {
    if (header.method !== HELLO_METHOD) throw new ProtocolError(`first request must be a hello, got method ${header.method}`);
    const hello = decodeBody(HelloRequest, body);
    const { identity } = this.options;
    const replyHeader = { kind: RpcKind.response, method: HELLO_METHOD, correlationId: header.correlationId, group: header.group, shard: header.shard };
    // An empty cluster id: a node asking to join, which learns the cluster id from this answer.
    if (hello.clusterId !== identity.clusterId && hello.clusterId !== JOINING_CLUSTER_ID) {
      const message = `cluster id mismatch: node ${identity.nodeId} is in cluster ${identity.clusterId}, the caller (node ${hello.nodeId}) in ${hello.clusterId}`;
      this.io.write(encodeFrame({ ...replyHeader, kind: RpcKind.error }, RpcErrorBody, { message }));
      return this.refuse("foreign-cluster", "refusing RPC connection from another cluster", message);
    }
    const refusal = this.options.refuseNode?.(hello.nodeId) ?? null;
    if (refusal !== null) {
      this.io.write(encodeFrame({ ...replyHeader, kind: RpcKind.error }, RpcErrorBody, { message: refusal }));
      return this.refuse("removed-node", "refusing RPC connection from a node that left the cluster", refusal);
    }
    this.hello = hello;
    this.options.onHello?.(hello);
    this.io.write(encodeFrame(replyHeader, HelloResponse, {
      nodeId: identity.nodeId, clusterId: identity.clusterId, shardCount: identity.shardCount, softwareVersion: identity.softwareVersion,
    }));
  }

  private answer(header: RpcHeader, reply: Reply): void {
    this.inflight--;
    if (this.paused && this.inflight < this.options.inflightMax) {
      this.paused = false;
      this.io.resume();
    }
    if (this.closed) return;
    if (reply.kind === "malformed") return this.refuse("bad-frame", "closing RPC connection after a malformed request", reply.reason);
    const kind = reply.kind === "response" ? RpcKind.response : RpcKind.error;
    this.io.write(encodeRawFrame({ kind, method: header.method, correlationId: header.correlationId, group: header.group, shard: header.shard }, reply.body));
  }

  private refuse(kind: string, message: string, reason: string): void {
    this.options.warn.warn(kind, message, { remote: this.options.remote, reason });
    this.closed = true;
    this.io.close();
  }
}

/** An error reply's body: what failed, for the caller's error message. */
export function errorBody(error: unknown): Uint8Array {
  return encodeBody(RpcErrorBody, { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}

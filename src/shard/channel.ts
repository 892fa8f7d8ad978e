/**
 * The one path for cross-shard traffic: typed request/response calls over a MessagePort.
 * Nothing is shared; payloads are structured-cloned and byte buffers are transferred.
 * Each peer has a bounded number of calls in flight: past it, callers wait (backpressure).
 */
import { assert, rethrowIfBroken } from "../base/assert.ts";
import { copyBytes } from "../base/bytes.ts";
import { limits } from "../base/limits.ts";
import type { OpName, OpRequest, OpResponse } from "./ops.ts";

type Envelope =
  | { kind: "call"; id: number; op: OpName; request: unknown }
  | { kind: "reply"; id: number; response?: unknown; error?: string };

export type CallServer = (op: OpName, request: unknown) => Promise<unknown>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class ShardChannel {
  private nextCallId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waitingForRoom: Array<() => void> = [];
  messagesSent = 0;
  messagesReceived = 0;

  constructor(
    private readonly port: MessagePort,
    serve: CallServer,
  ) {
    port.onmessage = (event: { data: unknown }) => {
      this.messagesReceived++;
      const message = event.data as Envelope;
      if (message.kind === "reply") this.settle(message);
      else this.answer(message.id, serve(message.op, message.request));
    };
  }

  get depth(): number {
    return this.pending.size;
  }

  async call<Op extends OpName>(op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>> {
    while (this.pending.size >= limits.crossShardPendingMax) {
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    }
    const id = this.nextCallId++;
    const result = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const transfer: Bun.Transferable[] = [];
    this.send({ kind: "call", id, op, request: detachedCopy(request, transfer) }, transfer);
    return result as Promise<OpResponse<Op>>;
  }

  close(): void {
    this.port.close();
    for (const pending of this.pending.values()) pending.reject(new Error("shard channel closed"));
    this.pending.clear();
  }

  private answer(id: number, work: Promise<unknown>): void {
    work.then(
      (response) => {
        const transfer: Bun.Transferable[] = [];
        this.send({ kind: "reply", id, response: detachedCopy(response, transfer) }, transfer);
      },
      (error: unknown) => {
        rethrowIfBroken(error); // this shard stops; the caller's shard goes down with the broker
        this.send({ kind: "reply", id, error: String(error instanceof Error ? error.stack : error) }, []);
      },
    );
  }

  private settle(message: Extract<Envelope, { kind: "reply" }>): void {
    const pending = this.pending.get(message.id);
    assert(pending, `reply for unknown call ${message.id}`);
    this.pending.delete(message.id);
    if (message.error !== undefined) pending.reject(new Error(`remote shard failed: ${message.error}`));
    else pending.resolve(message.response);
    this.waitingForRoom.shift()?.();
  }

  private send(message: Envelope, transfer: Bun.Transferable[]): void {
    this.messagesSent++;
    this.port.postMessage(message, transfer);
  }
}

/**
 * Structured clone copies a view's whole backing buffer, and a response's bytes may still be in
 * use here (the recent-batch cache). So every byte view in a response is copied to a buffer of
 * its own, exactly its size, and that copy is moved to the peer.
 */
export function detachedCopy<T>(value: T, transfer: Bun.Transferable[], depth = 0): T {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) {
    const copy = copyBytes(value);
    transfer.push(copy.buffer);
    return copy as T;
  }
  if (Array.isArray(value)) return value.map((item) => detachedCopy(item, transfer, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = detachedCopy(item, transfer, depth + 1);
  return out as T;
}

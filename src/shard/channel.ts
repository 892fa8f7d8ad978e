/**
 * The one path between threads: typed request/response calls over a MessagePort, for
 * shard↔shard ops and main↔shard control and controller calls alike. Payloads are
 * structured-cloned; byte views of shared memory go as they are, other byte buffers are copied
 * and the copies transferred. Each end has a bounded number of calls in flight: past it,
 * callers wait (backpressure). What the other end may call is served from a typed table
 * (`Servers`), so every call has a server.
 */
import { assert, rethrowIfBroken } from "../base/assert.ts";
import { copyBytes } from "../base/bytes.ts";
import { countBigBytes } from "../base/big-buffers.ts";
import { CallAbandonedError, type CallRequest, type CallResponse, type CallTable, type Servers } from "../base/calls.ts";
import { limits } from "../base/limits.ts";

/** `movedBytes`: bytes of the buffers transferred or shared with it, which become the receiver's garbage to collect. */
type Envelope =
  | { kind: "call"; id: number; name: string; request: unknown; movedBytes: number }
  | { kind: "reply"; id: number; response?: unknown; error?: string; movedBytes: number };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** One end of a channel: calls `Outgoing` on the peer, serves `Incoming` from it. */
export class Channel<Outgoing extends CallTable<Outgoing>, Incoming extends CallTable<Incoming>> {
  private nextCallId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waitingForRoom: Array<() => void> = [];
  messagesSent = 0;
  messagesReceived = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly servers: Servers<Incoming>,
    /** Who is at the other end, for error messages ("shard 2", "controller"). */
    private readonly peerName: string,
  ) {
    port.onmessage = (event: { data: unknown }) => {
      this.messagesReceived++;
      const message = event.data as Envelope;
      if (message.movedBytes > 0) countBigBytes(message.movedBytes);
      if (message.kind === "reply") this.settle(message);
      else this.answer(message);
    };
  }

  get depth(): number {
    return this.pending.size;
  }

  async call<N extends keyof Outgoing & string>(name: N, request: CallRequest<Outgoing, N>): Promise<CallResponse<Outgoing, N>> {
    while (this.pending.size >= limits.crossShardPendingMax) {
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    }
    const id = this.nextCallId++;
    const result = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const moved = new MovedBytes();
    const copy = detachedCopy(request, moved);
    this.send({ kind: "call", id, name, request: copy, movedBytes: moved.bytes }, moved.transfer);
    return result as Promise<CallResponse<Outgoing, N>>;
  }

  close(): void {
    this.port.close();
    for (const pending of this.pending.values()) pending.reject(new CallAbandonedError(`channel to ${this.peerName} closed`));
    this.pending.clear();
  }

  private answer(message: Extract<Envelope, { kind: "call" }>): void {
    const server = this.servers[message.name as keyof Incoming] as ((request: unknown) => Promise<unknown>) | undefined;
    assert(server, () => `no server for call ${message.name} from ${this.peerName}`); // both ends are this program
    server(message.request).then(
      (response) => {
        const moved = new MovedBytes();
        const copy = detachedCopy(response, moved);
        this.send({ kind: "reply", id: message.id, response: copy, movedBytes: moved.bytes }, moved.transfer);
      },
      (error: unknown) => {
        rethrowIfBroken(error); // this thread stops; the caller's goes down with the broker
        this.send({ kind: "reply", id: message.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), movedBytes: 0 }, []);
      },
    );
  }

  private settle(message: Extract<Envelope, { kind: "reply" }>): void {
    const pending = this.pending.get(message.id);
    assert(pending, () => `reply for unknown call ${message.id}`);
    this.pending.delete(message.id);
    if (message.error !== undefined) pending.reject(new Error(`${this.peerName} failed: ${message.error}`));
    else pending.resolve(message.response);
    this.waitingForRoom.shift()?.();
  }

  private send(message: Envelope, transfer: ArrayBuffer[]): void {
    this.messagesSent++;
    this.port.postMessage(message, transfer);
  }
}

/** What a message takes along: the buffers to transfer, and all the bytes it moves or shares. */
class MovedBytes {
  readonly transfer: ArrayBuffer[] = [];
  bytes = 0;
}

/**
 * Structured clone copies a view's whole backing buffer, and a response's bytes may still be in
 * use here (the recent-batch cache). So every byte view in a message is copied to a buffer of
 * its own, exactly its size, and that copy is moved to the peer; except views of shared memory
 * (`sharedBigBuffer`), whose bytes nobody writes any more: the peer gets a view of the same bytes.
 */
function detachedCopy<T>(value: T, moved: MovedBytes, depth = 0): T {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) {
    moved.bytes += value.length;
    if (value.buffer instanceof SharedArrayBuffer) return value;
    const copy = copyBytes(value);
    moved.transfer.push(copy.buffer);
    return copy as T;
  }
  if (Array.isArray(value)) return value.map((item) => detachedCopy(item, moved, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = detachedCopy(item, moved, depth + 1);
  return out as T;
}

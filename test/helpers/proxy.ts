/**
 * A TCP proxy for fault tests: forwards bytes both ways between clients and the broker, and on
 * command drops connections — all at once (`cutAll`), or the one carrying the broker's next
 * answer to a given API (`cutOnNextResponse`), so a request the broker already handled loses
 * its response and the client must retry it. It follows Kafka framing only to match answers to
 * requests. Start the broker with `--advertise-kafka-addr` set to the proxy so clients come
 * back through it.
 */
import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  upstream: Socket<undefined> | null;
  /** Client bytes that arrived before the upstream connection was open. */
  early: Uint8Array[];
  toClient: Uint8Array[];
  toUpstream: Uint8Array[];
  closed: boolean;
  /** API key of each request sent upstream, by correlation id. */
  apiKeys: Map<number, number>;
  requestFrames: FrameSplitter;
  responseFrames: FrameSplitter;
}

/** Cuts Kafka frames ([int32 size][bytes]) out of a byte stream. */
class FrameSplitter {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const merged = new Uint8Array(this.pending.length + chunk.length);
    merged.set(this.pending);
    merged.set(chunk, this.pending.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (merged.length - at >= 4) {
      const size = new DataView(merged.buffer, at, 4).getInt32(0);
      if (merged.length - at - 4 < size) break;
      frames.push(merged.subarray(at, at + 4 + size));
      at += 4 + size;
    }
    this.pending = merged.slice(at);
    return frames;
  }
}

export class Proxy implements AsyncDisposable {
  private readonly pairs = new Set<Pair>();
  private readonly responsesToDrop = new Map<number, number>();
  target: { host: string; port: number } | null = null;
  /** Connections the proxy has dropped on command. */
  cuts = 0;
  accepted = 0;

  private constructor(private readonly listener: TCPSocketListener<Pair>) {}

  static listen(port = 0): Proxy {
    let self: Proxy | null = null;
    const listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (client) => self!.accept(client),
        data: (client, chunk) => self!.fromClient(client.data, chunk),
        drain: (client) => flush(client, client.data.toClient),
        close: (client) => self!.close(client.data),
        error: (client) => self!.close(client.data),
      },
    });
    self = new Proxy(listener);
    return self;
  }

  get port(): number {
    return this.listener.port;
  }

  /** Drops every open connection now. */
  cutAll(): void {
    for (const pair of [...this.pairs]) this.close(pair);
    this.cuts++;
  }

  /** The broker's next answer to a request of `apiKey` (default Produce) is thrown away and its connection dropped. */
  cutOnNextResponse(apiKey = 0): void {
    this.responsesToDrop.set(apiKey, (this.responsesToDrop.get(apiKey) ?? 0) + 1);
  }

  /** Cuts asked for and not yet done. */
  get pendingCuts(): number {
    let total = 0;
    for (const count of this.responsesToDrop.values()) total += count;
    return total;
  }

  /** Forgets cuts asked for but not yet done. */
  cancelPendingCuts(): void {
    this.responsesToDrop.clear();
  }

  private accept(client: Socket<Pair>): void {
    const pair: Pair = {
      client, upstream: null, early: [], toClient: [], toUpstream: [], closed: false,
      apiKeys: new Map(), requestFrames: new FrameSplitter(), responseFrames: new FrameSplitter(),
    };
    client.data = pair;
    this.pairs.add(pair);
    this.accepted++;
    const target = this.target;
    if (target === null) return this.close(pair);
    Bun.connect<undefined>({
      hostname: target.host,
      port: target.port,
      socket: {
        open: (upstream) => {
          if (pair.closed) return void upstream.end();
          pair.upstream = upstream;
          for (const chunk of pair.early.splice(0)) send(upstream, pair.toUpstream, chunk);
        },
        data: (_upstream, chunk) => this.fromUpstream(pair, chunk),
        drain: (upstream) => flush(upstream, pair.toUpstream),
        close: () => this.close(pair),
        error: () => this.close(pair),
      },
    }).catch(() => this.close(pair));
  }

  private fromClient(pair: Pair, chunk: Uint8Array): void {
    if (pair.closed) return;
    for (const frame of pair.requestFrames.push(chunk)) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      if (frame.length >= 12) pair.apiKeys.set(view.getInt32(8), view.getInt16(4));
      if (pair.upstream === null) pair.early.push(frame);
      else send(pair.upstream, pair.toUpstream, frame);
    }
  }

  private fromUpstream(pair: Pair, chunk: Uint8Array): void {
    if (pair.closed) return;
    for (const frame of pair.responseFrames.push(chunk)) {
      const correlationId = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(4);
      const apiKey = pair.apiKeys.get(correlationId) ?? -1;
      pair.apiKeys.delete(correlationId);
      const toDrop = this.responsesToDrop.get(apiKey) ?? 0;
      if (toDrop > 0) {
        this.responsesToDrop.set(apiKey, toDrop - 1);
        this.cuts++;
        return this.close(pair);
      }
      send(pair.client, pair.toClient, frame);
    }
  }

  private close(pair: Pair): void {
    if (pair.closed) return;
    pair.closed = true;
    this.pairs.delete(pair);
    pair.client.terminate();
    pair.upstream?.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const pair of [...this.pairs]) this.close(pair);
    this.listener.stop(true);
  }
}

/** Writes now what the socket takes, queues the rest for its drain. */
function send(socket: Socket<any>, queue: Uint8Array[], chunk: Uint8Array): void {
  queue.push(chunk);
  flush(socket, queue);
}

function flush(socket: Socket<any>, queue: Uint8Array[]): void {
  while (queue.length > 0) {
    const head = queue[0];
    if (head.length === 0) {
      queue.shift();
      continue;
    }
    const written = socket.write(head);
    if (written <= 0) return;
    if (written < head.length) {
      queue[0] = head.subarray(written);
      return;
    }
    queue.shift();
  }
}

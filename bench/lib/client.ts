/**
 * A minimal pipelining Kafka client for the load generator, built on src/protocol.
 * Requests go out as pre-encoded frames whose correlation id is patched in place;
 * responses come back in order (Kafka answers a connection's requests in order), are
 * matched to the oldest request in flight and handed over as a Reader positioned at
 * the response body. Nothing here allocates per byte received except when a frame
 * spans several socket reads.
 */
import type { Socket } from "bun";
import { decode } from "../../src/protocol/codec.ts";
import { isFlexible } from "../../src/protocol/frame.ts";
import { apis } from "../../src/protocol/messages/index.ts";
import { Reader } from "../../src/protocol/reader.ts";

/** Largest response frame accepted; a bigger size prefix means the stream is corrupt. */
const RESPONSE_BYTES_MAX = 512 * 1024 * 1024;
/** Byte offset of the correlation id in a request frame: size(4) api key(2) api version(2). */
const CORRELATION_ID_AT = 8;

export type OnResponse = (body: Reader, latencyMs: number) => void;
export type OnFailure = (reason: string) => void;

interface InFlight {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  sentAtMs: number;
  onResponse: OnResponse;
  onFailure: OnFailure;
}

export class KafkaConnection {
  private socket: Socket<undefined> | null = null;
  private readonly inFlight: InFlight[] = [];
  private inFlightHead = 0;
  private readonly writeQueue: Uint8Array[] = [];
  private readonly rx = new FrameAssembler();
  private nextCorrelationId = 1;
  private closedReason: string | null = null;

  /** `tls`: connect over TLS, checking the server certificate against `ca` for `serverName`. */
  static async open(host: string, port: number, tls?: { ca: string; serverName: string }): Promise<KafkaConnection> {
    const conn = new KafkaConnection();
    conn.socket = await Bun.connect<undefined>({
      hostname: host,
      port,
      ...(tls && { tls: { ca: tls.ca, serverName: tls.serverName } }),
      socket: {
        data: (_s, chunk) => conn.receive(chunk),
        drain: () => conn.flush(),
        close: () => conn.fail("connection closed by broker"),
        error: (_s, err) => conn.fail(`socket error: ${err.message}`),
      },
    });
    conn.socket.setNoDelay(true);
    return conn;
  }

  get inFlightCount(): number {
    return this.inFlight.length - this.inFlightHead;
  }

  /**
   * Sends `frame` (a whole request frame, size prefix included) after patching its
   * correlation id. The caller must not touch `frame` until `onResponse` or `onFailure` runs.
   */
  send(frame: Uint8Array, onResponse: OnResponse, onFailure: OnFailure): void {
    if (this.closedReason !== null) return onFailure(this.closedReason);
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    view.setInt32(CORRELATION_ID_AT, correlationId);
    const apiKey = view.getInt16(4);
    const apiVersion = view.getInt16(6);
    this.inFlight.push({ correlationId, apiKey, apiVersion, sentAtMs: performance.now(), onResponse, onFailure });
    this.writeQueue.push(frame);
    if (this.writeQueue.length === 1) this.flush();
  }

  /** Sends one request and decodes its response with the API's definition. */
  request<T>(frame: Uint8Array): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const apiKey = view.getInt16(4);
      const apiVersion = view.getInt16(6);
      this.send(
        frame,
        (body) => resolve(decode(apis[apiKey]!.response, apiVersion, body) as T),
        (reason) => reject(new Error(reason)),
      );
    });
  }

  close(): void {
    this.closedReason ??= "connection closed by load generator";
    this.socket?.end();
  }

  private flush(): void {
    const socket = this.socket;
    if (socket === null) return;
    while (this.writeQueue.length > 0) {
      const head = this.writeQueue[0]!;
      const written = socket.write(head);
      if (written < 0) return this.fail("socket write failed");
      if (written < head.length) {
        this.writeQueue[0] = head.subarray(written);
        return; // the drain handler calls flush again
      }
      this.writeQueue.shift();
    }
  }

  private receive(chunk: Uint8Array): void {
    try {
      this.rx.push(chunk, (frame) => this.onFrame(frame));
    } catch (err) {
      this.fail(`bad response stream: ${(err as Error).message}`);
    }
  }

  private onFrame(frame: Uint8Array): void {
    const request = this.inFlight[this.inFlightHead];
    const reader = new Reader(frame);
    const correlationId = reader.int32();
    if (request === undefined || request.correlationId !== correlationId) {
      return this.fail(`unexpected correlation id ${correlationId}, expected ${request?.correlationId ?? "none"}`);
    }
    this.inFlight[this.inFlightHead++] = undefined as unknown as InFlight;
    if (this.inFlightHead > 1024 && this.inFlightHead * 2 > this.inFlight.length) {
      this.inFlight.splice(0, this.inFlightHead);
      this.inFlightHead = 0;
    }
    if (isFlexible(request.apiKey, request.apiVersion)) skipTaggedFields(reader);
    request.onResponse(reader, performance.now() - request.sentAtMs);
  }

  private fail(reason: string): void {
    if (this.closedReason === null) this.closedReason = reason;
    const pending = this.inFlight.slice(this.inFlightHead);
    this.inFlight.length = 0;
    this.inFlightHead = 0;
    this.writeQueue.length = 0;
    for (const request of pending) request.onFailure(this.closedReason);
    this.socket?.end();
  }
}

/** The response header v1 carries a tagged-field section; skua defines no tags in it. */
function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

/**
 * Cuts a byte stream into frames (the bytes after each int32 size). Frames wholly inside
 * one socket read are handed over as views of it; the rest is copied into one reused,
 * growable buffer. `onFrame` must finish with the frame before it returns.
 */
class FrameAssembler {
  private buf = new Uint8Array(1024 * 1024);
  private length = 0;

  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    if (this.length === 0) {
      const consumed = emitFrames(chunk, onFrame);
      if (consumed < chunk.length) this.append(chunk.subarray(consumed));
      return;
    }
    this.append(chunk);
    const consumed = emitFrames(this.buf.subarray(0, this.length), onFrame);
    this.buf.copyWithin(0, consumed, this.length);
    this.length -= consumed;
  }

  private append(bytes: Uint8Array): void {
    const needed = this.length + bytes.length;
    if (needed > this.buf.length) {
      const next = new Uint8Array(Math.max(needed, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(bytes, this.length);
    this.length = needed;
  }
}

/** Hands over every whole frame in `bytes`; returns how many bytes they took. */
function emitFrames(bytes: Uint8Array, onFrame: (frame: Uint8Array) => void): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (bytes.length - at >= 4) {
    const size = view.getInt32(at);
    if (size < 4 || size > RESPONSE_BYTES_MAX) throw new Error(`bad response frame size ${size}`);
    if (bytes.length - at - 4 < size) break;
    onFrame(bytes.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return at;
}

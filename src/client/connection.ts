/**
 * One TCP connection to a Kafka broker, speaking through skua's own codec: requests are
 * framed with `encodeRequestFrame`, responses matched to their request by correlation id
 * and decoded with the API's response definition. Pipelining is allowed.
 */
import type { Socket } from "bun";
import { decode } from "../protocol/codec.ts";
import { encodeRequestFrame, isFlexible } from "../protocol/frame.ts";
import { apis } from "../protocol/messages/index.ts";
import { Reader } from "../protocol/reader.ts";
import { TransportError } from "./errors.ts";
import { saslLogin, type SaslLogin } from "./sasl.ts";

const API_VERSIONS_KEY = 18;
/** Largest response frame accepted; a bigger size prefix means a broken stream. */
const RESPONSE_BYTES_MAX = 128 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/** A request waiting for its response. */
export interface PendingRequest {
  apiKey: number;
  apiVersion: number;
  resolve: (body: any) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Connection {
  private socket: Socket<undefined> | null = null;
  private readonly frames = new FrameSplitter();
  private outbox: Uint8Array[] = [];
  private readonly pending = new Map<number, PendingRequest>();
  private nextCorrelationId = 1;
  private closedError: Error | null = null;
  private drained: Array<() => void> = [];

  private constructor(
    readonly address: string,
    private readonly clientId: string,
  ) {}

  /** Opens a connection; with `login`, logs it in with SASL before anything else is sent. */
  static async open(host: string, port: number, clientId: string, login: SaslLogin | null = null): Promise<Connection> {
    const connection = new Connection(`${host}:${port}`, clientId);
    const connecting = Bun.connect<undefined>({
      hostname: host,
      port,
      socket: {
        data: (_socket, chunk) => connection.onData(chunk),
        drain: () => connection.flush(),
        close: () => connection.fail(new TransportError(`connection to ${connection.address} closed`)),
        error: (_socket, error) => connection.fail(new TransportError(`connection to ${connection.address}: ${error.message}`)),
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransportError(`cannot connect to ${connection.address}: no answer in ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    });
    try {
      connection.socket = await Promise.race([connecting, timeout]);
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw new TransportError(`cannot connect to ${connection.address}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (login === null) return connection;
    try {
      await saslLogin(connection, login);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /** Sends a request and resolves with its decoded response body. */
  request<T = any>(apiKey: number, apiVersion: number, body: object, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const correlationId = this.write(apiKey, apiVersion, body);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new TransportError(`no answer from ${this.address} to ${apis[apiKey]!.name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject, timer });
    });
  }

  /** Sends a request the broker does not answer (Produce with acks=0); resolves once it left the process. */
  async sendOnly(apiKey: number, apiVersion: number, body: object): Promise<void> {
    this.write(apiKey, apiVersion, body);
    if (this.outbox.length > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
  }

  close(): void {
    // end() sends what is queued and a FIN; unref() so a broker slow to close its side cannot keep the process alive.
    this.socket?.end();
    this.socket?.unref();
    this.fail(new TransportError(`connection to ${this.address} closed by the client`));
  }

  private write(apiKey: number, apiVersion: number, body: object): number {
    if (this.closedError !== null) throw this.closedError;
    const correlationId = this.nextCorrelationId++;
    this.outbox.push(encodeRequestFrame(apiKey, apiVersion, correlationId, this.clientId, body));
    this.flush();
    return correlationId;
  }

  private flush(): void {
    const socket = this.socket;
    if (socket === null) return;
    while (this.outbox.length > 0) {
      const head = this.outbox[0]!;
      const written = socket.write(head);
      if (written < head.length) {
        if (written > 0) this.outbox[0] = head.subarray(written);
        return;
      }
      this.outbox.shift();
    }
    for (const resolve of this.drained.splice(0)) resolve();
  }

  private onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      this.fail(new TransportError(`${(error as Error).message} from ${this.address}`));
      this.socket?.end();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: Uint8Array): void {
    const correlationId = responseCorrelationId(frame);
    const pending = this.pending.get(correlationId);
    if (pending === undefined) return; // its request timed out
    this.pending.delete(correlationId);
    clearTimeout(pending.timer);
    try {
      pending.resolve(decodeResponseBody(pending.apiKey, pending.apiVersion, frame));
    } catch (error) {
      pending.reject(new TransportError(`undecodable ${apis[pending.apiKey]!.name} response from ${this.address}: ${(error as Error).message}`));
    }
  }

  private fail(error: Error): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const resolve of this.drained.splice(0)) resolve();
  }
}

/** Cuts a byte stream into response frames (the bytes after each int32 size). */
export class FrameSplitter {
  private inbox = new Uint8Array(0);

  /** The whole frames now available; throws on a size no broker sends (the stream is broken). */
  push(chunk: Uint8Array): Uint8Array[] {
    const merged = new Uint8Array(this.inbox.length + chunk.length);
    merged.set(this.inbox);
    merged.set(chunk, this.inbox.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (merged.length - at >= 4) {
      const size = new DataView(merged.buffer, merged.byteOffset + at, 4).getInt32(0);
      if (size < 4 || size > RESPONSE_BYTES_MAX) throw new TransportError(`bad response frame size ${size}`);
      if (merged.length - at - 4 < size) break;
      frames.push(merged.slice(at + 4, at + 4 + size));
      at += 4 + size;
    }
    this.inbox = merged.slice(at);
    return frames;
  }
}

export function responseCorrelationId(frame: Uint8Array): number {
  return new Reader(frame).int32();
}

/** The body of a response frame to `apiKey` v`apiVersion`, past its header. */
export function decodeResponseBody(apiKey: number, apiVersion: number, frame: Uint8Array): any {
  const reader = new Reader(frame, 4);
  // Response header v1 (flexible versions, but never ApiVersions) carries a tagged-field section.
  if (apiKey !== API_VERSIONS_KEY && isFlexible(apiKey, apiVersion)) {
    const count = reader.uvarint();
    for (let i = 0; i < count; i++) {
      reader.uvarint();
      reader.skip(reader.uvarint());
    }
  }
  return decode(apis[apiKey]!.response, apiVersion, reader);
}

/**
 * One client connection: cuts the byte stream into frames, hands each to the dispatcher, and
 * writes the answers back in request order even when they finish out of order.
 */
import { assert, AssertionError } from "../base/assert.ts";
import { copyBytes } from "../base/bytes.ts";
import { limits } from "../base/limits.ts";

export type FrameResult = Uint8Array | null; // null: this request has no response (acks=0)

export interface ConnectionIo {
  /** Bytes the socket accepted now, or -1 once it is closed (the client went away). */
  write(bytes: Uint8Array): number;
  close(): void;
  /** Stop and restart reading from the socket: the client then feels TCP backpressure. */
  pause(): void;
  resume(): void;
}

export type Dispatch = (frame: Uint8Array) => Promise<FrameResult>;

const SIZE_PREFIX_BYTES = 4;

export class Connection {
  private partial: Uint8Array | null = null; // a frame still arriving, size prefix included
  private partialFilled = 0;
  private partialSizeKnown = false;
  private readonly answers: Array<{ result: FrameResult | undefined }> = [];
  private unsent: Uint8Array[] = [];
  private closed = false;
  private waitingFrames: Uint8Array[] = [];
  private paused = false;
  private inflight = 0;

  constructor(
    private readonly io: ConnectionIo,
    private readonly dispatch: Dispatch,
    private readonly requestBytesMax: number,
    private readonly onBadInput: (reason: string) => void,
    /** A request failed an assertion: the shard must stop (never called for bad input). */
    private readonly onBroken: (error: unknown) => void,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Feeds bytes from the socket. Each frame is copied once into a buffer of its own, so the
   * socket's buffer may be reused and a large frame arriving in pieces is not copied again and again.
   */
  receive(data: Uint8Array): void {
    let position = 0;
    while (position < data.length && !this.closed) {
      if (this.partial) {
        position = this.fillPartial(data, position);
        continue;
      }
      const available = data.length - position;
      if (available < SIZE_PREFIX_BYTES) {
        this.startPartial(data.subarray(position), -1);
        break;
      }
      const size = readFrameSize(data, position);
      if (size < 0 || size > this.requestBytesMax) return this.reject(`frame of ${size} bytes (limit ${this.requestBytesMax})`);
      if (available - SIZE_PREFIX_BYTES < size) {
        this.startPartial(data.subarray(position), size);
        break;
      }
      this.waitingFrames.push(copyBytes(data, position + SIZE_PREFIX_BYTES, position + SIZE_PREFIX_BYTES + size));
      position += SIZE_PREFIX_BYTES + size;
    }
    this.startWaitingFrames();
  }

  /** Begins a frame that continues in later reads; size -1 when even its size prefix is cut. */
  private startPartial(head: Uint8Array, size: number): void {
    this.partial = new Uint8Array(size < 0 ? SIZE_PREFIX_BYTES : SIZE_PREFIX_BYTES + size);
    this.partial.set(head);
    this.partialFilled = head.length;
    this.partialSizeKnown = size >= 0;
  }

  private fillPartial(data: Uint8Array, position: number): number {
    const partial = this.partial!;
    const take = Math.min(partial.length - this.partialFilled, data.length - position);
    partial.set(data.subarray(position, position + take), this.partialFilled);
    this.partialFilled += take;
    if (this.partialFilled < partial.length) return position + take;
    if (!this.partialSizeKnown) {
      const size = readFrameSize(partial, 0);
      if (size < 0 || size > this.requestBytesMax) {
        this.reject(`frame of ${size} bytes (limit ${this.requestBytesMax})`);
        return data.length;
      }
      this.startPartial(partial, size);
      return position + take;
    }
    this.waitingFrames.push(partial.subarray(SIZE_PREFIX_BYTES));
    this.partial = null;
    return position + take;
  }

  /** The socket can take more bytes. */
  drain(): void {
    this.flushUnsent();
  }

  close(): void {
    this.closed = true;
    this.waitingFrames = [];
    this.unsent = [];
    this.partial = null;
  }

  /** Malformed input: say why in the log and drop only this connection. */
  reject(reason: string): void {
    if (this.closed) return;
    this.onBadInput(reason);
    this.close();
    this.io.close();
  }

  /**
   * A request that threw: a broken invariant goes on up (it stops the shard, and so the broker);
   * anything else is taken as the client's doing and drops only this connection.
   */
  private failed(error: unknown): void {
    if (error instanceof AssertionError) return this.onBroken(error);
    this.reject(error instanceof Error ? error.message : String(error));
  }

  private startWaitingFrames(): void {
    while (this.waitingFrames.length > 0 && this.inflight < limits.inflightRequestsPerConnectionMax && !this.closed) {
      const frame = this.waitingFrames.shift()!;
      const slot: { result: FrameResult | undefined } = { result: undefined };
      this.answers.push(slot);
      this.inflight++;
      this.dispatch(frame).then(
        (result) => this.finish(slot, result),
        (error: unknown) => this.failed(error),
      );
    }
    this.applyBackpressure();
  }

  /**
   * A client that sends faster than its requests are served stops being read once a full
   * window of frames waits behind the in-flight ones, and is read again when half of it has gone.
   */
  private applyBackpressure(): void {
    const waiting = this.waitingFrames.length;
    if (!this.paused && waiting >= limits.inflightRequestsPerConnectionMax) {
      this.paused = true;
      this.io.pause();
    } else if (this.paused && waiting < limits.inflightRequestsPerConnectionMax / 2) {
      this.paused = false;
      this.io.resume();
    }
  }

  private finish(slot: { result: FrameResult | undefined }, result: FrameResult): void {
    if (this.closed) return;
    slot.result = result;
    this.inflight--;
    while (this.answers.length > 0 && this.answers[0].result !== undefined) {
      const head = this.answers.shift()!;
      if (head.result) this.unsent.push(head.result);
    }
    this.flushUnsent();
    this.startWaitingFrames();
  }

  private flushUnsent(): void {
    while (this.unsent.length > 0 && !this.closed) {
      const bytes = this.unsent[0];
      const written = this.io.write(bytes);
      if (written < 0) return this.close(); // the client is gone: its answers have no one to go to
      assert(written <= bytes.length, "socket wrote an impossible count");
      if (written < bytes.length) {
        this.unsent[0] = bytes.subarray(written);
        return; // wait for drain
      }
      this.unsent.shift();
    }
  }
}

function readFrameSize(bytes: Uint8Array, position: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + position, SIZE_PREFIX_BYTES).getInt32(0);
}

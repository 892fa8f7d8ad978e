/**
 * One client connection: cuts the byte stream into frames, hands each to the dispatcher, and
 * writes the answers back in request order even when they finish out of order.
 *
 * Memory: every byte a connection holds (frames arriving, frames waiting, answers unsent) is
 * taken from the shard's `MemoryBudget` as it is allocated; a frame's buffer grows with the
 * bytes that came, never to the size a client declares up front.
 */
import { assert, AssertionError } from "../base/assert.ts";
import { copyBytes } from "../base/bytes.ts";
import { sharedBigBuffer } from "../base/big-buffers.ts";
import { giveBack } from "../base/lent-buffers.ts";
import { limits } from "../base/limits.ts";
import type { BudgetHolder, MemoryBudget } from "../base/memory-budget.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import { requestApiKey } from "../protocol/frame.ts";

/** A response frame: one buffer, or its parts in order (a Fetch answer's record batches are parts of their own, never copied into it). */
export type Frame = Uint8Array | readonly Uint8Array[];
export type FrameResult = Frame | null; // null: this request has no response (acks=0)

export function frameBytes(frame: Frame): number {
  if (frame instanceof Uint8Array) return frame.length;
  let total = 0;
  for (const part of frame) total += part.length;
  return total;
}

export interface ConnectionIo {
  /** Bytes the socket accepted now, or -1 once it is closed (the client went away). */
  write(bytes: Uint8Array): number;
  /**
   * Several pieces in one system call where the socket allows it (plain TCP): the bytes taken, or -1
   * if none were (the buffer full, or an error that the next `write` reports). At most `piecesMax`
   * pieces, none empty.
   */
  gathered?: { write(pieces: readonly Uint8Array[]): number; piecesMax: number } | undefined;
  close(): void;
  /** Stop and restart reading from the socket: the client then feels TCP backpressure. */
  pause(): void;
  resume(): void;
}

export type Dispatch = (frame: Uint8Array) => Promise<FrameResult>;

export interface ConnectionOptions {
  requestBytesMax: number;
  /** The shard's budget every connection takes its bytes from. */
  budget: MemoryBudget;
  /** Past this many bytes of answers not yet taken by the client, no request is read or started. */
  unsentBytesMax: number;
  /** A frame whose bytes have not all come this long after its first one closes the connection (slowloris). */
  frameTimeoutMs: number;
  timers: Timers;
  /** Why the connection is being dropped (bad input, too slow, shed for memory). */
  onBadInput: (reason: string) => void;
  /** A request failed an assertion: the shard must stop (never called for bad input). */
  onBroken: (error: unknown) => void;
}

const SIZE_PREFIX_BYTES = 4;
/** Pieces below this are copied together before a socket write; a joined write holds at most WRITE_COALESCE_BYTES_MAX. */
const WRITE_COALESCE_PIECE_BYTES_MAX = 16 * 1024;
const WRITE_COALESCE_BYTES_MAX = 64 * 1024;
const WRITE_COALESCE_PIECES_MAX = 256;
const FETCH_API_KEY = 1;
/** Once this share of a frame came, its buffer is allocated whole (a client holds at most 16× what it sent). */
const FRAME_WHOLE_RATIO = 16;

export class Connection implements BudgetHolder {
  // The frame arriving: its size prefix, then its body in a buffer grown as bytes come.
  private readonly prefix = new Uint8Array(SIZE_PREFIX_BYTES);
  private prefixFilled = 0;
  private body: Uint8Array | null = null;
  private bodySize = -1; // -1 until the prefix is complete
  private bodyFilled = 0;
  private frameDeadline: CancelTimer | null = null;
  /** Bytes of a read that did not fit the budget: copied, charged, processed when memory frees. */
  private stash: Uint8Array | null = null;
  private cancelMemoryWait: (() => void) | null = null;

  private readonly answers: Array<{ result: FrameResult | undefined }> = [];
  private unsent: Uint8Array[] = [];
  private unsentBytes = 0; // answers finished but not written, in order or not
  private waitingFrames: Uint8Array[] = [];
  private waitingBytes = 0;
  private inflight = 0;
  private fetchInFlight = false;
  private closed = false;
  private paused = false;
  /** Set while the client is throttled (over a quota): nothing of it is read or started. */
  private cancelMute: CancelTimer | null = null;
  /** Set while the connection is held for a move to another shard (`holdForMove`). */
  private hold: { resolve: (rest: Uint8Array | null) => void; cancelTimer: CancelTimer } | null = null;

  constructor(
    private readonly io: ConnectionIo,
    private readonly dispatch: Dispatch,
    private readonly options: ConnectionOptions,
  ) {
    options.budget.register(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get stuckBytes(): number {
    return (this.body?.length ?? 0) + (this.stash?.length ?? 0) + this.waitingBytes + this.unsentBytes;
  }

  shed(reason: string): void {
    this.reject(reason);
  }

  /** Feeds bytes from the socket (which may reuse its buffer: what is kept is copied). */
  receive(data: Uint8Array): void {
    if (this.closed) return;
    if (this.stash) return this.addToStash(data); // arrived after we paused: keep the order
    const stopped = this.consume(data);
    if (stopped < data.length) {
      this.addToStash(data.subarray(stopped));
      this.waitForMemory();
    }
    this.startWaitingFrames();
  }

  /** Cuts `data` into frames until it is used up or the budget has no room; returns where it stopped. */
  private consume(data: Uint8Array): number {
    let position = 0;
    while (position < data.length && !this.closed) {
      if (this.bodySize < 0) {
        position = this.fillPrefix(data, position);
        continue;
      }
      const next = this.fillBody(data, position);
      if (next < 0) return this.closed ? data.length : position; // no memory now (or this connection was shed for it)
      position = next;
    }
    if (this.closed) return data.length;
    if (this.frameDeadline === null && (this.prefixFilled > 0 || this.bodySize >= 0)) this.armDeadline();
    return position;
  }

  private fillPrefix(data: Uint8Array, position: number): number {
    const take = Math.min(SIZE_PREFIX_BYTES - this.prefixFilled, data.length - position);
    this.prefix.set(data.subarray(position, position + take), this.prefixFilled);
    this.prefixFilled += take;
    if (this.prefixFilled < SIZE_PREFIX_BYTES) return position + take;
    const size = new DataView(this.prefix.buffer).getInt32(0);
    const max = this.options.requestBytesMax;
    if (size < 0 || size > max) {
      this.reject(`frame of ${size} bytes (limit ${max})`);
      return data.length;
    }
    this.bodySize = size;
    this.bodyFilled = 0;
    if (size === 0) this.completeFrame(new Uint8Array(0));
    return position + take;
  }

  /** Copies what fits of the body; -1 when the budget has no room for the next bytes. */
  private fillBody(data: Uint8Array, position: number): number {
    const take = Math.min(this.bodySize - this.bodyFilled, data.length - position);
    if (!this.growBody(this.bodyFilled + take)) return -1;
    this.body!.set(data.subarray(position, position + take), this.bodyFilled);
    this.bodyFilled += take;
    if (this.bodyFilled === this.bodySize) this.completeFrame(this.body!);
    return position + take;
  }

  /**
   * Makes the body buffer hold at least `needed` bytes: doubling (from 64 KiB) up to the
   * declared size, so a frame that never comes holds only about what came. False: no memory.
   */
  private growBody(needed: number): boolean {
    const have = this.body?.length ?? 0;
    if (needed <= have) return true;
    // A frame whose bytes came to a 16th of its size gets its whole buffer now, if the budget has
    // room: one copy instead of one per doubling. Else it doubles, as before.
    const doubled = Math.min(this.bodySize, Math.max(needed, have * 2, limits.frameBufferInitialBytes));
    const whole = this.bodySize > doubled && this.bodySize <= needed * FRAME_WHOLE_RATIO && this.options.budget.takeIfFree(this.bodySize - have);
    const wanted = whole ? this.bodySize : doubled;
    if (!whole && !this.options.budget.take(this, wanted - have)) return false;
    const grown = sharedBigBuffer(wanted);
    if (this.body) grown.set(this.body.subarray(0, this.bodyFilled));
    this.body = grown;
    return true;
  }

  private completeFrame(frame: Uint8Array): void {
    assert(frame.length === this.bodySize, "frame buffer sized past its frame");
    this.waitingFrames.push(frame);
    this.waitingBytes += frame.length;
    this.body = null;
    this.bodySize = -1;
    this.prefixFilled = 0;
    this.frameDeadline?.(); // a frame that came in one read never had one
    this.frameDeadline = null;
  }

  private armDeadline(): void {
    const { timers, frameTimeoutMs } = this.options;
    // Kept while we do not read too: a slow sender paused for memory must still go in time.
    this.frameDeadline = timers.after(frameTimeoutMs, () => {
      this.frameDeadline = null;
      this.reject(`request frame not complete ${frameTimeoutMs} ms after its first byte`);
    });
  }

  private addToStash(data: Uint8Array): void {
    const joined = new Uint8Array((this.stash?.length ?? 0) + data.length);
    if (this.stash) joined.set(this.stash);
    joined.set(data, this.stash?.length ?? 0);
    this.options.budget.charge(data.length); // already read: bounded by one socket read past the pause
    this.stash = joined;
  }

  private waitForMemory(): void {
    if (this.cancelMemoryWait || this.closed) return;
    this.cancelMemoryWait = this.options.budget.whenFree(() => {
      this.cancelMemoryWait = null;
      this.retryStash();
    });
    this.updateReading();
  }

  private retryStash(): void {
    if (this.closed || !this.stash) return;
    const stash = this.stash;
    this.stash = null;
    const stopped = this.consume(stash);
    this.options.budget.release(stash.length);
    if (this.closed) return;
    if (stopped < stash.length) {
      this.addToStash(stash.subarray(stopped));
      this.waitForMemory();
    }
    this.startWaitingFrames();
  }

  /** The socket can take more bytes. */
  drain(): void {
    this.flushUnsent();
    this.startWaitingFrames();
    this.settleHoldIfQuiet();
  }

  /**
   * Readies the connection to move to another shard: stops reading and starting requests, and
   * once every started request is answered and every answer written, resolves with the bytes
   * it received and did not serve (whole frames waiting, with their size prefixes, then the
   * part of the frame arriving), in order. The connection is then closed here (`close`) and
   * the bytes go with the socket; or, on null, it serves on: the hold ended without a quiet
   * moment within `timeoutMs`, or the connection holds bytes it could not yet take (memory).
   */
  holdForMove(timeoutMs: number): Promise<Uint8Array | null> {
    if (this.closed || this.hold !== null || this.stash !== null || this.cancelMute !== null) return Promise.resolve(null);
    const { promise, resolve } = Promise.withResolvers<Uint8Array | null>();
    const cancelTimer = this.options.timers.after(timeoutMs, () => this.endHold(null));
    this.hold = { resolve, cancelTimer };
    this.updateReading();
    this.settleHoldIfQuiet();
    return promise;
  }

  /** After a hold that gave its bytes back, when the move could not go ahead after all: reads and serves again. */
  serveOn(): void {
    this.startWaitingFrames();
  }

  private settleHoldIfQuiet(): void {
    if (this.hold === null || this.inflight > 0 || this.unsent.length > 0) return;
    if (this.stash !== null || this.cancelMemoryWait !== null) return this.endHold(null);
    this.endHold(this.unserved());
  }

  private endHold(rest: Uint8Array | null): void {
    const hold = this.hold;
    if (hold === null) return;
    this.hold = null;
    hold.cancelTimer();
    hold.resolve(rest);
    if (rest === null && !this.closed) this.startWaitingFrames(); // serves on (and reads again)
  }

  /** The bytes received and not served, as the client sent them. */
  private unserved(): Uint8Array {
    const partial = this.bodySize >= 0 ? SIZE_PREFIX_BYTES + this.bodyFilled : this.prefixFilled;
    let total = partial;
    for (const f of this.waitingFrames) total += SIZE_PREFIX_BYTES + f.length;
    const out = sharedBigBuffer(total);
    const view = new DataView(out.buffer);
    let at = 0;
    for (const f of this.waitingFrames) {
      view.setInt32(at, f.length);
      out.set(f, at + SIZE_PREFIX_BYTES);
      at += SIZE_PREFIX_BYTES + f.length;
    }
    out.set(this.prefix.subarray(0, Math.min(partial, SIZE_PREFIX_BYTES)), at);
    if (this.body !== null) out.set(this.body.subarray(0, this.bodyFilled), at + SIZE_PREFIX_BYTES);
    return out;
  }

  /**
   * A client over its quota (KIP-219): for `delayMs` none of its requests are read or started;
   * answers already made still go. A later throttle replaces an earlier one.
   */
  mute(delayMs: number): void {
    if (this.closed) return;
    this.cancelMute?.();
    this.cancelMute = this.options.timers.after(delayMs, () => {
      this.cancelMute = null;
      this.startWaitingFrames();
    });
    this.updateReading();
  }

  /** Gives back every byte held; requests still being served give theirs back when they finish. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { budget } = this.options;
    budget.release((this.body?.length ?? 0) + (this.stash?.length ?? 0) + this.waitingBytes + this.unsentBytes);
    budget.unregister(this);
    this.cancelMemoryWait?.();
    this.cancelMute?.();
    this.frameDeadline?.();
    this.endHold(null);
    this.waitingFrames = [];
    this.waitingBytes = 0;
    this.unsent = [];
    this.unsentBytes = 0;
    this.body = null;
    this.stash = null;
  }

  /** Malformed input: say why in the log and drop only this connection. */
  reject(reason: string): void {
    if (this.closed) return;
    this.options.onBadInput(reason);
    this.close();
    this.io.close();
  }

  /**
   * A request that threw: a broken invariant goes on up (it stops the shard, and so the broker);
   * anything else is taken as the client's doing and drops only this connection.
   */
  private failed(error: unknown, frameBytes: number): void {
    this.options.budget.release(frameBytes);
    if (error instanceof AssertionError) return this.options.onBroken(error);
    this.reject(error instanceof Error ? error.message : String(error));
  }

  /**
   * Starts waiting frames while the connection's window allows: at most a window in flight,
   * none while too many answer bytes wait for the client, and one Fetch at a time (as Kafka
   * serves one request per connection; a Fetch answer is the one that can be tens of MiB).
   */
  private startWaitingFrames(): void {
    while (this.canStartNext()) {
      const frame = this.waitingFrames.shift()!;
      this.waitingBytes -= frame.length;
      const isFetch = requestApiKey(frame) === FETCH_API_KEY;
      if (isFetch) this.fetchInFlight = true;
      const slot: { result: FrameResult | undefined } = { result: undefined };
      this.answers.push(slot);
      this.inflight++;
      this.dispatch(frame).then(
        (result) => this.finish(slot, result, frame.length, isFetch),
        (error: unknown) => this.failed(error, frame.length),
      );
    }
    this.updateReading();
  }

  private canStartNext(): boolean {
    if (this.closed || this.waitingFrames.length === 0 || this.cancelMute !== null || this.hold !== null) return false;
    if (this.inflight >= limits.inflightRequestsPerConnectionMax) return false;
    if (this.unsentBytes > this.options.unsentBytesMax) return false;
    return !(this.fetchInFlight && requestApiKey(this.waitingFrames[0]) === FETCH_API_KEY);
  }

  /**
   * The socket is not read while the connection waits for memory or is throttled, while its answers past the
   * bound wait for the client, or once a full window of frames waits behind the in-flight ones
   * (read again when half of it has gone).
   */
  private updateReading(): void {
    if (this.closed) return;
    const window = limits.inflightRequestsPerConnectionMax;
    const waiting = this.waitingFrames.length;
    const blocked =
      this.hold !== null ||
      this.cancelMemoryWait !== null ||
      this.cancelMute !== null ||
      this.unsentBytes > this.options.unsentBytesMax ||
      waiting >= window ||
      (this.paused && waiting >= window / 2);
    if (blocked && !this.paused) {
      this.paused = true;
      this.io.pause();
    } else if (!blocked && this.paused) {
      this.paused = false;
      this.io.resume();
    }
  }

  private finish(slot: { result: FrameResult | undefined }, result: FrameResult, requestBytes: number, isFetch: boolean): void {
    const { budget } = this.options;
    budget.release(requestBytes);
    if (this.closed) return;
    slot.result = result;
    this.inflight--;
    if (isFetch) this.fetchInFlight = false;
    if (result) {
      const bytes = frameBytes(result);
      budget.charge(bytes);
      this.unsentBytes += bytes;
    }
    while (this.answers.length > 0 && this.answers[0].result !== undefined) {
      const head = this.answers.shift()!;
      if (head.result instanceof Uint8Array) this.unsent.push(head.result);
      else if (head.result) for (const part of head.result) if (part.length > 0) this.unsent.push(part);
    }
    this.flushUnsent();
    this.startWaitingFrames();
    this.settleHoldIfQuiet();
  }

  private flushUnsent(): void {
    if (this.io.gathered) this.sendGathered(this.io.gathered);
    while (this.unsent.length > 0 && !this.closed) {
      this.coalesceHead();
      const bytes = this.unsent[0]!;
      const written = this.io.write(bytes);
      if (written < 0) return this.close(); // the client is gone: its answers have no one to go to
      assert(written <= bytes.length, "socket wrote an impossible count");
      this.takeSent(written);
      if (written < bytes.length) return; // wait for drain
    }
  }

  /**
   * Sends the queued pieces as they are, many per system call (the Fetch answer's fields and the
   * batches between them, pipelined small answers), until the socket takes fewer bytes than
   * offered; what is left then goes through `write`, which finds out why and arms the drain callback.
   */
  private sendGathered(gathered: NonNullable<ConnectionIo["gathered"]>): void {
    while (this.unsent.length > 1 && !this.closed) {
      const pieces = this.unsent.length <= gathered.piecesMax ? this.unsent : this.unsent.slice(0, gathered.piecesMax);
      let offered = 0;
      for (const piece of pieces) offered += piece.length;
      const written = gathered.write(pieces);
      if (written <= 0) return;
      assert(written <= offered, "socket wrote an impossible count");
      this.takeSent(written);
      if (written < offered) return;
    }
  }

  /** The socket took `written` bytes from the head of the queue: pieces it took whole are given back (a lent read buffer may be reused), a piece it took part of keeps its rest. */
  private takeSent(written: number): void {
    this.sent(written);
    let left = written;
    while (left > 0) {
      const head = this.unsent[0]!;
      if (left < head.length) {
        this.unsent[0] = head.subarray(left);
        return;
      }
      left -= head.length;
      giveBack(this.unsent.shift()!);
    }
  }

  /**
   * Joins the small pieces at the head of the queue (pipelined small answers, the fields between two
   * partitions' batches) into one buffer, so they leave in one socket write instead of one each.
   * Large pieces are written as they are: copying them would cost more than the write saves.
   */
  private coalesceHead(): void {
    let count = 0;
    let total = 0;
    while (count < this.unsent.length && count < WRITE_COALESCE_PIECES_MAX) {
      const size = this.unsent[count].length;
      if (size >= WRITE_COALESCE_PIECE_BYTES_MAX || total + size > WRITE_COALESCE_BYTES_MAX) break;
      total += size;
      count++;
    }
    if (count < 2) return;
    const joined = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < count; i++) {
      joined.set(this.unsent[i], at);
      at += this.unsent[i].length;
      giveBack(this.unsent[i]);
    }
    this.unsent.splice(0, count, joined);
  }

  private sent(bytes: number): void {
    this.unsentBytes -= bytes;
    this.options.budget.release(bytes);
  }
}

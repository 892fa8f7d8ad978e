/**
 * What the RPC connections need of a TCP socket, and its Bun implementation: writes that never
 * drop bytes (what the socket does not take now is queued and sent on drain), close, and
 * pausing reads for backpressure.
 */
import type { Socket } from "bun";

export interface RpcSocket {
  write(bytes: Uint8Array): void;
  close(): void;
  pause(): void;
  resume(): void;
}

/** Frames smaller than this written in one tick are copied into one buffer: one send for many. */
const COALESCE_BYTES_MAX = 64 * 1024;

/** Writes made in one tick go out together after it (a microtask), so a burst of frames costs one send. */
export class BunRpcSocket implements RpcSocket {
  private readonly queue: Uint8Array[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly socket: Socket<any>) {}

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.queue.push(bytes);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.drain();
    });
  }

  /** Called from the socket's drain handler, and after each tick's writes. */
  drain(): void {
    if (!this.closed) this.flush();
  }

  /** Writes what the socket takes now; false once the socket is gone. */
  private flush(): boolean {
    while (this.queue.length > 0) {
      const head = this.coalesceHead();
      const written = this.socket.write(head);
      if (written < 0) return false;
      if (written < head.length) {
        this.queue[0] = head.subarray(written);
        return true;
      }
      this.queue.shift();
    }
    return true;
  }

  /** Merges the small frames at the head of the queue into one. */
  private coalesceHead(): Uint8Array {
    let count = 0;
    let sizeBytes = 0;
    while (count < this.queue.length && sizeBytes + this.queue[count].length <= COALESCE_BYTES_MAX) sizeBytes += this.queue[count++].length;
    if (count <= 1) return this.queue[0];
    const merged = new Uint8Array(sizeBytes);
    let at = 0;
    for (const frame of this.queue.splice(0, count)) {
      merged.set(frame, at);
      at += frame.length;
    }
    this.queue.unshift(merged);
    return merged;
  }

  /** Sends what was written first (a refusal's error frame), then closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.queue.length = 0;
    this.socket.end();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

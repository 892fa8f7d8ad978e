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

export class BunRpcSocket implements RpcSocket {
  private readonly queue: Uint8Array[] = [];
  private closed = false;

  constructor(private readonly socket: Socket<any>) {}

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.queue.push(bytes);
    if (this.queue.length === 1) this.drain();
  }

  /** Called from the socket's drain handler, and after each write. */
  drain(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0];
      const written = this.socket.write(head);
      if (written < 0) return this.close();
      if (written < head.length) {
        this.queue[0] = head.subarray(written);
        return;
      }
      this.queue.shift();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
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

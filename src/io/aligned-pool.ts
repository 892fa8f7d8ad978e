/**
 * Reusable 4 KiB-aligned write buffers for one shard's io_uring disk. A fresh multi-megabyte
 * buffer per write costs a zero-fill and a page fault per 4 KiB; reusing them does not. Buffers
 * come in power-of-two sizes; at most `pooledBytesMax` wait for reuse, the rest are dropped.
 * Buffers under 64 KiB have a bound of their own, `smallPooledBytesMax`: a partition taking
 * small requests writes one such chunk per group commit, thousands per second, and the one-block
 * chunks of thousands of idle partitions must not crowd the large buffers out of the pool.
 * Reused memory is not zeroed: callers write every byte they hand to the kernel.
 * It also counts the bytes handed out and not yet released, the shard's write-behind: past
 * `heldBytesMax` writers wait in `room()` until released buffers bring it back under.
 */
import { startLoan } from "../base/lent-buffers.ts";
import { limits } from "../base/limits.ts";
import { AlignedBuffer, BLOCK_BYTES } from "../native/uring.ts";

/** Buffers smaller than this are pooled under `smallPooledBytesMax`, the others under `pooledBytesMax`. */
export const SMALL_BYTES_BELOW = 64 * 1024;

/** The power-of-two capacity a buffer of `lengthBytes` is made with, so buffers of near sizes are reused for each other. */
function capacityFor(lengthBytes: number): number {
  return Math.max(BLOCK_BYTES, 2 ** Math.ceil(Math.log2(lengthBytes)));
}

/** Buffers waiting for reuse, by capacity, at most `bytesMax` of them; past it a buffer given is left to the GC. */
class FreeBuffers {
  private readonly lists = new Map<number, AlignedBuffer[]>();
  private bytes = 0;

  constructor(private readonly bytesMax: number) {}

  take(capacityBytes: number): AlignedBuffer | undefined {
    const buffer = this.lists.get(capacityBytes)?.pop();
    if (buffer) this.bytes -= capacityBytes;
    return buffer;
  }

  put(capacityBytes: number, buffer: AlignedBuffer): void {
    if (this.bytes + capacityBytes > this.bytesMax) return;
    let list = this.lists.get(capacityBytes);
    if (!list) this.lists.set(capacityBytes, (list = []));
    list.push(buffer);
    this.bytes += capacityBytes;
  }
}

export class AlignedBufferPool {
  private readonly large: FreeBuffers;
  private readonly small: FreeBuffers;
  /** Capacity of the buffers out (acquired, not yet released). */
  heldBytes = 0;
  private readonly roomWaiters: Array<() => void> = [];

  constructor(
    pooledBytesMax: number = limits.uringWriteBuffersPooledBytesMax,
    private readonly heldBytesMax: number = limits.uringWriteBehindShardBytesMax,
    smallPooledBytesMax: number = limits.uringSmallWriteBuffersPooledBytesMax,
  ) {
    this.large = new FreeBuffers(pooledBytesMax);
    this.small = new FreeBuffers(smallPooledBytesMax);
  }

  /** Resolves once the buffers out are within the shard's write-behind bound. */
  room(): Promise<void> | null {
    if (this.heldBytes <= this.heldBytesMax) return null;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** A buffer of exactly `lengthBytes` (a block multiple); call `release` once the kernel is done with it. */
  acquire(lengthBytes: number): { buffer: AlignedBuffer; release: () => void } {
    const capacityBytes = capacityFor(lengthBytes);
    const buffer = this.freeFor(capacityBytes).take(capacityBytes) ?? AlignedBuffer.allocate(capacityBytes);
    this.heldBytes += capacityBytes;
    return { buffer: buffer.prefix(lengthBytes), release: () => this.give(capacityBytes, buffer) };
  }

  private give(capacityBytes: number, buffer: AlignedBuffer): void {
    this.heldBytes -= capacityBytes;
    while (this.heldBytes <= this.heldBytesMax && this.roomWaiters.length > 0) this.roomWaiters.shift()!();
    this.freeFor(capacityBytes).put(capacityBytes, buffer);
  }

  private freeFor(capacityBytes: number): FreeBuffers {
    return capacityBytes < SMALL_BYTES_BELOW ? this.small : this.large;
  }
}

/**
 * Reusable 4 KiB-aligned read buffers (shared memory, as every disk read's) for the read-ahead's
 * chunks: each is handed out on loan (base/lent-buffers.ts) and comes back once its holder and
 * every view lent from it are done. Power-of-two sizes, huge pages from 2 MiB
 * (`allocateSharedForReuse`); at most `pooledBytesMax` wait for reuse.
 */
export class ReadBufferPool {
  private readonly free: FreeBuffers;

  constructor(pooledBytesMax: number = limits.readAheadBytesMax) {
    this.free = new FreeBuffers(pooledBytesMax);
  }

  /** A buffer of exactly `lengthBytes` (a block multiple), on loan and held by the caller. */
  acquire(lengthBytes: number): AlignedBuffer {
    const capacityBytes = capacityFor(lengthBytes);
    const buffer = this.free.take(capacityBytes) ?? AlignedBuffer.allocateSharedForReuse(capacityBytes);
    startLoan(buffer.bytes.buffer, () => this.free.put(capacityBytes, buffer));
    return buffer.prefix(lengthBytes);
  }
}

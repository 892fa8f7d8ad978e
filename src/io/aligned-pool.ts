/**
 * Reusable 4 KiB-aligned write buffers for one shard's io_uring disk. A fresh multi-megabyte
 * buffer per write costs a zero-fill and a page fault per 4 KiB; reusing them does not. Buffers
 * come in power-of-two sizes; at most `pooledBytesMax` wait for reuse, the rest are dropped.
 * Reused memory is not zeroed: callers write every byte they hand to the kernel.
 */
import { limits } from "../base/limits.ts";
import { AlignedBuffer, BLOCK_BYTES } from "../native/uring.ts";

export class AlignedBufferPool {
  private readonly free = new Map<number, AlignedBuffer[]>();
  private pooledBytes = 0;

  constructor(private readonly pooledBytesMax: number = limits.uringWriteBuffersPooledBytesMax) {}

  /** A buffer of exactly `lengthBytes` (a block multiple); call `release` once the kernel is done with it. */
  acquire(lengthBytes: number): { buffer: AlignedBuffer; release: () => void } {
    const capacityBytes = Math.max(BLOCK_BYTES, 2 ** Math.ceil(Math.log2(lengthBytes)));
    let whole = this.free.get(capacityBytes)?.pop();
    if (whole) this.pooledBytes -= capacityBytes;
    else whole = AlignedBuffer.allocate(capacityBytes);
    const buffer = whole;
    return { buffer: buffer.prefix(lengthBytes), release: () => this.give(capacityBytes, buffer) };
  }

  private give(capacityBytes: number, buffer: AlignedBuffer): void {
    if (this.pooledBytes + capacityBytes > this.pooledBytesMax) return; // let it go to the GC
    let list = this.free.get(capacityBytes);
    if (!list) this.free.set(capacityBytes, (list = []));
    list.push(buffer);
    this.pooledBytes += capacityBytes;
  }
}

import fs from "node:fs";
import { assert } from "../base/assert.ts";
import { limits } from "../base/limits.ts";
import { AlignedBuffer, BLOCK_BYTES, errnoName, type Ring, RingOp } from "../native/uring.ts";
import { endHold } from "../base/lent-buffers.ts";
import type { AlignedBufferPool, ReadBufferPool } from "./aligned-pool.ts";
import type { DiskFile } from "./disk.ts";

/**
 * A run of the file's bytes held in memory from a block boundary. Appends fill the open
 * chunk; once dispatched it is written whole (zero-padded to a block) and never changed again.
 */
class Chunk {
  /** Bytes of file content held, from `startBytes`. */
  filledBytes: number;
  /** Settles (never rejects) once the chunk's write finished or failed; set on dispatch. */
  written: Promise<void> | null = null;
  done = false;
  /** Its write reached the kernel whole. */
  ok = false;

  constructor(
    readonly startBytes: number,
    readonly buffer: AlignedBuffer,
    readonly release: () => void,
    headBytes: number,
  ) {
    this.filledBytes = headBytes;
  }

  get endBytes(): number {
    return this.startBytes + this.filledBytes;
  }

  get freeBytes(): number {
    return this.buffer.bytes.length - this.filledBytes;
  }
}

/**
 * Copy of the block holding the logical end, when that end is not block-aligned: only the bytes
 * up to the end (the rest of the block is zeros), so an idle partition holds its last few bytes,
 * not a whole block.
 */
interface TailBlock {
  startBytes: number;
  bytes: Uint8Array;
}

/**
 * One file of the io_uring backend. Appends are write-behind, as in Redpanda's segment
 * appender: `write()` at the end copies into a 4 KiB-aligned chunk and returns. The chunk goes
 * to the device (O_DIRECT through the shard's ring) at once if none of the file's writes is in
 * flight, else when the last one finishes, so appends made meanwhile share one write; a chunk
 * that fills up goes at once, so a fast stream has several writes in flight.
 * `datasync()` waits for every chunk written before it, then fdatasyncs (linked to the write
 * in one submit when the open chunk is the only write left), so nothing is durable before it
 * says so; `writtenThrough(end)` resolves once every chunk below `end` is written (so the bytes
 * outlive a crash of this process). A failed chunk write fails the file: every later write and
 * datasync throws, and nothing past the failure is called written, until a `truncate` (to at most
 * what was written) makes the file whole again. Reads of bytes still in chunks are served from memory. Writes anywhere
 * but the end (small metadata files) drain the chunks, then read-modify-write whole blocks.
 * On disk a file may end in zero padding up to the next 4 KiB; `size()` is the logical size
 * and `truncate`/`close` cut the padding.
 */
export class UringFile implements DiskFile {
  private closed = false;
  /** Bytes on disk, including zero padding past `sizeBytes` up to a block boundary. */
  private physicalBytes: number;
  private tail: TailBlock | null = null;
  /** Chunks not yet written or not yet released, in file order; the last may be `open`. */
  private readonly chunks: Chunk[] = [];
  private open: Chunk | null = null;
  /** Capacity of the next chunk: doubles while chunks fill up, shrinks when they are dispatched part-full. */
  private chunkBytesHint = BLOCK_BYTES;
  private writesInFlight = 0;
  private dispatchScheduled = false;
  private failure: unknown = null;
  /** Bytes from 0 known to be in the kernel: below the first chunk not yet written. */
  private kernelBytes: number;
  /** writtenThrough callers waiting for kernelBytes to pass their end. */
  private readonly throughWaiters: Array<{ endBytes: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  /** Writes, truncates and datasync's dispatch run one at a time, in call order. */
  private mutations: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly fd: number,
    private sizeBytes: number,
    readonly direct: boolean,
    private readonly ring: Pick<Ring, "run" | "writeThenDatasync">,
    private readonly writeBuffers: AlignedBufferPool,
    private readonly readBuffers: ReadBufferPool,
  ) {
    this.physicalBytes = sizeBytes;
    this.kernelBytes = sizeBytes;
  }

  async size(): Promise<number> {
    return this.sizeBytes;
  }

  write(position: number, data: Uint8Array): Promise<void> {
    assert(!this.closed, () => `write after close: ${this.path}`);
    assert(position >= 0 && Number.isSafeInteger(position), () => `write position ${position}`);
    return this.serialize(async () => {
      this.throwIfFailed();
      if (data.length === 0) return;
      if (position === this.sizeBytes) return await this.append(data);
      await this.drain();
      await this.writeBlocks(position, data);
    });
  }

  /** After a failed chunk write this is how the file recovers: every chunk settles, then the cut clears the failure. */
  truncate(size: number): Promise<void> {
    assert(size >= 0, `truncate to ${size}`);
    return this.serialize(async () => {
      this.dispatchOpen();
      await Promise.all(this.chunks.map((chunk) => chunk.written));
      // Past what was written there may be a hole: only a cut below it makes the file whole.
      if (this.failure !== null && size > this.kernelBytes) throw this.failure;
      await ftruncate(this.fd, size);
      this.sizeBytes = this.physicalBytes = this.kernelBytes = size;
      this.tail = null;
      this.failure = null;
    });
  }

  writtenThrough(endBytes: number): Promise<void> {
    if (endBytes <= this.kernelBytes) return Promise.resolve();
    if (this.failure !== null) return Promise.reject(this.failure);
    const waiter = Promise.withResolvers<void>();
    this.throughWaiters.push({ endBytes, ...waiter });
    return waiter.promise;
  }

  /**
   * fdatasync of everything written before the call. Appends made meanwhile are not held up.
   * When the open chunk is the only write left, it goes out linked with the fdatasync.
   */
  async datasync(): Promise<void> {
    assert(!this.closed, () => `datasync after close: ${this.path}`);
    const { writes, linkedSync } = await this.serialize(async () => {
      const linkedSync = this.dispatchOpen(this.writesInFlight === 0);
      return { writes: this.chunks.map((chunk) => chunk.written), linkedSync };
    });
    if (linkedSync !== null && (await linkedSync)) return this.throwIfFailed();
    await Promise.all(writes);
    this.throwIfFailed();
    await this.syncData();
  }

  async read(position: number, length: number, reuse = false): Promise<Uint8Array> {
    assert(!this.closed, () => `read after close: ${this.path}`);
    assert(position >= 0 && length >= 0, () => `read ${length} at ${position}`);
    const lengthBytes = Math.max(0, Math.min(length, this.sizeBytes - position));
    if (lengthBytes === 0) return new Uint8Array(0);
    const endBytes = position + lengthBytes;
    const memoryStartBytes = this.chunks[0]?.startBytes ?? this.sizeBytes;
    if (endBytes <= memoryStartBytes) return await this.readDisk(position, lengthBytes, reuse);
    // Copy what chunks hold now: a chunk's buffer goes back to the pool once it is written.
    const out = new Uint8Array(lengthBytes);
    for (const chunk of this.chunks) {
      const from = Math.max(position, chunk.startBytes);
      const to = Math.min(endBytes, chunk.endBytes);
      if (to > from) out.set(chunk.buffer.bytes.subarray(from - chunk.startBytes, to - chunk.startBytes), from - position);
    }
    // Below the first chunk everything is on disk, and memoryStartBytes is block-aligned.
    if (position < memoryStartBytes) out.set(await this.readDisk(position, memoryStartBytes - position), 0);
    return out;
  }

  /**
   * Writes what chunks hold, cuts the zero padding past the logical end (made durable), closes.
   * A write that failed earlier was reported to its caller then; close only skips the cut.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.mutations;
      this.dispatchOpen();
      await Promise.all(this.chunks.map((chunk) => chunk.written));
      if (this.failure === null && this.physicalBytes > this.sizeBytes) {
        await ftruncate(this.fd, this.sizeBytes);
        await this.syncData();
      }
    } finally {
      await new Promise<void>((resolve, reject) => fs.close(this.fd, (e) => (e ? reject(e) : resolve())));
    }
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const done = this.mutations.then(work);
    this.mutations = done.catch(() => {});
    return done;
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  // ---- write-behind ----

  private async append(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) {
      const chunk = this.open ?? (await this.openChunk(data.length - at));
      const n = Math.min(chunk.freeBytes, data.length - at);
      chunk.buffer.bytes.set(data.subarray(at, at + n), chunk.filledBytes);
      chunk.filledBytes += n;
      this.sizeBytes += n;
      at += n;
      if (chunk.freeBytes === 0) {
        this.chunkBytesHint = Math.min(limits.uringWriteChunkBytesMax, chunk.buffer.bytes.length * 2);
        this.dispatchOpen();
      }
    }
    if (this.writesInFlight === 0) this.dispatchSoon();
    // Bound the memory one file holds: past it, wait for the oldest chunks to reach the disk.
    while (this.heldBytes() > limits.uringWriteBehindBytesMax && this.chunks[0]?.written) await this.chunks[0].written;
    // And what the shard's files hold together: every chunk out is written soon (its file dispatches
    // it when its write before finishes), so the room comes.
    const room = this.writeBuffers.room();
    if (room !== null) await room;
    this.throwIfFailed();
  }

  /** A new open chunk at the block holding the end, starting with that block's bytes. */
  private async openChunk(wantedBytes: number): Promise<Chunk> {
    const startBytes = alignDown(this.sizeBytes);
    const headBytes = this.sizeBytes - startBytes;
    const neededBytes = alignUp(headBytes + wantedBytes);
    const capacityBytes = Math.min(limits.uringWriteChunkBytesMax, Math.max(this.chunkBytesHint, neededBytes));
    const { buffer, release } = this.writeBuffers.acquire(capacityBytes);
    if (headBytes > 0) await this.loadBlock(startBytes, buffer.bytes.subarray(0, BLOCK_BYTES));
    const chunk = new Chunk(startBytes, buffer, release, headBytes);
    this.chunks.push(chunk);
    this.open = chunk;
    return chunk;
  }

  /**
   * After this turn's callbacks, writes the open chunk if the file has no write in flight: a
   * datasync called meanwhile takes the chunk itself and links its fdatasync to the write.
   */
  private dispatchSoon(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      if (this.writesInFlight === 0) this.dispatchOpen();
    });
  }

  /**
   * Starts the open chunk's write; it waits for the chunk before it when the two share a block.
   * With `thenDatasync` (only when no other write is in flight) the fdatasync is linked to it,
   * and the returned promise says whether that fdatasync covered the write. Null: no open chunk.
   */
  private dispatchOpen(thenDatasync = false): Promise<boolean> | null {
    const chunk = this.open;
    if (chunk === null) return null;
    this.open = null;
    this.writesInFlight++;
    if (chunk.freeBytes > 0) this.chunkBytesHint = Math.max(BLOCK_BYTES, alignUp(chunk.filledBytes));
    const lengthBytes = alignUp(chunk.filledBytes);
    chunk.buffer.bytes.fill(0, chunk.filledBytes, lengthBytes); // reused memory: padding must be zeros
    this.tail = lengthBytes === chunk.filledBytes ? null : { startBytes: chunk.startBytes + lengthBytes - BLOCK_BYTES, bytes: chunk.buffer.bytes.slice(lengthBytes - BLOCK_BYTES, chunk.filledBytes) };
    this.physicalBytes = Math.max(this.physicalBytes, chunk.startBytes + lengthBytes);
    const previous = this.chunks[this.chunks.indexOf(chunk) - 1];
    const before = previous !== undefined && previous.endBytes > chunk.startBytes ? previous.written : null;
    const synced = this.writeChunk(chunk, chunk.buffer.prefix(lengthBytes), before, thenDatasync);
    chunk.written = synced.then(() => {});
    return synced;
  }

  /** One chunk's write (settles, never rejects: a failure fails the file). Resolves true if a linked fdatasync covered it. */
  private async writeChunk(chunk: Chunk, buffer: AlignedBuffer, before: Promise<void> | null, thenDatasync: boolean): Promise<boolean> {
    let synced = false;
    try {
      if (before !== null) await before; // two writes of one block must land in order
      if (this.failure !== null) return false;
      if (!thenDatasync) {
        await this.transfer(RingOp.write, buffer, chunk.startBytes);
      } else {
        const [written, syncResult] = await this.ring.writeThenDatasync(this.fd, buffer, buffer.bytes.length, chunk.startBytes);
        if (written < 0) throw new Error(`write ${this.path} at ${chunk.startBytes}: ${errnoName(written)}`);
        if (written < buffer.bytes.length) await this.transfer(RingOp.write, buffer, chunk.startBytes, written); // the datasync was cancelled
        else if (syncResult < 0) throw new Error(`fdatasync ${this.path}: ${errnoName(syncResult)}`);
        else synced = true;
      }
      chunk.ok = true;
    } catch (e) {
      this.failure ??= e;
    } finally {
      chunk.done = true;
      this.writesInFlight--;
      this.releaseWritten();
      // What was appended while the device was busy goes out as one write.
      if (this.writesInFlight === 0) this.dispatchOpen();
    }
    return synced;
  }

  /** Releases written chunks from the front; a later chunk may finish first and then waits its turn. */
  private releaseWritten(): void {
    while (this.chunks[0]?.done) {
      const chunk = this.chunks.shift()!;
      if (chunk.ok && this.failure === null) this.kernelBytes = Math.max(this.kernelBytes, chunk.endBytes);
      chunk.release();
    }
    this.settleThroughWaiters();
  }

  /** Resolves the waiters the written prefix now covers; after a failure, rejects the rest (nothing past it is called written). */
  private settleThroughWaiters(): void {
    let kept = 0;
    for (const waiter of this.throughWaiters) {
      if (waiter.endBytes <= this.kernelBytes) waiter.resolve();
      else if (this.failure !== null) waiter.reject(this.failure);
      else this.throughWaiters[kept++] = waiter;
    }
    this.throughWaiters.length = kept;
  }

  /** Dispatches the open chunk and waits for every chunk's write. */
  private async drain(): Promise<void> {
    this.dispatchOpen();
    await Promise.all(this.chunks.map((chunk) => chunk.written));
    this.throwIfFailed();
  }

  private heldBytes(): number {
    let bytes = 0;
    for (const chunk of this.chunks) bytes += chunk.buffer.bytes.length;
    return bytes;
  }

  // ---- writes anywhere (chunks drained first) ----

  /** Writes [position, position+length) as whole blocks: edge blocks are merged with what is there. */
  private async writeBlocks(position: number, data: Uint8Array): Promise<void> {
    const endBytes = position + data.length;
    const startBytes = alignDown(position);
    const alignedEndBytes = alignUp(endBytes);
    const { buffer, release } = this.writeBuffers.acquire(alignedEndBytes - startBytes);
    try {
      const bytes = buffer.bytes;
      // Reused memory: the edge blocks start as zeros, as past-the-end bytes must be on disk.
      bytes.fill(0, 0, BLOCK_BYTES);
      bytes.fill(0, bytes.length - BLOCK_BYTES);
      const headLoaded = position > startBytes;
      if (headLoaded) await this.loadBlock(startBytes, bytes.subarray(0, BLOCK_BYTES));
      const lastBlockBytes = alignedEndBytes - BLOCK_BYTES;
      if (endBytes < alignedEndBytes && endBytes < this.sizeBytes && !(headLoaded && lastBlockBytes === startBytes)) {
        await this.loadBlock(lastBlockBytes, bytes.subarray(lastBlockBytes - startBytes));
      }
      bytes.set(data, position - startBytes);
      await this.transfer(RingOp.write, buffer, startBytes);
      this.sizeBytes = Math.max(this.sizeBytes, endBytes);
      this.kernelBytes = Math.max(this.kernelBytes, endBytes);
      this.physicalBytes = Math.max(this.physicalBytes, alignedEndBytes);
      const tailStartBytes = alignDown(this.sizeBytes);
      const inThisWrite = tailStartBytes >= startBytes && tailStartBytes < alignedEndBytes;
      if (tailStartBytes === this.sizeBytes) this.tail = null;
      else if (inThisWrite) this.tail = { startBytes: tailStartBytes, bytes: bytes.slice(tailStartBytes - startBytes, this.sizeBytes - startBytes) };
      else if (this.tail?.startBytes !== tailStartBytes) this.tail = null;
    } finally {
      release();
    }
  }

  /** Copies the block at `blockBytes` into `into` (one block long): from the tail copy, zeros past the end, else the disk. */
  private async loadBlock(blockBytes: number, into: Uint8Array): Promise<void> {
    if (this.tail !== null && this.tail.startBytes === blockBytes) {
      into.set(this.tail.bytes);
      into.fill(0, this.tail.bytes.length, BLOCK_BYTES);
      return;
    }
    into.fill(0, 0, BLOCK_BYTES);
    if (blockBytes >= this.sizeBytes) return;
    const block = AlignedBuffer.allocate(BLOCK_BYTES);
    const got = await this.transfer(RingOp.read, block, blockBytes);
    into.set(block.bytes.subarray(0, got));
  }

  // ---- device ----

  /** Reads the aligned blocks covering the range through the ring and hands back the exact range (`reuse`: in a pooled buffer on loan). */
  private async readDisk(position: number, lengthBytes: number, reuse = false): Promise<Uint8Array> {
    const startBytes = alignDown(position);
    const alignedBytes = alignUp(position + lengthBytes) - startBytes;
    const buffer = reuse ? this.readBuffers.acquire(alignedBytes) : AlignedBuffer.allocateShared(alignedBytes);
    let got: number;
    try {
      got = await this.transfer(RingOp.read, buffer, startBytes);
    } catch (error) {
      if (reuse) endHold(buffer.bytes);
      throw error;
    }
    const from = position - startBytes;
    const to = Math.min(from + lengthBytes, got);
    if (to > from) return buffer.bytes.subarray(from, to);
    if (reuse) endHold(buffer.bytes);
    return new Uint8Array(0);
  }

  /**
   * Reads or writes all of `buffer` at `offset` (from `doneBytes` on) through the ring,
   * resubmitting after short transfers. Returns the bytes moved (fewer than asked only for a read that hits the end).
   */
  private async transfer(op: RingOp.read | RingOp.write, buffer: AlignedBuffer, offset: number, doneBytes = 0): Promise<number> {
    const lengthBytes = buffer.bytes.length;
    const what = op === RingOp.write ? "write" : "read";
    let done = doneBytes;
    if (done % BLOCK_BYTES !== 0) throw new Error(`short ${what} to ${this.path} at ${offset + done}`);
    while (done < lengthBytes) {
      const part = done === 0 ? buffer : buffer.slice(done);
      const result = await this.ring.run(op, this.fd, part, lengthBytes - done, offset + done);
      if (result < 0) throw new Error(`${what} ${this.path} at ${offset + done}: ${errnoName(result)}`);
      if (result === 0 && op === RingOp.read) break; // end of file
      done += result;
      if (op === RingOp.read && result % BLOCK_BYTES !== 0) break; // a partial block: end of file
      // O_DIRECT moves whole blocks; a write cut inside a block cannot be resumed aligned.
      if (result === 0 || (done < lengthBytes && result % BLOCK_BYTES !== 0)) throw new Error(`short ${what} to ${this.path} at ${offset + done}`);
    }
    return done;
  }

  private async syncData(): Promise<void> {
    const result = await this.ring.run(RingOp.datasync, this.fd, null, 0, 0);
    if (result < 0) throw new Error(`fdatasync ${this.path}: ${errnoName(result)}`);
  }
}

function ftruncate(fd: number, size: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, size, (e) => (e ? reject(e) : resolve())));
}

function alignDown(bytes: number): number {
  return bytes - (bytes % BLOCK_BYTES);
}

function alignUp(bytes: number): number {
  return alignDown(bytes + BLOCK_BYTES - 1);
}

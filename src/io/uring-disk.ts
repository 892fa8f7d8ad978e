import fs from "node:fs";
import { assert } from "../base/assert.ts";
import { limits } from "../base/limits.ts";
import { AlignedBuffer, BLOCK_BYTES, errnoName, Ring, RingOp } from "../native/uring.ts";
import { AlignedBufferPool } from "./aligned-pool.ts";
import type { Disk, DiskFile } from "./disk.ts";
import { PosixDisk } from "./posix-disk.ts";

/**
 * io_uring backend: file data moves through the shard's ring with O_DIRECT from 4 KiB-aligned
 * buffers, and datasync is IORING_OP_FSYNC with IORING_FSYNC_DATASYNC. Writes at any position
 * are made whole blocks here (the file keeps its partial tail block in memory), so callers
 * see a plain positional file. On disk a file may end in zero padding up to the next 4 KiB;
 * `size()` reports the logical size and `close()` cuts the padding. After a crash the padding
 * stays: readers of a reopened file must treat zeros past the last record as its end.
 * Directory operations and open/close/ftruncate are rare and go through node:fs.
 */
export class UringDisk implements Disk {
  readonly name = "uring";
  private readonly meta = new PosixDisk();
  private readonly writeBuffers = new AlignedBufferPool();

  constructor(readonly ring: Ring) {}

  /** Opens this thread's ring; throws UringUnavailableError where io_uring cannot work. */
  static open(depth: number = limits.uringQueueDepth, shimPath?: string): UringDisk {
    return new UringDisk(Ring.open(depth, shimPath));
  }

  async open(path: string, opts: { create: boolean }): Promise<DiskFile> {
    const base = fs.constants.O_RDWR | (opts.create ? fs.constants.O_CREAT : 0);
    let fd: number;
    let direct = true;
    try {
      fd = await openFd(path, base | fs.constants.O_DIRECT);
    } catch (e) {
      // File systems without O_DIRECT (tmpfs) say EINVAL: keep the ring, use the page cache.
      if ((e as { code?: string }).code !== "EINVAL") throw e;
      fd = await openFd(path, base);
      direct = false;
    }
    const sizeBytes = (await fs.promises.stat(path)).size;
    return new UringFile(path, fd, sizeBytes, direct, this.ring, this.writeBuffers);
  }

  mkdirp(dir: string): Promise<void> {
    return this.meta.mkdirp(dir);
  }
  list(dir: string): Promise<string[]> {
    return this.meta.list(dir);
  }
  remove(path: string): Promise<void> {
    return this.meta.remove(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.meta.rename(from, to);
  }
  exists(path: string): Promise<boolean> {
    return this.meta.exists(path);
  }
  syncDir(dir: string): Promise<void> {
    return this.meta.syncDir(dir);
  }

  /** Closes the ring; every file must be closed first. */
  close(): void {
    this.ring.close();
  }
}

/** Cached copy of the block holding the logical end, when that end is not block-aligned. */
interface TailBlock {
  startBytes: number;
  bytes: Uint8Array;
}

class UringFile implements DiskFile {
  private closed = false;
  /** Bytes on disk, including zero padding past `sizeBytes` up to a block boundary. */
  private physicalBytes: number;
  private tail: TailBlock | null = null;
  /** Writes and truncates run one at a time: two writes may share a block (read-modify-write). */
  private mutations: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly fd: number,
    private sizeBytes: number,
    readonly direct: boolean,
    private readonly ring: Ring,
    private readonly writeBuffers: AlignedBufferPool,
  ) {
    this.physicalBytes = sizeBytes;
  }

  async size(): Promise<number> {
    return this.sizeBytes;
  }

  write(position: number, data: Uint8Array): Promise<void> {
    assert(!this.closed, `write after close: ${this.path}`);
    assert(position >= 0 && Number.isSafeInteger(position), `write position ${position}`);
    return this.serialize(() => this.writeBlocks(position, data));
  }

  truncate(size: number): Promise<void> {
    assert(size >= 0, `truncate to ${size}`);
    return this.serialize(async () => {
      await ftruncate(this.fd, size);
      this.sizeBytes = this.physicalBytes = size;
      this.tail = null;
    });
  }

  private serialize(work: () => Promise<void>): Promise<void> {
    const done = this.mutations.then(work);
    this.mutations = done.catch(() => {});
    return done;
  }

  /** Writes [position, position+length) as whole blocks: edge blocks are merged with what is there. */
  private async writeBlocks(position: number, data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    const endBytes = position + data.length;
    const startBytes = alignDown(position);
    const alignedEndBytes = alignUp(endBytes);
    const { buffer, release } = this.writeBuffers.acquire(alignedEndBytes - startBytes);
    try {
      await this.fillAndWrite(buffer, position, data, startBytes, alignedEndBytes);
    } finally {
      release();
    }
  }

  private async fillAndWrite(buffer: AlignedBuffer, position: number, data: Uint8Array, startBytes: number, alignedEndBytes: number): Promise<void> {
    const endBytes = position + data.length;
    // Reused memory: the edge blocks start as zeros, as past-the-end bytes must be on disk.
    buffer.bytes.fill(0, 0, BLOCK_BYTES);
    buffer.bytes.fill(0, buffer.bytes.length - BLOCK_BYTES);
    const headPartial = position > startBytes;
    if (headPartial) await this.loadBlock(startBytes, buffer.bytes, 0);
    const lastBlockBytes = alignedEndBytes - BLOCK_BYTES;
    const lastLoaded = headPartial && lastBlockBytes === startBytes;
    if (endBytes < alignedEndBytes && endBytes < this.sizeBytes && !lastLoaded) {
      await this.loadBlock(lastBlockBytes, buffer.bytes, lastBlockBytes - startBytes);
    }
    buffer.bytes.set(data, position - startBytes);
    await this.transfer(RingOp.write, buffer, startBytes);
    this.sizeBytes = Math.max(this.sizeBytes, endBytes);
    this.physicalBytes = Math.max(this.physicalBytes, alignedEndBytes);
    this.keepTail(buffer.bytes, startBytes);
  }

  /** Copies the block at `blockBytes` into `into[at..]`: from the tail cache, zeros past the end, else the disk. */
  private async loadBlock(blockBytes: number, into: Uint8Array, at: number): Promise<void> {
    if (this.tail !== null && this.tail.startBytes === blockBytes) {
      into.set(this.tail.bytes, at);
      return;
    }
    if (blockBytes >= this.sizeBytes) return; // past the end: the caller zeroed it
    const block = AlignedBuffer.allocate(BLOCK_BYTES);
    const got = await this.transfer(RingOp.read, block, blockBytes);
    into.set(block.bytes.subarray(0, got), at);
  }

  /** After a write, remembers the block holding the logical end if it is partial. */
  private keepTail(written: Uint8Array, startBytes: number): void {
    const tailStartBytes = alignDown(this.sizeBytes);
    if (tailStartBytes === this.sizeBytes) {
      this.tail = null;
    } else if (tailStartBytes >= startBytes && tailStartBytes < startBytes + written.length) {
      const at = tailStartBytes - startBytes;
      this.tail = { startBytes: tailStartBytes, bytes: written.slice(at, at + BLOCK_BYTES) };
    } else if (this.tail?.startBytes !== tailStartBytes) {
      this.tail = null;
    }
  }

  /**
   * Reads or writes all of `buffer` at `offset` through the ring, resubmitting after short
   * transfers. Returns the bytes moved (fewer than asked only for a read that hits the end).
   */
  private async transfer(op: RingOp.read | RingOp.write, buffer: AlignedBuffer, offset: number): Promise<number> {
    const lengthBytes = buffer.bytes.length;
    const what = op === RingOp.write ? "write" : "read";
    let done = 0;
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

  async read(position: number, length: number): Promise<Uint8Array> {
    assert(!this.closed, `read after close: ${this.path}`);
    assert(position >= 0 && length >= 0, `read ${length} at ${position}`);
    const lengthBytes = Math.max(0, Math.min(length, this.sizeBytes - position));
    if (lengthBytes === 0) return new Uint8Array(0);
    const startBytes = alignDown(position);
    const buffer = AlignedBuffer.allocate(alignUp(position + lengthBytes) - startBytes);
    const got = await this.transfer(RingOp.read, buffer, startBytes);
    const from = position - startBytes;
    const to = Math.min(from + lengthBytes, got);
    return to > from ? buffer.bytes.subarray(from, to) : new Uint8Array(0);
  }

  async datasync(): Promise<void> {
    assert(!this.closed, `datasync after close: ${this.path}`);
    await this.syncData();
  }

  private async syncData(): Promise<void> {
    const result = await this.ring.run(RingOp.datasync, this.fd, null, 0, 0);
    if (result < 0) throw new Error(`fdatasync ${this.path}: ${errnoName(result)}`);
  }

  /** Waits for writes, cuts the zero padding past the logical end (made durable), closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.mutations;
    try {
      if (this.physicalBytes > this.sizeBytes) {
        await ftruncate(this.fd, this.sizeBytes);
        await this.syncData();
      }
    } finally {
      await new Promise<void>((resolve, reject) => fs.close(this.fd, (e) => (e ? reject(e) : resolve())));
    }
  }
}

function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
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

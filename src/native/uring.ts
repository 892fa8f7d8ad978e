/**
 * bun:ffi binding of the io_uring shim (native/skua_uring.c, linked against liburing.so.2).
 * One Ring per shard, used only from that shard's thread. Completions wake the event loop
 * through a nonblocking eventfd registered with the ring, which the shard's own event loop
 * polls (a Bun stream over the descriptor: epoll, then a nonblocking read); each readable
 * moment runs `reap`. No thread of ours sits between the kernel and the shard: an earlier
 * waiter thread that slept in read() and handed over through a threadsafe JSCallback cost a
 * second wakeup per completion, ~0.1 ms of every write + fdatasync (bench/uring-wakeup.ts).
 */
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import fs from "node:fs";
import os from "node:os";
// Embedded into dist/skua by `bun build --compile`; an empty placeholder when the shim was not built.
import embeddedShimPath from "../../native/build/libskua_uring.so" with { type: "file" };
import { assert } from "../base/assert.ts";
import { bigBuffer, sharedBigBuffer } from "../base/big-buffers.ts";
import { adviseHugePages } from "./libc.ts";

export const BLOCK_BYTES = 4096;
/** A transparent huge page on x86-64 and arm64 (4 KiB base pages). */
const HUGE_PAGE_BYTES = 2 * 1024 * 1024;
const REAP_BATCH_MAX = 256; // matches the shim's stack array
const EBUSY = 16;

export const enum RingOp {
  read = 0,
  write = 1,
  datasync = 2,
}

const symbols = {
  skua_ring_open: { args: [FFIType.u32, FFIType.ptr], returns: FFIType.ptr },
  skua_ring_event_fd: { args: [FFIType.ptr], returns: FFIType.i32 },
  skua_ring_close: { args: [FFIType.ptr], returns: FFIType.void },
  skua_ring_prep: { args: [FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  skua_ring_prep_write_datasync: { args: [FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u32, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  skua_ring_submit: { args: [FFIType.ptr], returns: FFIType.i32 },
  skua_ring_reap: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
} as const;

type Shim = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

/** Why io_uring cannot be used here: no shim, no liburing, or the kernel refused a ring. */
export class UringUnavailableError extends Error {
  override name = "UringUnavailableError";
}

const shims = new Map<string, Shim>();

/** The embedded shim, unless SKUA_URING_SHIM names another build (or a missing file, to test the fallback). */
function defaultShimPath(): string {
  return process.env.SKUA_URING_SHIM || embeddedShimPath;
}

function loadShim(shimPath: string): Shim {
  const cached = shims.get(shimPath);
  if (cached) return cached;
  if (!fs.existsSync(shimPath) || fs.statSync(shimPath).size === 0) {
    throw new UringUnavailableError(`no io_uring shim at ${shimPath} (built without gcc or liburing-dev?)`);
  }
  try {
    const shim = dlopen(shimPath, symbols).symbols;
    shims.set(shimPath, shim);
    return shim;
  } catch (e) {
    throw new UringUnavailableError(`cannot load the io_uring shim (is liburing2 installed?): ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** errno name for a negative result, e.g. -22 -> "EINVAL". */
export function errnoName(result: number): string {
  const code = -result;
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === code) return name;
  return `errno ${code}`;
}

/** A buffer whose data starts on a 4 KiB boundary, as O_DIRECT needs. */
export class AlignedBuffer {
  private constructor(
    /** The usable bytes; a view into a larger allocation that it keeps alive. */
    readonly bytes: Uint8Array,
    readonly address: number,
  ) {}

  static allocate(length: number): AlignedBuffer {
    return AlignedBuffer.within(length, bigBuffer);
  }

  /** In shared memory: for a read whose bytes may go to another shard as they are (`sharedBigBuffer`). */
  static allocateShared(length: number): AlignedBuffer {
    return AlignedBuffer.within(length, sharedBigBuffer);
  }

  /**
   * As `allocateShared`, for a buffer reused for many reads (the read-ahead's pooled chunks): one
   * of 2 MiB or more starts on a 2 MiB boundary and asks for transparent huge pages. Each O_DIRECT
   * read pins its buffer's pages; pinning one 2 MiB page costs far less than 512 small ones (8 % of
   * a disk fetch's shard time, bench/README.md). Where the kernel says no, the pages stay small.
   */
  static allocateSharedForReuse(length: number): AlignedBuffer {
    if (length < HUGE_PAGE_BYTES) return AlignedBuffer.allocateShared(length);
    const buffer = AlignedBuffer.within(length, sharedBigBuffer, HUGE_PAGE_BYTES);
    adviseHugePages(buffer.address, length);
    return buffer;
  }

  private static within(length: number, allocate: (sizeBytes: number) => Uint8Array, alignment = BLOCK_BYTES): AlignedBuffer {
    assert(length > 0 && length % BLOCK_BYTES === 0, () => `aligned buffer of ${length} bytes`);
    const raw = allocate(length + alignment);
    const rawAddress = ptr(raw);
    const offset = (alignment - (rawAddress % alignment)) % alignment;
    return new AlignedBuffer(raw.subarray(offset, offset + length), rawAddress + offset);
  }

  /** The first `lengthBytes` (a block multiple) of this memory. */
  prefix(lengthBytes: number): AlignedBuffer {
    assert(lengthBytes > 0 && lengthBytes % BLOCK_BYTES === 0 && lengthBytes <= this.bytes.length, () => `aligned prefix of ${lengthBytes}`);
    return new AlignedBuffer(this.bytes.subarray(0, lengthBytes), this.address);
  }

  /** The same memory from `offsetBytes` on (a block multiple, so still aligned). */
  slice(offsetBytes: number): AlignedBuffer {
    assert(offsetBytes % BLOCK_BYTES === 0 && offsetBytes < this.bytes.length, () => `aligned slice at ${offsetBytes}`);
    return new AlignedBuffer(this.bytes.subarray(offsetBytes), this.address + offsetBytes);
  }
}

interface Pending {
  resolve: (result: number) => void;
  /** Keeps the buffer alive (and its address valid) until the kernel is done with it. */
  buffer: AlignedBuffer | null;
}

export class Ring {
  private readonly pending = new Map<number, Pending>();
  private readonly slotWaiters: Array<() => void> = [];
  private readonly reaped = new BigInt64Array(REAP_BATCH_MAX * 2);
  /** Reads of the ring's eventfd, on this thread's event loop: each one says completions arrived. */
  private readonly completions: { read(): Promise<{ done: boolean }>; cancel(): Promise<void> };
  private nextId = 1;
  private submitQueued = false;
  private closed = false;
  opsCompleted = 0;
  wakeups = 0;

  private constructor(
    private readonly shim: Shim,
    private readonly ring: Pointer,
    readonly depth: number,
  ) {
    this.completions = Bun.file(shim.skua_ring_event_fd(ring)).stream().getReader();
    void this.readCompletions();
  }

  /** Runs `reap` per read until close. A stream that fails or ends before that rejects, unhandled: the shard stops rather than hang its I/O. */
  private async readCompletions(): Promise<void> {
    for (;;) {
      const { done } = await this.completions.read();
      if (this.closed) return;
      if (done) throw new Error("io_uring completion stream ended");
      this.reap();
    }
  }

  /** Opens a ring of `depth` entries; throws UringUnavailableError if the shim or the kernel says no. */
  static open(depth: number, shimPath: string = defaultShimPath()): Ring {
    assert(depth > 0 && depth <= 4096, `ring depth ${depth}`);
    const shim = loadShim(shimPath);
    const err = new Int32Array(1);
    const ring = shim.skua_ring_open(depth, ptr(err));
    if (ring === null || ring === 0) throw new UringUnavailableError(`io_uring_queue_init refused: ${errnoName(err[0]!)}`);
    return new Ring(shim, ring as Pointer, depth);
  }

  /** Runs one op; resolves with the kernel's result (bytes, 0, or a negative errno). */
  async run(op: RingOp, fd: number, buffer: AlignedBuffer | null, length: number, offset: number): Promise<number> {
    assert(!this.closed, "op on a closed ring");
    // Never more in flight than the ring holds, so the completion queue cannot overflow.
    while (this.pending.size >= this.depth) await new Promise<void>((wake) => this.slotWaiters.push(wake));
    const id = this.nextId++;
    const address = buffer?.address ?? 0;
    let rc = this.shim.skua_ring_prep(this.ring, op, fd, address as unknown as Pointer, length, offset, id);
    if (rc === -EBUSY) {
      this.submitNow();
      rc = this.shim.skua_ring_prep(this.ring, op, fd, address as unknown as Pointer, length, offset, id);
    }
    assert(rc === 0, () => `io_uring prep failed: ${errnoName(rc)}`);
    const result = new Promise<number>((resolve) => this.pending.set(id, { resolve, buffer }));
    this.submitSoon();
    return result;
  }

  /** One submit per tick: ops started in the same tick (a group commit's fsyncs) share it. */
  private submitSoon(): void {
    if (this.submitQueued) return;
    this.submitQueued = true;
    queueMicrotask(() => this.submitNow());
  }

  /**
   * Writes `buffer` at `offset`, then fdatasyncs the file, as one linked pair: the kernel starts
   * the datasync when the write completes. Resolves with both results; the datasync's is
   * -ECANCELED when the write failed or was short.
   */
  async writeThenDatasync(fd: number, buffer: AlignedBuffer, length: number, offset: number): Promise<[number, number]> {
    assert(!this.closed, "op on a closed ring");
    while (this.pending.size + 2 > this.depth) await new Promise<void>((wake) => this.slotWaiters.push(wake));
    const writeId = this.nextId++;
    const syncId = this.nextId++;
    const address = buffer.address as unknown as Pointer;
    let rc = this.shim.skua_ring_prep_write_datasync(this.ring, fd, address, length, offset, writeId, syncId);
    if (rc === -EBUSY) {
      this.submitNow();
      rc = this.shim.skua_ring_prep_write_datasync(this.ring, fd, address, length, offset, writeId, syncId);
    }
    assert(rc === 0, () => `io_uring prep failed: ${errnoName(rc)}`);
    const written = new Promise<number>((resolve) => this.pending.set(writeId, { resolve, buffer }));
    const synced = new Promise<number>((resolve) => this.pending.set(syncId, { resolve, buffer: null }));
    this.submitSoon();
    return Promise.all([written, synced]);
  }

  private submitNow(): void {
    this.submitQueued = false;
    const submitted = this.shim.skua_ring_submit(this.ring);
    assert(submitted >= 0, () => `io_uring_submit failed: ${errnoName(submitted)}`);
  }

  private reap(): void {
    this.wakeups++;
    for (;;) {
      const count = this.shim.skua_ring_reap(this.ring, ptr(this.reaped), REAP_BATCH_MAX);
      for (let i = 0; i < count; i++) {
        const id = Number(this.reaped[2 * i]);
        const op = this.pending.get(id);
        assert(op !== undefined, () => `completion for unknown op ${id}`);
        this.pending.delete(id);
        this.opsCompleted++;
        op.resolve(Number(this.reaped[2 * i + 1]));
        this.slotWaiters.shift()?.();
      }
      if (count < REAP_BATCH_MAX) return;
    }
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    if (this.closed) return;
    assert(this.pending.size === 0, "closing a ring with ops in flight");
    this.closed = true;
    void this.completions.cancel();
    this.shim.skua_ring_close(this.ring);
  }
}

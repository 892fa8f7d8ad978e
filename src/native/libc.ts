/**
 * libc through bun:ffi: the cores this thread may use, pin it to one and ask which it runs on; duplicate
 * and close a descriptor (a connection handed to another shard's thread); send pieces on a socket in one
 * call; ask for huge pages.
 * Only src/io and src/shard may import this folder.
 */
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";

const CPU_SET_BYTES = 128; // glibc's cpu_set_t: 1024 bits

const libc = dlopen("libc.so.6", {
  sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  sched_getaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  sched_getcpu: { args: [], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  madvise: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  sendmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
});

const MADV_HUGEPAGE = 14;
const MADV_COLLAPSE = 25;

const F_DUPFD_CLOEXEC = 1030;

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000; // a closed peer is an error returned, not a SIGPIPE
/** Pieces one gathered send takes; the kernel's own limit (IOV_MAX) is 1,024. */
export const GATHER_PIECES_MAX = 64;
const MSGHDR_BYTES = 56;
const iovecs = new BigUint64Array(GATHER_PIECES_MAX * 2);
const msghdr = new BigUint64Array(MSGHDR_BYTES / 8); // msg_name and msg_control stay null

/** Pins the calling thread (pid 0 = this thread) to one core. Returns false if the kernel refused. */
export function pinThisThreadToCore(core: number): boolean {
  const set = new Uint8Array(CPU_SET_BYTES);
  set[core >> 3] |= 1 << (core & 7);
  return libc.symbols.sched_setaffinity(0, CPU_SET_BYTES, ptr(set)) === 0;
}

/**
 * The cores the calling thread may run on (what `taskset` or a cgroup's cpuset gave the process),
 * in order; empty if the kernel would not say.
 */
export function allowedCores(): number[] {
  const set = new Uint8Array(CPU_SET_BYTES);
  if (libc.symbols.sched_getaffinity(0, CPU_SET_BYTES, ptr(set)) !== 0) return [];
  const cores: number[] = [];
  for (let core = 0; core < CPU_SET_BYTES * 8; core++) if ((set[core >> 3]! & (1 << (core & 7))) !== 0) cores.push(core);
  return cores;
}

/** The core the calling thread is running on right now. */
export function currentCore(): number {
  return libc.symbols.sched_getcpu();
}

/** A new descriptor for the same open file (close-on-exec), or -1. */
export function duplicateFd(fd: number): number {
  return libc.symbols.fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

export function closeFd(fd: number): void {
  libc.symbols.close(fd);
}

/**
 * Sends `pieces` on the stream socket `fd` in one system call, without waiting: the bytes the kernel
 * took (fewer than offered when its buffer is full), or -1 if it took none (full, or an error; a
 * plain write of the rest then tells which). At most GATHER_PIECES_MAX pieces, none empty.
 */
export function sendGathered(fd: number, pieces: readonly Uint8Array[]): number {
  const count = pieces.length;
  if (count > GATHER_PIECES_MAX) throw new RangeError(`${count} pieces, at most ${GATHER_PIECES_MAX}`);
  for (let i = 0; i < count; i++) {
    const piece = pieces[i]!;
    iovecs[2 * i] = BigInt(ptr(piece));
    iovecs[2 * i + 1] = BigInt(piece.length);
  }
  msghdr[2] = BigInt(ptr(iovecs)); // msg_iov, taken each call rather than trusted to stay put
  msghdr[3] = BigInt(count); // msg_iovlen
  return Number(libc.symbols.sendmsg(fd, ptr(msghdr), MSG_DONTWAIT | MSG_NOSIGNAL));
}

/**
 * Asks the kernel to back the memory at `address` (2 MiB-aligned) with transparent huge pages: as
 * it is touched (MADV_HUGEPAGE), and now for the pages already there (MADV_COLLAPSE, Linux 6.1+:
 * memory the allocator hands out again was touched before). Advice only: where the kernel refuses
 * (huge pages off, an old kernel) the memory keeps its small pages and works the same.
 */
export function adviseHugePages(address: number, lengthBytes: number): void {
  libc.symbols.madvise(address as Pointer, lengthBytes, MADV_HUGEPAGE);
  libc.symbols.madvise(address as Pointer, lengthBytes, MADV_COLLAPSE);
}

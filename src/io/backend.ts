/**
 * Choosing the disk backend: io_uring where the shim, liburing and the kernel allow it,
 * else the portable posix backend. The main thread probes once at start-up (and reports the
 * choice in one log line); each shard then opens its own backend on its own thread.
 */
import { limits } from "../base/limits.ts";
import { Ring, UringUnavailableError } from "../native/uring.ts";
import type { Disk } from "./disk.ts";
import { PosixDisk } from "./posix-disk.ts";
import { UringDisk } from "./uring-disk.ts";

export type IoBackend = "uring" | "posix";

export type BackendChoice = { backend: IoBackend; fallbackReason: string | null };

/** Opens and closes a small ring: null if io_uring works here, else why not. */
export function probeUring(shimPath?: string): string | null {
  try {
    Ring.open(8, shimPath).close();
    return null;
  } catch (e) {
    if (e instanceof UringUnavailableError) return e.message;
    throw e;
  }
}

/**
 * `requested` "auto" picks uring when the probe passes, else posix with the reason.
 * A forced "uring" that cannot work throws UringUnavailableError (a start-up error).
 */
export function chooseBackend(requested: IoBackend | "auto", shimPath?: string): BackendChoice {
  if (requested === "posix") return { backend: "posix", fallbackReason: null };
  const problem = probeUring(shimPath);
  if (problem === null) return { backend: "uring", fallbackReason: null };
  if (requested === "uring") throw new UringUnavailableError(`--io uring: ${problem}`);
  return { backend: "posix", fallbackReason: problem };
}

/** The shard's disk; a uring disk owns the calling thread's ring (close it with closeDisk). */
export function openDisk(backend: IoBackend): Disk {
  return backend === "uring" ? UringDisk.open(limits.uringQueueDepth) : new PosixDisk();
}

export function closeDisk(disk: Disk): void {
  if (disk instanceof UringDisk) disk.close();
}

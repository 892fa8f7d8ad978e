import { assert } from "../base/assert.ts";
import { mulberry32 } from "../base/random.ts";
import type { Disk, DiskFile, DiskSpace } from "./disk.ts";

/** Which faults a SimDisk injects, each as a probability per call (0 = never). */
export interface SimFaults {
  /** write throws EIO and changes nothing. */
  writeFailProbability: number;
  /** write lands a random prefix of its bytes, then throws EIO. */
  shortWriteProbability: number;
  /** datasync throws EIO and makes nothing durable. */
  fsyncFailProbability: number;
  /** Total file bytes the disk holds; a write past it throws ENOSPC. */
  capacityBytes: number;
}

export const noFaults: SimFaults = { writeFailProbability: 0, shortWriteProbability: 0, fsyncFailProbability: 0, capacityBytes: Number.MAX_SAFE_INTEGER };

/** An error shaped like node:fs's, so callers can tell the code. */
export class SimIoError extends Error {
  constructor(
    readonly code: "EIO" | "ENOSPC" | "ENOENT",
    what: string,
  ) {
    super(`${code}: ${what} (simulated)`);
  }
}

interface SimNode {
  /** What reads see now. */
  current: Uint8Array;
  /** What survives a crash for sure: the bytes at the last successful datasync. */
  durable: Uint8Array;
  /** Writes since the last datasync, in order; a crash keeps a random prefix of them, the last maybe torn. */
  unsynced: Array<{ position: number; bytes: Uint8Array } | { truncate: number }>;
}

/**
 * In-memory Disk for deterministic tests. Faults (failed, short and ENOSPC writes, fsync
 * errors) come from a PRNG seeded by `seed`, and `crash()` models power loss: each file
 * keeps its synced bytes plus a random prefix of its later writes, the last one torn at any
 * byte. Directory operations are durable at once (a simplification).
 */
export class SimDisk implements Disk {
  readonly name = "sim";
  private readonly files = new Map<string, SimNode>();
  private readonly dirs = new Set<string>(["/"]);
  readonly random: () => number;
  faults: SimFaults;
  faultsInjected = 0;

  constructor(
    readonly seed: number,
    faults: Partial<SimFaults> = {},
  ) {
    this.random = mulberry32(seed);
    this.faults = { ...noFaults, ...faults };
  }

  async open(path: string, opts: { create: boolean }): Promise<DiskFile> {
    let node = this.files.get(path);
    if (!node) {
      if (!opts.create) throw new SimIoError("ENOENT", `open ${path}`);
      if (!this.dirs.has(parentOf(path))) throw new SimIoError("ENOENT", `open ${path}: no parent directory`);
      node = { current: new Uint8Array(0), durable: new Uint8Array(0), unsynced: [] };
      this.files.set(path, node);
    }
    return new SimFile(path, this, node);
  }

  async mkdirp(dir: string): Promise<void> {
    for (let d = normalize(dir); d !== "/" && !this.dirs.has(d); d = parentOf(d)) this.dirs.add(d);
  }

  async list(dir: string): Promise<string[]> {
    return this.peekList(dir);
  }

  /** `list` without waiting, for checkers that must look at a disk in the middle of a step. */
  peekList(dir: string): string[] {
    const d = normalize(dir);
    if (!this.dirs.has(d)) return [];
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs]) if (p !== d && parentOf(p) === d) names.add(p.slice(d.length + 1));
    return [...names].sort();
  }

  async remove(path: string): Promise<void> {
    const p = normalize(path);
    this.files.delete(p);
    this.dirs.delete(p);
    for (const k of [...this.files.keys()]) if (k.startsWith(`${p}/`)) this.files.delete(k);
    for (const k of [...this.dirs]) if (k.startsWith(`${p}/`)) this.dirs.delete(k);
  }

  async rename(from: string, to: string): Promise<void> {
    const node = this.files.get(from);
    if (!node) throw new SimIoError("ENOENT", `rename ${from}`);
    this.files.delete(from);
    this.files.set(to, node);
  }

  async exists(path: string): Promise<boolean> {
    const p = normalize(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  async syncDir(_dir: string): Promise<void> {}

  /** What `space` reports: set by tests (the simulation does not count its bytes against it). */
  spaceReported: DiskSpace = { totalBytes: 2 ** 40, freeBytes: 2 ** 40 };

  async space(_dir: string): Promise<DiskSpace> {
    return { ...this.spaceReported };
  }

  /** True with probability `p`, from the seeded PRNG; counts the fault. */
  chance(p: number): boolean {
    if (p <= 0 || this.random() >= p) return false;
    this.faultsInjected++;
    return true;
  }

  /**
   * The bytes a read of `path` would see now, without copying (callers must not change them), or
   * null for no such file: lets a simulator's checkers look at a file without going through
   * the I/O path under test.
   */
  peek(path: string): Uint8Array | null {
    return this.files.get(normalize(path))?.current ?? null;
  }

  usedBytes(): number {
    let total = 0;
    for (const node of this.files.values()) total += node.current.length;
    return total;
  }

  /**
   * Power loss: every file falls back to its synced bytes plus a random, maybe torn, prefix of
   * later writes; `"unsyncedLost"` keeps none of them (the worst case, for a test that needs it).
   */
  crash(unsynced: "someKept" | "unsyncedLost" = "someKept"): void {
    for (const node of this.files.values()) {
      let bytes = node.durable;
      for (const change of node.unsynced) {
        if (unsynced === "unsyncedLost") break;
        const roll = this.random();
        if (roll < 0.3) break; // this and later writes never reached the disk
        if ("truncate" in change) {
          bytes = resize(bytes, change.truncate);
          continue;
        }
        const torn = roll < 0.6;
        const keep = torn ? Math.floor(this.random() * change.bytes.length) : change.bytes.length;
        bytes = writeAt(bytes, change.position, change.bytes.subarray(0, keep));
        if (torn) break;
      }
      node.current = node.durable = bytes;
      node.unsynced = [];
    }
  }
}

class SimFile implements DiskFile {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly disk: SimDisk,
    private readonly node: SimNode,
  ) {}

  async size(): Promise<number> {
    return this.node.current.length;
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    assert(!this.closed, `write after close: ${this.path}`);
    const { faults } = this.disk;
    if (this.disk.chance(faults.writeFailProbability)) throw new SimIoError("EIO", `write ${this.path} at ${position}`);
    const growBytes = Math.max(0, position + data.length - this.node.current.length);
    // usedBytes() walks every file: only pay for it when a capacity is set (many-group simulations hold thousands of files).
    const limited = faults.capacityBytes < Number.MAX_SAFE_INTEGER;
    if (limited && this.disk.usedBytes() + growBytes > faults.capacityBytes) throw new SimIoError("ENOSPC", `write ${this.path} at ${position}`);
    if (this.disk.chance(faults.shortWriteProbability)) {
      this.apply(position, data.slice(0, Math.floor(this.disk.random() * data.length)));
      throw new SimIoError("EIO", `short write ${this.path} at ${position}`);
    }
    this.apply(position, data.slice());
  }

  private apply(position: number, bytes: Uint8Array): void {
    this.node.current = writeAt(this.node.current, position, bytes);
    this.node.unsynced.push({ position, bytes });
  }

  /** `write` returns only once its bytes are in the kernel (or it threw). */
  writtenThrough(_endBytes: number): Promise<void> {
    return Promise.resolve();
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    assert(!this.closed, `read after close: ${this.path}`);
    const end = Math.min(this.node.current.length, position + length);
    return end > position ? this.node.current.slice(position, end) : new Uint8Array(0);
  }

  async datasync(): Promise<void> {
    if (this.disk.chance(this.disk.faults.fsyncFailProbability)) throw new SimIoError("EIO", `fdatasync ${this.path}`);
    this.node.durable = this.node.current;
    this.node.unsynced = [];
  }

  async truncate(size: number): Promise<void> {
    this.node.current = resize(this.node.current, size);
    this.node.unsynced.push({ truncate: size });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A copy of `bytes` with `data` written at `position` (zero-filling any gap). Never mutates: durable snapshots share arrays. */
function writeAt(bytes: Uint8Array, position: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(bytes.length, position + data.length));
  out.set(bytes);
  out.set(data, position);
  return out;
}

function resize(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, Math.min(size, bytes.length)));
  return out;
}

function normalize(path: string): string {
  const p = path.replace(/\/+/g, "/");
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

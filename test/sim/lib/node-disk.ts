/**
 * One node incarnation's handle on its SimDisk: every call may take virtual time (a slow disk),
 * completes in the order issued, and once the incarnation is killed (a crash) nothing it starts
 * or has in flight ever reaches the disk or resolves.
 */
import type { Disk, DiskSpace, DiskFile } from "../../../src/io/disk.ts";
import type { SimDisk } from "../../../src/io/sim-disk.ts";
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";

/** Virtual latency per operation, ms (0 = at once). Each call draws uniformly in [0.5, 1.5] × this. */
export interface DiskLatency {
  writeMs: number;
  syncMs: number;
}

export const instantDisk: DiskLatency = { writeMs: 0, syncMs: 0 };

export class NodeDisk implements Disk {
  readonly name = "sim-node";
  private alive = true;
  /** Virtual time the last issued operation completes; later ones complete no earlier. */
  private lastDoneMs = 0;

  constructor(
    private readonly inner: SimDisk,
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
    private readonly latency: () => DiskLatency,
    readonly label: string,
  ) {}

  kill(): void {
    this.alive = false;
  }

  /** Waits the op's latency, then runs it, unless the incarnation died meanwhile. */
  async run<T>(kind: "write" | "sync" | "meta", op: () => Promise<T>): Promise<T> {
    if (!this.alive) return never();
    const { writeMs, syncMs } = this.latency();
    const baseMs = kind === "sync" ? syncMs : kind === "write" ? writeMs : 0;
    if (baseMs > 0 || this.lastDoneMs > this.scheduler.nowMs()) {
      const doneMs = Math.max(this.scheduler.nowMs() + baseMs * (0.5 + this.rng.float()), this.lastDoneMs);
      this.lastDoneMs = doneMs;
      await new Promise<void>((resolve) => this.scheduler.after(doneMs - this.scheduler.nowMs(), `${this.label} disk ${kind}`, resolve));
      if (!this.alive) return never();
    }
    const result = await op();
    if (!this.alive) return never();
    return result;
  }

  async open(path: string, opts: { create: boolean }): Promise<DiskFile> {
    const file = await this.run("meta", () => this.inner.open(path, opts));
    return new NodeFile(this, file);
  }
  mkdirp(dir: string): Promise<void> {
    return this.run("meta", () => this.inner.mkdirp(dir));
  }
  list(dir: string): Promise<string[]> {
    return this.run("meta", () => this.inner.list(dir));
  }
  remove(path: string): Promise<void> {
    return this.run("meta", () => this.inner.remove(path));
  }
  rename(from: string, to: string): Promise<void> {
    return this.run("meta", () => this.inner.rename(from, to));
  }
  exists(path: string): Promise<boolean> {
    return this.run("meta", () => this.inner.exists(path));
  }
  space(dir: string): Promise<DiskSpace> {
    return this.run("meta", () => this.inner.space(dir));
  }
  syncDir(dir: string): Promise<void> {
    return this.run("sync", () => this.inner.syncDir(dir));
  }
}

class NodeFile implements DiskFile {
  constructor(
    private readonly disk: NodeDisk,
    private readonly inner: DiskFile,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  size(): Promise<number> {
    return this.disk.run("meta", () => this.inner.size());
  }
  write(position: number, data: Uint8Array): Promise<void> {
    return this.disk.run("write", () => this.inner.write(position, data));
  }
  /** SimDisk's writes are through when they return; this only keeps the node's ordering and liveness. */
  writtenThrough(endBytes: number): Promise<void> {
    return this.disk.run("meta", () => this.inner.writtenThrough(endBytes));
  }
  read(position: number, length: number): Promise<Uint8Array> {
    return this.disk.run("meta", () => this.inner.read(position, length));
  }
  datasync(): Promise<void> {
    return this.disk.run("sync", () => this.inner.datasync());
  }
  truncate(size: number): Promise<void> {
    return this.disk.run("write", () => this.inner.truncate(size));
  }
  close(): Promise<void> {
    return this.disk.run("meta", () => this.inner.close());
  }
}

/** A promise that never settles: what a dead node's pending I/O becomes. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

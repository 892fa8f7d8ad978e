/**
 * A Disk made of one SimDisk per partition directory (`.../kafka/<topic>/<partition>`), so an
 * in-memory cluster of 10,000 partitions per node does not pay SimDisk's directory listing
 * (a scan of every file it holds) once per file: each partition's files live in their own.
 */
import type { Disk, DiskFile, DiskSpace } from "../../src/io/disk.ts";
import { SimDisk } from "../../src/io/sim-disk.ts";

export class PartitionedSimDisk implements Disk {
  readonly name = "sim";
  private readonly disks = new Map<string, SimDisk>();
  private readonly root = new SimDisk(0);

  private diskFor(path: string): Disk {
    const match = /^(.*\/kafka\/[^/]+\/\d+)(\/|$)/.exec(path);
    if (match === null) return this.root;
    let disk = this.disks.get(match[1]!);
    if (disk === undefined) {
      disk = new SimDisk(this.disks.size + 1);
      this.disks.set(match[1]!, disk);
    }
    return disk;
  }

  open(path: string, opts: { create: boolean }): Promise<DiskFile> {
    return this.diskFor(path).open(path, opts);
  }
  mkdirp(dir: string): Promise<void> {
    return this.diskFor(dir).mkdirp(dir);
  }
  list(dir: string): Promise<string[]> {
    return this.diskFor(dir).list(dir);
  }
  remove(path: string): Promise<void> {
    return this.diskFor(path).remove(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.diskFor(from).rename(from, to);
  }
  exists(path: string): Promise<boolean> {
    return this.diskFor(path).exists(path);
  }
  syncDir(dir: string): Promise<void> {
    return this.diskFor(dir).syncDir(dir);
  }
  space(dir: string): Promise<DiskSpace> {
    return this.diskFor(dir).space(dir);
  }
}

import fs from "node:fs";
import { limits } from "../base/limits.ts";
import { Ring } from "../native/uring.ts";
import { AlignedBufferPool, ReadBufferPool } from "./aligned-pool.ts";
import type { Disk, DiskFile, DiskSpace } from "./disk.ts";
import { PosixDisk } from "./posix-disk.ts";
import { UringFile } from "./uring-file.ts";

/**
 * io_uring backend: file data moves through the shard's ring with O_DIRECT from 4 KiB-aligned
 * buffers (see UringFile), and datasync is IORING_OP_FSYNC with IORING_FSYNC_DATASYNC. After a
 * crash a file may hold zero padding past its last record, or a zeroed gap where a chunk
 * written later landed before an earlier one: readers of a reopened file must treat zeros
 * where a record would start as its end. Directory operations and open/close/ftruncate are
 * rare and go through node:fs.
 */
export class UringDisk implements Disk {
  readonly name = "uring";
  private readonly meta = new PosixDisk();
  private readonly writeBuffers = new AlignedBufferPool();
  private readonly readBuffers = new ReadBufferPool();

  constructor(readonly ring: Ring) {}

  get writeBehindBytes(): number {
    return this.writeBuffers.heldBytes;
  }

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
    return new UringFile(path, fd, sizeBytes, direct, this.ring, this.writeBuffers, this.readBuffers);
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
  space(dir: string): Promise<DiskSpace> {
    return this.meta.space(dir); // statfs: a metadata call, like the directory operations
  }

  syncDir(dir: string): Promise<void> {
    return this.meta.syncDir(dir);
  }

  /** Closes the ring; every file must be closed first. */
  close(): void {
    this.ring.close();
  }
}

function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
}

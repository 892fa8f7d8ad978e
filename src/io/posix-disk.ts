import fs from "node:fs";
import fsp from "node:fs/promises";
import { assert } from "../base/assert.ts";
import { sharedBigBuffer } from "../base/big-buffers.ts";
import type { Disk, DiskFile, DiskSpace } from "./disk.ts";

/**
 * Portable backend: plain positional file I/O plus fdatasync, through node:fs
 * FileHandles (measured in Bun 1.4: about as cheap as the callback API, and never
 * blocks the shard's event loop the way the *Sync calls would).
 */
export class PosixDisk implements Disk {
  readonly name = "posix";

  async open(path: string, opts: { create: boolean }): Promise<DiskFile> {
    const flags = opts.create ? fs.constants.O_CREAT | fs.constants.O_RDWR : fs.constants.O_RDWR;
    const handle = await fsp.open(path, flags, 0o644);
    return new PosixFile(path, handle);
  }

  async mkdirp(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(dir);
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  async remove(path: string): Promise<void> {
    await fsp.rm(path, { recursive: true, force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    await fsp.rename(from, to);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(path);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async space(dir: string): Promise<DiskSpace> {
    const s = await fsp.statfs(dir);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  }

  async syncDir(dir: string): Promise<void> {
    const handle = await fsp.open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

class PosixFile implements DiskFile {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    assert(!this.closed, `write after close: ${this.path}`);
    let done = 0;
    // A positional write may be short (e.g. signals, quotas); loop until all bytes land.
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`short write to ${this.path} at ${position + done}`);
      done += bytesWritten;
    }
  }

  /** `write` returns only once its bytes are in the kernel (or it threw). */
  writtenThrough(_endBytes: number): Promise<void> {
    return Promise.resolve();
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    assert(!this.closed, `read after close: ${this.path}`);
    const buffer = sharedBigBuffer(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) break; // end of file
      done += bytesRead;
    }
    return done === length ? buffer : buffer.subarray(0, done);
  }

  async datasync(): Promise<void> {
    await this.handle.datasync();
  }

  async truncate(size: number): Promise<void> {
    await this.handle.truncate(size);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "ENOENT";
}

/**
 * Producer ids, unique across restarts: `<data-dir>/controller/producer_ids` holds the next id
 * never handed out, as [u32 crc32c][u64 next id]. Shards take ids in blocks, so the main thread
 * (and this file) is touched once per block, not once per producer. Runs on the main thread.
 */
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32c } from "../base/crc32c.ts";

/** Ids a shard takes at once. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const RECORD_BYTES = 12;
/** Producer ids are int64 on the wire; we keep them below 2^53 to stay exact as numbers. */
const PRODUCER_ID_MAX = Number.MAX_SAFE_INTEGER;

export class ProducerIdStore {
  private constructor(
    private readonly dir: string,
    private nextId: number,
  ) {}

  /** Reads the counter; a torn or corrupt file is a start-up error (reusing ids would be worse). */
  static open(dataDir: string): ProducerIdStore {
    const dir = join(dataDir, "controller");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "producer_ids");
    if (!existsSync(path)) return new ProducerIdStore(dir, 0);
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length !== RECORD_BYTES || view.getUint32(0) !== crc32c(bytes.subarray(4))) {
      throw new Error(`${path} is corrupt; refusing to reuse producer ids`);
    }
    return new ProducerIdStore(dir, view.getUint32(4) * 4294967296 + view.getUint32(8));
  }

  /** Hands out `count` ids, made durable before they are returned. */
  allocate(count: number): { firstId: number; count: number } {
    if (this.nextId + count > PRODUCER_ID_MAX) throw new Error("producer ids exhausted");
    const firstId = this.nextId;
    this.persist(firstId + count);
    this.nextId = firstId + count;
    return { firstId, count };
  }

  /** Write a new file, sync it, rename it over the old one, sync the directory: never torn. */
  private persist(nextId: number): void {
    const bytes = new Uint8Array(RECORD_BYTES);
    const view = new DataView(bytes.buffer);
    view.setUint32(4, Math.floor(nextId / 4294967296));
    view.setUint32(8, nextId % 4294967296);
    view.setUint32(0, crc32c(bytes.subarray(4)));
    const temp = join(this.dir, "producer_ids.tmp");
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, bytes, 0, bytes.length, 0);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(this.dir, "producer_ids"));
    const dirFd = openSync(this.dir, "r");
    try {
      fdatasyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

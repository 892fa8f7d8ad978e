/**
 * Producer ids, unique across restarts: `<data-dir>/controller/producer_ids` holds the next id
 * never handed out, as [u32 crc32c][u64 next id]. Shards take ids in blocks, so the main thread
 * (and this file) is touched once per block, not once per producer. Runs on the main thread;
 * all I/O goes through the `Disk` interface, so a simulated disk can crash it.
 */
import { join } from "node:path";
import { crc32c } from "../base/crc32c.ts";
import type { Disk } from "../io/disk.ts";

/** Ids a shard takes at once. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const RECORD_BYTES = 12;
/** Producer ids are int64 on the wire; we keep them below 2^53 to stay exact as numbers. */
const PRODUCER_ID_MAX = Number.MAX_SAFE_INTEGER;
const FILE_NAME = "producer_ids";

export class ProducerIdStore {
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    private nextId: number,
  ) {}

  /** Reads the counter; a torn or corrupt file is a start-up error (reusing ids would be worse). */
  static async open(disk: Disk, dataDir: string): Promise<ProducerIdStore> {
    const dir = join(dataDir, "controller");
    await disk.mkdirp(dir);
    const path = join(dir, FILE_NAME);
    if (!(await disk.exists(path))) return new ProducerIdStore(disk, dir, 0);
    const file = await disk.open(path, { create: false });
    const bytes = await file.read(0, RECORD_BYTES + 1);
    await file.close();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length !== RECORD_BYTES || view.getUint32(0) !== crc32c(bytes.subarray(4))) {
      throw new Error(`${path} is corrupt; refusing to reuse producer ids`);
    }
    return new ProducerIdStore(disk, dir, view.getUint32(4) * 4294967296 + view.getUint32(8));
  }

  /** Hands out `count` ids, made durable before they are returned. Concurrent calls take turns. */
  allocate(count: number): Promise<{ firstId: number; count: number }> {
    const result = this.turn.then(() => this.allocateNow(count));
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async allocateNow(count: number): Promise<{ firstId: number; count: number }> {
    if (this.nextId + count > PRODUCER_ID_MAX) throw new Error("producer ids exhausted");
    const firstId = this.nextId;
    await this.persist(firstId + count);
    this.nextId = firstId + count;
    return { firstId, count };
  }

  /** Write a new file, sync it, rename it over the old one, sync the directory: never torn. */
  private async persist(nextId: number): Promise<void> {
    const bytes = new Uint8Array(RECORD_BYTES);
    const view = new DataView(bytes.buffer);
    view.setUint32(4, Math.floor(nextId / 4294967296));
    view.setUint32(8, nextId % 4294967296);
    view.setUint32(0, crc32c(bytes.subarray(4)));
    const temp = join(this.dir, `${FILE_NAME}.tmp`);
    await this.disk.remove(temp); // a failed earlier attempt may have left a longer one
    const file = await this.disk.open(temp, { create: true });
    try {
      await file.write(0, bytes);
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.disk.rename(temp, join(this.dir, FILE_NAME));
    await this.disk.syncDir(this.dir);
  }
}

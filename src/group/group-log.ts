/**
 * The durable log of one group partition: `<data-dir>/groups/<partition>/groups.log`, our
 * `__consumer_offsets`. Each record is [u32 length][u32 crc32c][JSON of a GroupRecord].
 * Appends that arrive while a write is in flight share the next write and its fdatasync
 * (group commit); append() resolves only once its records are durable. Replay stops at the
 * first torn or corrupt record and cuts the file there. compact() rewrites the live state
 * to a new file and renames it over the old one.
 */
import { dirname, join } from "node:path";
import { limits } from "../base/limits.ts";
import type { Disk, DiskFile } from "../io/disk.ts";
import { frameRecords, replayFramedRecords } from "../base/framed-records.ts";
import { concatBytes } from "../base/bytes.ts";

export type GroupRecord =
  /** A committed offset. */
  | { k: "o"; g: string; t: string; p: number; o: number; e: number; m: string | null; ts: number }
  /** An offset removed (OffsetDelete, retention, topic deleted). */
  | { k: "od"; g: string; t: string; p: number }
  /** Group metadata: the generation and protocol type, written at each new generation. */
  | { k: "g"; g: string; gen: number; pt: string | null }
  /** The group and all its offsets deleted. */
  | { k: "gd"; g: string };

const LOG_FILE = "groups.log";
const COMPACT_FILE = "groups.log.compact";

interface PendingAppend {
  bytes: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class GroupLog {
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  /** Writes and compactions run one after another on this chain. */
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    private file: DiskFile,
    private sizeBytes: number,
    private readonly onFsyncMs: (ms: number) => void,
  ) {}

  get bytes(): number {
    return this.sizeBytes;
  }

  /** Opens (creating) the log of one group partition and returns the records that survived, in order. */
  static async open(options: { disk: Disk; dir: string; warn: (message: string) => void; onFsyncMs?: (ms: number) => void }): Promise<{ log: GroupLog; records: GroupRecord[] }> {
    const { disk, dir } = options;
    await disk.mkdirp(dir);
    await disk.remove(join(dir, COMPACT_FILE)); // a compaction that did not finish
    const path = join(dir, LOG_FILE);
    const created = !(await disk.exists(path));
    const file = await disk.open(path, { create: true });
    // A new file's directory entries must be durable too, or a crash could lose the whole log.
    if (created) for (const d of [dir, dirname(dir), dirname(dirname(dir))]) await disk.syncDir(d);
    const size = await file.size();
    const bytes = size === 0 ? new Uint8Array(0) : await file.read(0, size);
    const { records, validBytes } = replay(bytes);
    if (validBytes < bytes.length) {
      options.warn(`group log ${path}: cut ${bytes.length - validBytes} bytes of torn or corrupt tail`);
      await file.truncate(validBytes);
      await file.datasync();
    }
    return { log: new GroupLog(disk, dir, file, validBytes, options.onFsyncMs ?? (() => {})), records };
  }

  /** Appends records; resolves once they are on disk (fdatasync'ed). */
  append(records: GroupRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const bytes = encodeRecords(records);
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      this.chain = this.chain.then(() => this.flushQueued());
    });
  }

  /** Writes everything queued; appends that arrive during a write go in the next one (group commit). */
  private async flushQueued(): Promise<void> {
    this.flushScheduled = false;
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      const bytes = concatBytes(batch.map((p) => p.bytes));
      try {
        await this.file.write(this.sizeBytes, bytes);
        const startMs = performance.now();
        await this.file.datasync();
        this.onFsyncMs(performance.now() - startMs);
        this.sizeBytes += bytes.length;
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  /** Everything queued, up to the largest write the loop makes at once. */
  private takeBatch(): PendingAppend[] {
    let total = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || total + this.queue[count].bytes.length <= limits.groupLogWriteBytesMax)) {
      total += this.queue[count].bytes.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  /**
   * Replaces the whole log with the live state (`snapshot()` is called once earlier writes are
   * durable): write a new file, sync it, rename it over the old one, sync the directory.
   */
  compact(snapshot: () => GroupRecord[]): Promise<void> {
    const done = this.chain.then(async () => {
      const bytes = encodeRecords(snapshot());
      const tmpPath = join(this.dir, COMPACT_FILE);
      const tmp = await this.disk.open(tmpPath, { create: true });
      await tmp.truncate(0);
      if (bytes.length > 0) await tmp.write(0, bytes);
      await tmp.datasync();
      await tmp.close();
      await this.file.close();
      await this.disk.rename(tmpPath, join(this.dir, LOG_FILE));
      await this.disk.syncDir(this.dir);
      this.file = await this.disk.open(join(this.dir, LOG_FILE), { create: false });
      this.sizeBytes = bytes.length;
    });
    this.chain = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.file.close();
  }
}

export function encodeRecords(records: GroupRecord[]): Uint8Array {
  const encoder = new TextEncoder();
  return frameRecords(records.map((r) => encoder.encode(JSON.stringify(r))));
}

export function replay(bytes: Uint8Array): { records: GroupRecord[]; validBytes: number } {
  const decoder = new TextDecoder();
  const records: GroupRecord[] = [];
  const { validBytes } = replayFramedRecords(bytes, (body) => {
    const record = parseRecord(decoder.decode(body));
    if (record) records.push(record);
    return record !== null;
  });
  return { records, validBytes };
}

function parseRecord(text: string): GroupRecord | null {
  try {
    const value = JSON.parse(text) as GroupRecord;
    return value && typeof value === "object" && typeof value.g === "string" && ["o", "od", "g", "gd"].includes(value.k) ? value : null;
  } catch {
    return null;
  }
}


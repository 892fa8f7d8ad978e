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
  | { k: "gd"; g: string }
  /** An offset committed inside a transaction (TxnOffsetCommit): pending until its producer's transaction ends. */
  | { k: "to"; g: string; pid: number; t: string; p: number; o: number; e: number; m: string | null; ts: number }
  /** A transaction's outcome reached the group: its pending offsets are applied (commit) or dropped. */
  | { k: "tc"; g: string; pid: number; c: boolean };

const LOG_FILE = "groups.log";
const COMPACT_SUFFIX = ".compact";

/** How another log of JSON records (the transaction log) reuses this one: its file name and what it accepts. */
export interface RecordFormat<R> {
  fileName: string;
  /** The record a parsed JSON value is, or null when it is not one (replay stops there). */
  parse: (value: unknown) => R | null;
}

const GROUP_RECORD_KINDS = ["o", "od", "g", "gd", "to", "tc"];

export const groupRecordFormat: RecordFormat<GroupRecord> = {
  fileName: LOG_FILE,
  parse: (value) => {
    const r = value as GroupRecord;
    return r && typeof r === "object" && typeof r.g === "string" && GROUP_RECORD_KINDS.includes(r.k) ? r : null;
  },
};

interface LogOpenOptions {
  disk: Disk;
  dir: string;
  warn: (message: string) => void;
  onFsyncMs?: (ms: number) => void;
}

interface PendingAppend {
  bytes: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class GroupLog<R = GroupRecord> {
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
    private readonly fileName: string,
  ) {}

  get bytes(): number {
    return this.sizeBytes;
  }

  /** Opens (creating) the log of one group partition and returns the records that survived, in order. */
  static open(options: LogOpenOptions): Promise<{ log: GroupLog<GroupRecord>; records: GroupRecord[] }> {
    return GroupLog.openFormat(options, groupRecordFormat);
  }

  /** Opens a log of another record format (see RecordFormat). */
  static async openFormat<R>(options: LogOpenOptions, format: RecordFormat<R>): Promise<{ log: GroupLog<R>; records: R[] }> {
    const { disk, dir } = options;
    await disk.mkdirp(dir);
    await disk.remove(join(dir, format.fileName + COMPACT_SUFFIX)); // a compaction that did not finish
    const path = join(dir, format.fileName);
    const created = !(await disk.exists(path));
    const file = await disk.open(path, { create: true });
    // A new file's directory entries must be durable too, or a crash could lose the whole log.
    if (created) for (const d of [dir, dirname(dir), dirname(dirname(dir))]) await disk.syncDir(d);
    const size = await file.size();
    const bytes = size === 0 ? new Uint8Array(0) : await file.read(0, size);
    const { records, validBytes } = replayFormat(bytes, format);
    if (validBytes < bytes.length) {
      options.warn(`log ${path}: cut ${bytes.length - validBytes} bytes of torn or corrupt tail`);
      await file.truncate(validBytes);
      await file.datasync();
    }
    return { log: new GroupLog<R>(disk, dir, file, validBytes, options.onFsyncMs ?? (() => {}), format.fileName), records };
  }

  /** Appends records; resolves once they are on disk (fdatasync'ed). */
  append(records: R[]): Promise<void> {
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
  compact(snapshot: () => R[]): Promise<void> {
    const done = this.chain.then(async () => {
      const bytes = encodeRecords(snapshot());
      const tmpPath = join(this.dir, this.fileName + COMPACT_SUFFIX);
      const tmp = await this.disk.open(tmpPath, { create: true });
      await tmp.truncate(0);
      if (bytes.length > 0) await tmp.write(0, bytes);
      await tmp.datasync();
      await tmp.close();
      await this.file.close();
      await this.disk.rename(tmpPath, join(this.dir, this.fileName));
      await this.disk.syncDir(this.dir);
      this.file = await this.disk.open(join(this.dir, this.fileName), { create: false });
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

export function encodeRecords(records: readonly unknown[]): Uint8Array {
  const encoder = new TextEncoder();
  return frameRecords(records.map((r) => encoder.encode(JSON.stringify(r))));
}

export function replay(bytes: Uint8Array): { records: GroupRecord[]; validBytes: number } {
  return replayFormat(bytes, groupRecordFormat);
}

export function replayFormat<R>(bytes: Uint8Array, format: RecordFormat<R>): { records: R[]; validBytes: number } {
  const decoder = new TextDecoder();
  const records: R[] = [];
  const { validBytes } = replayFramedRecords(bytes, (body) => {
    const record = parseJson(decoder.decode(body), format);
    if (record) records.push(record);
    return record !== null;
  });
  return { records, validBytes };
}

function parseJson<R>(text: string, format: RecordFormat<R>): R | null {
  try {
    return format.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

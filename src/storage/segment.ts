/**
 * One segment of a partition log: `<base>.log` holding whole batches back to back, plus
 * its sparse indexes and its aborted-transaction index (`<base>.txnindex`, kept in memory too). Knows how to open, rescan (recover), read and seal itself; the
 * decisions about when to roll or what to keep live in PartitionLog.
 */
import { assert } from "../base/assert.ts";
import { limits } from "../base/limits.ts";
import type { Disk, DiskFile } from "../io/disk.ts";
import { SegmentIndex } from "./offset-index.ts";
import * as rb from "./record-batch.ts";
import type { SealedFileLru } from "./sealed-file-lru.ts";
import { type AbortedTxn, decodeTxnIndex, encodeTxnIndex } from "./txn-index.ts";

const OFFSET_DIGITS = 20;

export function segmentFileStem(baseOffset: number): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, "0");
}

/** Base offset named by a `.log` file, or null for any other name. */
export function parseSegmentLogName(name: string): number | null {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : null;
}

export class Segment {
  /** Abort markers in this segment, in offset order (the `.txnindex`). */
  abortedTxns: AbortedTxn[] = [];
  /** The `.txnindex` was read at open (else the whole log is scanned to rebuild it). */
  txnIndexLoaded = false;
  /** Bytes assigned to this segment, including writes still queued. */
  sizeBytes = 0;
  /** Bytes known to be on disk (written, not necessarily synced). */
  writtenBytes = 0;
  /** Offset after the last batch assigned to this segment. */
  nextOffset: number;
  /** True once sealed: no more appends, index files written. */
  sealed = false;
  /** Clock time of the first append (or of reopening a non-empty segment); segmentMs counts from here. */
  firstAppendMs: number | null = null;
  /** Reads and syncs in progress: the file is not closed under them. */
  private users = 0;
  private deleted = false;
  /** Compaction put a rewrite in its place: reads still open go on against the old file; none may reopen it. */
  private replaced = false;
  /** Set once sealed for good: the file may then be closed when idle and reopened on demand. */
  private lru: SealedFileLru | null = null;
  private reopening: Promise<DiskFile> | null = null;
  index: SegmentIndex;
  /** Set when the log file is open; `ready` settles first. */
  file: DiskFile | null = null;
  readonly ready: Promise<DiskFile>;

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    readonly baseOffset: number,
    intervalBytes: number,
    create: boolean,
  ) {
    this.nextOffset = baseOffset;
    this.index = new SegmentIndex(intervalBytes);
    this.ready = disk.open(this.logPath, { create }).then((f) => (this.file = f));
    this.ready.catch(() => {}); // awaited by whoever uses the file; don't report twice
  }

  // The paths are built when used (opening, sealing, deleting, messages), not held: 10,000 idle
  // partitions would keep 40,000 strings.
  get logPath(): string {
    return this.path("log");
  }

  get indexPath(): string {
    return this.path("index");
  }

  get timeIndexPath(): string {
    return this.path("timeindex");
  }

  get txnIndexPath(): string {
    return this.path("txnindex");
  }

  private path(extension: string): string {
    return `${this.dir}/${segmentFileStem(this.baseOffset)}.${extension}`;
  }

  /** Starts creating a new empty segment; synchronous so append can roll without awaiting. */
  static create(disk: Disk, dir: string, baseOffset: number, intervalBytes: number): Segment {
    return new Segment(disk, dir, baseOffset, intervalBytes, true);
  }

  static async open(disk: Disk, dir: string, baseOffset: number, intervalBytes: number): Promise<Segment> {
    const segment = new Segment(disk, dir, baseOffset, intervalBytes, false);
    await segment.ready;
    return segment;
  }

  /** Opens a compacted rewrite just moved into place, with the index built while it was written. */
  static async openRewritten(disk: Disk, dir: string, baseOffset: number, index: SegmentIndex, sizeBytes: number, nextOffset: number, abortedTxns: AbortedTxn[]): Promise<Segment> {
    const segment = await Segment.open(disk, dir, baseOffset, index.intervalBytes);
    segment.index = index;
    segment.abortedTxns = abortedTxns;
    segment.txnIndexLoaded = true;
    segment.sizeBytes = segment.writtenBytes = sizeBytes;
    segment.nextOffset = nextOffset;
    segment.sealed = true;
    return segment;
  }

  /** Records a batch assigned at the current end; updates size, offsets and index. */
  assign(bytes: Uint8Array, at: number, sizeBytes: number, nowMs: number): void {
    assert(!this.sealed, "append to a sealed segment");
    this.firstAppendMs ??= nowMs;
    const rel = rb.baseOffset(bytes, at) - this.baseOffset;
    this.index.onBatch(rel, this.sizeBytes, sizeBytes, rb.maxTimestamp(bytes, at));
    this.sizeBytes += sizeBytes;
    this.nextOffset = rb.lastOffset(bytes, at) + 1;
  }

  /** Loads a sealed segment's index files; false if they are missing or do not fit the log. */
  async loadIndex(): Promise<boolean> {
    const logSizeBytes = await this.openFile().size();
    const offsets = await readWholeFile(this.disk, this.indexPath);
    const times = await readWholeFile(this.disk, this.timeIndexPath);
    if (offsets === null || times === null) return false;
    const decoded = SegmentIndex.decode(this.index.intervalBytes, offsets, times, logSizeBytes);
    if (decoded === null) return false;
    this.index = decoded.index;
    this.nextOffset = this.baseOffset + decoded.endRelOffset;
    this.sizeBytes = this.writtenBytes = logSizeBytes;
    this.sealed = true;
    return true;
  }

  /** Reads the `.txnindex`; false (and no entries) when it is missing or torn. */
  async loadTxnIndex(): Promise<boolean> {
    const bytes = await readWholeFile(this.disk, this.txnIndexPath);
    const entries = bytes === null ? null : decodeTxnIndex(bytes);
    this.abortedTxns = entries ?? [];
    this.txnIndexLoaded = entries !== null;
    return this.txnIndexLoaded;
  }

  /** Forgets abort markers at or past `offset` (the segment was cut there). */
  dropAbortedFrom(offset: number): void {
    while (this.abortedTxns.length > 0 && this.abortedTxns[this.abortedTxns.length - 1]!.lastOffset >= offset) this.abortedTxns.pop();
  }

  /** Writes the `.txnindex` from memory, synced. */
  async writeTxnIndexFile(): Promise<void> {
    await writeWholeFile(this.disk, this.txnIndexPath, encodeTxnIndex(this.abortedTxns));
  }

  /**
   * Rescans the whole log file: every batch's length, magic, counts and CRC-32C are checked
   * and offsets must be dense from the base offset (`gapsAllowed`: rise, for a closed segment compaction may have thinned). Truncates at the first bad or partial
   * batch and rebuilds the index. Returns why it cut, or null if the file was sound.
   */
  async recover(gapsAllowed = false): Promise<string | null> {
    const file = this.openFile();
    const fileSizeBytes = await file.size();
    this.index = new SegmentIndex(this.index.intervalBytes);
    let position = 0;
    let next = this.baseOffset;
    let chunkBytes = limits.recoveryReadChunkBytes;
    let problem: string | null = null;
    let paddingAt = -1;
    while (position < fileSizeBytes && problem === null && paddingAt < 0) {
      const buf = await file.read(position, Math.min(chunkBytes, fileSizeBytes - position));
      const atEof = position + buf.length >= fileSizeBytes;
      let at = 0;
      while (at < buf.length) {
        if (isZeroPadding(buf, at, atEof)) {
          paddingAt = position + at;
          break;
        }
        const p = rb.checkBatch(buf, at, buf.length, limits.storedBatchBytesMax, true);
        if (p === "partial" && !atEof) break; // the rest is in the next read
        if (p !== null) problem = p;
        // Compaction leaves gaps where whole batches went (never in the last segment, which it does not touch).
        else if (gapsAllowed ? rb.baseOffset(buf, at) < next : rb.baseOffset(buf, at) !== next) problem = `offset ${rb.baseOffset(buf, at)}, expected ${gapsAllowed ? "at least " : ""}${next}`;
        if (problem !== null) break;
        const size = rb.batchSizeBytes(buf, at);
        this.index.onBatch(next - this.baseOffset, position + at, size, rb.maxTimestamp(buf, at));
        next = rb.lastOffset(buf, at) + 1;
        at += size;
      }
      // A batch larger than the chunk: grow the next read to hold it whole.
      if (at === 0 && problem === null && paddingAt < 0) chunkBytes = Math.max(chunkBytes * 2, rb.batchSizeBytes(buf, 0));
      position += at;
    }
    if (position < fileSizeBytes) {
      // Zeros where the next batch would start are the io_uring backend's block padding, or a gap a
      // later write-behind chunk left by landing first (nothing past it was synced): a clean end.
      if (paddingAt !== position) problem = `${problem ?? "partial"} at position ${position}, cut ${fileSizeBytes - position} bytes`;
      await file.truncate(position);
    }
    this.sizeBytes = this.writtenBytes = position;
    this.nextOffset = next;
    return problem;
  }

  /** `reuse`: as DiskFile.read's (the read-ahead's chunks). */
  async read(position: number, lengthBytes: number, reuse = false): Promise<Uint8Array> {
    if (this.deleted) throw new SegmentDeletedError(this.logPath);
    if (this.replaced && this.file === null) throw new SegmentReplacedError(this.logPath);
    this.users++;
    try {
      const file = this.file ?? (await this.reopen());
      this.lru?.touch(this);
      return await file.read(position, lengthBytes, reuse);
    } finally {
      this.users--;
      if ((this.deleted || this.replaced) && this.users === 0) await this.closeFile();
    }
  }

  /** A batch start at or before `position`, from the sparse index (0 if none indexed). */
  batchStartAtMost(position: number): number {
    return this.index.batchStartAtMost(position);
  }

  /**
   * Before compaction moves files over this segment's: its file is opened and held, so reads keep
   * seeing the old bytes (an open file outlives a rename or remove) until `retire`.
   */
  async pin(): Promise<void> {
    this.users++;
    if (this.file === null) await this.reopen();
  }

  /** The rewrite replaced this segment in the log: let go of the file once the last read ends. */
  async retire(): Promise<void> {
    this.replaced = true;
    this.lru?.forget(this);
    this.lru = null;
    this.users--;
    if (this.users === 0) await this.closeFile();
  }

  /** fdatasync of what was written; a file closed after its seal was already synced by it. */
  async datasync(): Promise<void> {
    if (this.file === null) return;
    this.users++;
    try {
      await this.file.datasync();
    } finally {
      this.users--;
    }
  }

  /** The seal finished (or the segment was found sealed at open): its file joins the shard's LRU. */
  makeClosable(lru: SealedFileLru): void {
    this.lru = lru;
    lru.touch(this);
  }

  closeIfIdle(): boolean {
    if (this.file === null) return true;
    if (this.users > 0 || this.lru === null) return false;
    const file = this.file;
    this.file = null;
    void file.close();
    return true;
  }

  private reopen(): Promise<DiskFile> {
    this.reopening ??= this.disk.open(this.logPath, { create: false }).then((file) => {
      this.file = file;
      this.reopening = null;
      return file;
    });
    return this.reopening;
  }

  /** The open file for appends (reopened if the LRU closed it while the segment was sealed). */
  async writableFile(): Promise<DiskFile> {
    if (this.file !== null) return this.file;
    await this.ready;
    return this.file ?? (await this.reopen());
  }

  /**
   * A cut after a failed write: the segment becomes the active one again (out of the LRU, no
   * index files), its file is truncated to `positionBytes` (which also clears a failed io_uring
   * file) and rescanned, so its index, size and next offset are exactly what is left. Returns
   * what the rescan found wrong below the cut (the disk lost written bytes), or null.
   */
  async cutTo(positionBytes: number): Promise<string | null> {
    this.lru?.forget(this);
    this.lru = null;
    this.sealed = false;
    await this.removeIndexFiles();
    const file = await this.writableFile();
    await file.truncate(positionBytes);
    const problem = await this.recover();
    this.dropAbortedFrom(this.nextOffset);
    assert(this.sizeBytes <= positionBytes, "recovery grew a segment");
    if (this.sizeBytes === 0) this.firstAppendMs = null;
    return problem;
  }

  /**
   * Makes the log file durable, then writes the index files: from then on open trusts them instead
   * of rescanning the file (`loadIndex`), so every byte they index must already survive a power
   * loss. The truncate first drops any block padding past the last batch (io_uring backend).
   */
  async seal(): Promise<void> {
    const file = await this.writableFile();
    await file.truncate(this.sizeBytes);
    await file.datasync();
    await this.writeIndexFiles();
  }

  /**
   * Writes the index files and syncs them; the segment is then recognized as sealed at open. The
   * `.txnindex` goes first, so a sealed segment's offset index vouches for it too.
   */
  private async writeIndexFiles(): Promise<void> {
    await this.writeTxnIndexFile();
    const endRel = this.nextOffset - this.baseOffset;
    await writeWholeFile(this.disk, this.indexPath, this.index.encodeOffsetIndex());
    await writeWholeFile(this.disk, this.timeIndexPath, this.index.encodeTimeIndex(endRel));
  }

  async removeIndexFiles(): Promise<void> {
    await this.disk.remove(this.indexPath);
    await this.disk.remove(this.timeIndexPath);
  }

  /** Deletes all files; the open log file is closed once in-flight reads finish. */
  async delete(): Promise<void> {
    this.deleted = true;
    await this.disk.remove(this.logPath);
    await this.removeIndexFiles();
    await this.disk.remove(this.txnIndexPath);
    if (this.users === 0) await this.closeFile();
  }

  async closeFile(): Promise<void> {
    this.lru?.forget(this);
    await this.ready.catch(() => {});
    await this.reopening?.catch(() => {});
    const file = this.file;
    this.file = null;
    await file?.close();
  }

  openFile(): DiskFile {
    assert(this.file !== null, () => `segment file not open: ${this.logPath}`);
    return this.file;
  }
}

/** A zero batch length (or, at the end of the file, only zeros left) where a batch should start. */
function isZeroPadding(buf: Uint8Array, at: number, atEof: boolean): boolean {
  const lengthEnd = at + rb.LOG_OVERHEAD_BYTES;
  if (lengthEnd <= buf.length) return rb.batchLength(buf, at) === 0;
  if (!atEof) return false; // a base offset's high bytes are zeros too: wait for the next read
  for (let i = at; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

async function readWholeFile(disk: Disk, path: string): Promise<Uint8Array | null> {
  if (!(await disk.exists(path))) return null;
  const file = await disk.open(path, { create: false });
  try {
    return await file.read(0, await file.size());
  } finally {
    await file.close();
  }
}

/** Replaces a small file's bytes and syncs them (index files, compaction's cleaned indexes). */
export async function writeWholeFile(disk: Disk, path: string, bytes: Uint8Array): Promise<void> {
  const file = await disk.open(path, { create: true });
  try {
    await file.truncate(0);
    await file.write(0, bytes);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** A read raced with compaction replacing the segment; the reader looks again in the new one. */
export class SegmentReplacedError extends Error {
  override name = "SegmentReplacedError";
}

/** A read raced with retention deleting the segment; the reader sees offset-out-of-range. */
export class SegmentDeletedError extends Error {
  override name = "SegmentDeletedError";
}

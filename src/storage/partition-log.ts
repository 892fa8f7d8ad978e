/**
 * One partition's log: an ordered list of segments in `dir`, a per-partition write loop
 * that coalesces appends into one disk write, reads bounded by the high watermark,
 * recovery at open, and retention. Runs on the owning shard's thread only.
 */
import { assert, rethrowIfBroken } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import type { Disk } from "../io/disk.ts";
import type { RecentBatchCache } from "./recent-batch-cache.ts";
import { takeBatches } from "./recent-batch-cache.ts";
import * as rb from "./record-batch.ts";
import { readStartOffset, writeStartOffset } from "./start-offset.ts";
import { SealedFileLru } from "./sealed-file-lru.ts";
import { parseSegmentLogName, Segment, SegmentDeletedError } from "./segment.ts";
import { concatBytes } from "../base/bytes.ts";

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  /** -1: keep forever. */
  retentionMs: number;
  /** -1: no size bound. */
  retentionBytes: number;
}

export interface PartitionLogOptions {
  disk: Disk;
  dir: string;
  config: LogConfig;
  clock: Clock;
  cache?: RecentBatchCache;
  /** The shard's bound on open files of sealed segments; a log of its own when not given. */
  sealedFiles?: SealedFileLru;
  log?: (msg: string) => void;
  /** Defaults to limits.segmentIndexIntervalBytes. */
  indexIntervalBytes?: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  /** Resolves once the bytes are written (acks=1); rejects if the write failed. */
  written: Promise<void>;
}

export type ReadResult =
  | { ok: true; bytes: Uint8Array; highWatermark: number; logStartOffset: number }
  | { ok: false; error: "offsetOutOfRange"; highWatermark: number; logStartOffset: number };

/** Thrown by append once a write or sync failed: the log accepts nothing until reopened. */
export class LogFailedError extends Error {
  override name = "LogFailedError";
}

interface WriteJob {
  kind: "write";
  segment: Segment;
  position: number;
  bytes: Uint8Array;
  baseOffset: number;
  endOffset: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}
interface SealJob {
  kind: "seal";
  segment: Segment;
}
type Job = WriteJob | SealJob;

const EMPTY = new Uint8Array(0);

export class PartitionLog {
  private readonly disk: Disk;
  readonly dir: string;
  readonly config: LogConfig;
  private readonly clock: Clock;
  private readonly cache: RecentBatchCache | undefined;
  private readonly sealedFiles: SealedFileLru;
  private readonly cacheLogId: number;
  private readonly warn: (msg: string) => void;
  private readonly indexIntervalBytes: number;
  private segments: Segment[] = [];
  private queue: Job[] = [];
  private queueHead = 0;
  private writeLoopRunning = false;
  private lastWritten: Promise<void> = Promise.resolve();
  private readonly seals = new Set<Promise<void>>();
  /** Rolled segments whose seal (sync, index files) has not finished: not to be deleted yet. */
  private readonly sealing = new Set<Segment>();
  private readonly dirty = new Set<Segment>();
  private dirNeedsSync = false;
  private flushing: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private closed = false;
  /** Offset after the last batch whose write completed. */
  highWatermark = 0;
  /** Where DeleteRecords moved the start, possibly inside the first segment. */
  private deletedBefore = 0;

  private constructor(opts: PartitionLogOptions) {
    this.disk = opts.disk;
    this.dir = opts.dir;
    this.config = opts.config;
    this.clock = opts.clock;
    this.cache = opts.cache;
    this.sealedFiles = opts.sealedFiles ?? new SealedFileLru();
    this.cacheLogId = opts.cache?.register() ?? 0;
    this.warn = opts.log ?? (() => {});
    this.indexIntervalBytes = opts.indexIntervalBytes ?? limits.segmentIndexIntervalBytes;
    assert(opts.config.segmentBytes > 0 && opts.config.segmentBytes <= 0x7fffffff, "segmentBytes out of range");
  }

  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    await opts.disk.mkdirp(opts.dir);
    const bases: number[] = [];
    for (const name of await opts.disk.list(opts.dir)) {
      const base = parseSegmentLogName(name);
      if (base !== null) bases.push(base);
    }
    bases.sort((a, b) => a - b);
    await log.loadSegments(bases);
    log.highWatermark = log.logEndOffset;
    log.deletedBefore = await readStartOffset(opts.disk, opts.dir, log.warn);
    return log;
  }

  get logStartOffset(): number {
    // Recovery may have cut the log below where DeleteRecords had moved the start.
    return Math.max(this.segments[0]!.baseOffset, Math.min(this.deletedBefore, this.logEndOffset));
  }

  /** Next offset to assign. */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.sizeBytes;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  // ---- recovery ----

  /** Opens segments in order; closed ones trust their index files, the last one is rescanned. */
  private async loadSegments(bases: number[]): Promise<void> {
    let expected: number | null = null;
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      if (expected !== null && base !== expected) {
        this.warn(`${this.dir}: segment ${base} does not follow offset ${expected}; deleting it and later segments`);
        await this.deleteSegmentFiles(bases.slice(i));
        break;
      }
      const segment = await Segment.open(this.disk, this.dir, base, this.indexIntervalBytes);
      const isLast = i === bases.length - 1;
      if (isLast || !(await segment.loadIndex())) await this.recoverSegment(segment);
      this.segments.push(segment);
      expected = segment.nextOffset;
    }
    await this.finishLoad(expected ?? 0);
  }

  private async recoverSegment(segment: Segment): Promise<void> {
    const problem = await segment.recover();
    if (problem !== null) this.warn(`${segment.logPath}: recovery truncated the log: ${problem}`);
  }

  /** Seals every segment but the last, and makes the last one the active, unsealed segment. */
  private async finishLoad(nextOffset: number): Promise<void> {
    if (this.segments.length === 0) {
      const segment = Segment.create(this.disk, this.dir, nextOffset, this.indexIntervalBytes);
      await segment.ready;
      this.segments.push(segment);
      await this.disk.syncDir(this.dir);
    }
    for (const segment of this.segments.slice(0, -1)) {
      if (!segment.sealed) await segment.writeIndexFiles();
      segment.sealed = true;
      segment.makeClosable(this.sealedFiles);
    }
    const active = this.active;
    // The active segment's index files go stale as soon as it grows; only sealed segments keep them.
    if (active.sealed) await this.recoverSegment(active);
    active.sealed = false;
    await active.removeIndexFiles();
    if (active.sizeBytes > 0) active.firstAppendMs = this.clock.nowMs();
  }

  private async deleteSegmentFiles(bases: number[]): Promise<void> {
    for (const base of bases) {
      const segment = await Segment.open(this.disk, this.dir, base, this.indexIntervalBytes);
      await segment.delete();
    }
  }

  // ---- append ----

  /**
   * Assigns offsets now (patching each batch's base offset in place; the caller validated the
   * bytes and must not reuse the buffer) and queues the write.
   */
  append(batches: Uint8Array, nowMs: number): AppendResult {
    if (this.failure !== null) throw new LogFailedError(`${this.dir}: log failed: ${String(this.failure)}`);
    assert(!this.closed, "append after close");
    assert(batches.length > 0, "append of no batches");
    const baseOffset = this.logEndOffset;
    const offsetCount = countOffsets(batches, this.config.maxMessageBytes);
    if (this.shouldRoll(batches.length, offsetCount, nowMs)) this.roll();
    const segment = this.active;
    const position = segment.sizeBytes;
    let next = baseOffset;
    rb.scanBatches(batches, 0, (at, size) => {
      rb.setBaseOffset(batches, next, at);
      segment.assign(batches, at, size, nowMs);
      next += rb.lastOffsetDelta(batches, at) + 1;
    });
    const written = Promise.withResolvers<void>();
    written.promise.catch(() => {}); // the caller awaits it; this only keeps rejections from being "unhandled"
    const job: WriteJob = { kind: "write", segment, position, bytes: batches, baseOffset, endOffset: next, ...written };
    this.enqueue(job);
    this.lastWritten = written.promise;
    return { baseOffset, lastOffset: next - 1, logAppendTimeMs: nowMs, written: written.promise };
  }

  private shouldRoll(payloadBytes: number, offsetCount: number, nowMs: number): boolean {
    const segment = this.active;
    if (segment.sizeBytes === 0) return false;
    if (segment.sizeBytes + payloadBytes > this.config.segmentBytes) return true;
    if (segment.firstAppendMs !== null && nowMs - segment.firstAppendMs >= this.config.segmentMs) return true;
    // Relative offsets in the index are u32.
    return this.logEndOffset + offsetCount - segment.baseOffset > 0xffffffff;
  }

  /** Seals the active segment (after its queued writes) and starts a new one at the log end. */
  private roll(): void {
    const old = this.active;
    old.sealed = true;
    this.sealing.add(old);
    this.enqueue({ kind: "seal", segment: old });
    this.segments.push(Segment.create(this.disk, this.dir, old.nextOffset, this.indexIntervalBytes));
    this.dirNeedsSync = true;
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    if (this.writeLoopRunning) return;
    this.writeLoopRunning = true;
    // Start on a microtask so appends made in the same tick share the first write.
    queueMicrotask(() => void this.writeLoop());
  }

  /** Drains the queue in order: one disk write per run of writes to the same segment. */
  private async writeLoop(): Promise<void> {
    try {
      while (this.queueHead < this.queue.length && this.failure === null) {
        const job = this.queue[this.queueHead]!;
        if (job.kind === "seal") {
          this.queueHead++;
          this.startSeal(job.segment);
          continue;
        }
        await this.writeGroup(this.takeWriteGroup());
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
      this.writeLoopRunning = false;
    }
  }

  private takeWriteGroup(): WriteJob[] {
    const group: WriteJob[] = [];
    let total = 0;
    while (this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead]!;
      if (job.kind !== "write" || (group.length > 0 && job.segment !== group[0]!.segment)) break;
      if (group.length > 0 && total + job.bytes.length > limits.logWriteCoalesceBytesMax) break;
      group.push(job);
      total += job.bytes.length;
      this.queueHead++;
    }
    return group;
  }

  private async writeGroup(group: WriteJob[]): Promise<void> {
    const first = group[0]!;
    const last = group[group.length - 1]!;
    const bytes = concatBytes(group.map((job) => job.bytes));
    try {
      const file = await first.segment.ready;
      await file.write(first.position, bytes);
    } catch (e) {
      for (const job of group) job.reject(e);
      throw e;
    }
    first.segment.writtenBytes = first.position + bytes.length;
    this.dirty.add(first.segment);
    this.highWatermark = last.endOffset;
    this.cache?.put(this.cacheLogId, first.baseOffset, last.endOffset, bytes);
    for (const job of group) job.resolve();
  }

  /** Syncs a rolled segment and writes its index files, off the write path. */
  private startSeal(segment: Segment): void {
    const seal = (async () => {
      const file = await segment.ready;
      // Drops any block padding past the last batch (io_uring backend) before the segment is trusted as sealed.
      await file.truncate(segment.sizeBytes);
      await file.datasync();
      await segment.writeIndexFiles();
      await this.disk.syncDir(this.dir);
      segment.makeClosable(this.sealedFiles);
    })().catch((e) => this.fail(e));
    this.seals.add(seal);
    void seal.finally(() => {
      this.seals.delete(seal);
      this.sealing.delete(segment);
    });
  }

  /** Never acknowledge unwritten data: reject everything queued and refuse further appends. */
  private fail(e: unknown): void {
    rethrowIfBroken(e); // not a disk failure: the process stops instead
    if (this.failure === null) this.warn(`${this.dir}: log failed: ${String(e)}`);
    this.failure ??= e;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const job = this.queue[i]!;
      if (job.kind === "write") job.reject(e);
    }
    this.queue = [];
    this.queueHead = 0;
  }

  // ---- flush ----

  /** fdatasync of everything written since the last flush (acks=-1 waits on this after `written`). */
  flush(): Promise<void> {
    const dirty = [...this.dirty];
    this.dirty.clear();
    const syncDir = this.dirNeedsSync;
    this.dirNeedsSync = false;
    // Also wait for a flush still in flight: its files may hold data our caller wrote.
    const syncs: Promise<unknown>[] = [this.flushing, ...dirty.map((s) => s.datasync())];
    if (syncDir) syncs.push(this.disk.syncDir(this.dir));
    const round = Promise.all(syncs).then(
      () => {},
      (e) => {
        this.fail(e);
        throw e;
      },
    );
    this.flushing = round;
    return round;
  }

  // ---- read ----

  /**
   * Whole stored batches from the one holding `offset`, up to `maxBytes` but at least one
   * batch (KIP-74), never at or past the high watermark.
   */
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    const highWatermark = this.highWatermark;
    if (offset < this.logStartOffset || offset > highWatermark) return this.outOfRange();
    if (offset === highWatermark) return this.ok(EMPTY, highWatermark);
    const cached = this.cache?.read(this.cacheLogId, offset, maxBytes, highWatermark);
    if (cached) return this.ok(cached, highWatermark);
    try {
      const bytes = await this.readSegment(this.findSegment(offset), offset, maxBytes, highWatermark);
      return this.ok(bytes, highWatermark);
    } catch (e) {
      if (e instanceof SegmentDeletedError) return this.outOfRange();
      throw e;
    }
  }

  private ok(bytes: Uint8Array, highWatermark: number): ReadResult {
    return { ok: true, bytes, highWatermark, logStartOffset: this.logStartOffset };
  }

  private outOfRange(): ReadResult {
    return { ok: false, error: "offsetOutOfRange", highWatermark: this.highWatermark, logStartOffset: this.logStartOffset };
  }

  /** Segment whose offsets include `offset` (largest base offset <= offset). */
  private findSegment(offset: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }

  /** Starts at the sparse index entry, reads a window, walks headers to the batch holding `offset`. */
  private async readSegment(segment: Segment, offset: number, maxBytes: number, highWatermark: number): Promise<Uint8Array> {
    let position = segment.index.lookupPosition(offset - segment.baseOffset);
    let windowBytes = maxBytes + this.indexIntervalBytes;
    for (;;) {
      const limitBytes = segment.writtenBytes;
      assert(position < limitBytes, `read past written bytes of ${segment.logPath}`);
      const buf = await segment.read(position, Math.min(windowBytes, limitBytes - position));
      let found = -1;
      const end = rb.scanBatches(buf, 0, (at) => {
        if (rb.lastOffset(buf, at) < offset) return true;
        found = at;
        return false;
      });
      if (found >= 0) return buf.subarray(found, takeBatches(buf, found, maxBytes, true, highWatermark));
      // The next batch is not whole in this window: grow the window to hold it.
      if (end === 0) windowBytes = Math.max(maxBytes, rb.batchSizeBytes(buf, 0));
      position += end;
    }
  }

  // ---- batch header scan ----

  /**
   * Calls `onBatch(bytes, at)` for every written batch ending at or after `fromOffset`, oldest
   * first, with at least its header readable in `bytes` (the producer-state rebuild at open).
   * Reads in chunks; a batch larger than a chunk is skipped over by its length, so big batches
   * cost one header read.
   */
  async scanBatchHeaders(onBatch: (bytes: Uint8Array, at: number) => void, fromOffset = 0): Promise<void> {
    const wanted = (bytes: Uint8Array, at: number) => rb.lastOffset(bytes, at) >= fromOffset && void onBatch(bytes, at);
    for (const segment of this.segments.filter((s) => s.nextOffset > fromOffset)) {
      let position = fromOffset > segment.baseOffset ? segment.index.lookupPosition(fromOffset - segment.baseOffset) : 0;
      while (position + rb.BATCH_HEADER_BYTES <= segment.writtenBytes) {
        const buf = await segment.read(position, Math.min(limits.recoveryReadChunkBytes, segment.writtenBytes - position));
        let end = rb.scanBatches(buf, 0, (at) => void wanted(buf, at));
        if (end === 0) {
          // The next batch is larger than this chunk: its header is whole here; skip its body.
          if (buf.length < rb.BATCH_HEADER_BYTES || rb.batchLength(buf, 0) < rb.BATCH_LENGTH_MIN) break;
          wanted(buf, 0);
          end = rb.batchSizeBytes(buf, 0);
        }
        position += end;
      }
    }
  }

  /** Takes new topic settings on a live log (segment size and age apply from the next roll). */
  reconfigure(config: LogConfig): void {
    assert(config.segmentBytes > 0 && config.segmentBytes <= 0x7fffffff, "segmentBytes out of range");
    Object.assign(this.config, config);
  }

  // ---- timestamps ----

  /** The first record carrying the log's largest timestamp (ListOffsets -3), or null when empty. */
  async offsetOfMaxTimestamp(): Promise<{ offset: number; timestampMs: number } | null> {
    const maxTimestampMs = this.segments.reduce((max, segment) => Math.max(max, segment.index.maxTimestampMs), -1);
    return maxTimestampMs < 0 ? null : this.offsetForTimestamp(maxTimestampMs);
  }

  /** First record (or, for compressed batches, batch) with timestamp >= `timestampMs`, or null. */
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null> {
    const highWatermark = this.highWatermark;
    for (const segment of this.segments) {
      if (segment.index.maxTimestampMs < timestampMs || segment.baseOffset >= highWatermark) continue;
      const rel = segment.index.lookupTimestamp(timestampMs);
      const found = await this.scanForTimestamp(segment, segment.index.lookupPosition(rel), timestampMs, highWatermark);
      if (found !== null) return found;
    }
    return null;
  }

  private async scanForTimestamp(
    segment: Segment,
    from: number,
    timestampMs: number,
    highWatermark: number,
  ): Promise<{ offset: number; timestampMs: number } | null> {
    let position = from;
    let windowBytes = 4 * this.indexIntervalBytes;
    while (position < segment.writtenBytes) {
      const buf = await segment.read(position, Math.min(windowBytes, segment.writtenBytes - position));
      let hit = -1;
      let pastEnd = false;
      const end = rb.scanBatches(buf, 0, (at) => {
        pastEnd = rb.baseOffset(buf, at) >= highWatermark;
        if (pastEnd || rb.maxTimestamp(buf, at) >= timestampMs) hit = pastEnd ? -1 : at;
        return hit < 0 && !pastEnd;
      });
      if (pastEnd) return null;
      if (hit >= 0) return rb.firstRecordAtOrAfter(buf, hit, timestampMs);
      if (end === 0) windowBytes = Math.max(windowBytes, rb.batchSizeBytes(buf, 0));
      position += end;
    }
    return null;
  }

  // ---- retention ----

  /**
   * Deletes whole sealed segments past retention (by bytes, then by age of their newest
   * timestamp), oldest first, and moves the log start offset. Returns how many it deleted.
   */
  async enforceRetention(nowMs: number): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1 && this.pastRetention(this.segments[0]!, nowMs)) {
      const segment = this.segments.shift()!;
      this.dirty.delete(segment);
      await segment.delete();
      deleted++;
    }
    if (deleted > 0) this.dirNeedsSync = true;
    return deleted;
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (at most the high watermark), durably,
   * then deletes the whole segments that now lie below it.
   */
  async deleteRecordsBefore(offset: number): Promise<void> {
    assert(offset >= 0 && offset <= this.highWatermark, `delete before ${offset} outside 0..${this.highWatermark}`);
    if (offset <= this.logStartOffset) return;
    await writeStartOffset(this.disk, this.dir, offset);
    this.deletedBefore = offset;
    while (this.segments.length > 1 && this.isDeletable(this.segments[0]!) && this.segments[0]!.nextOffset <= offset) {
      const segment = this.segments.shift()!;
      this.dirty.delete(segment);
      await segment.delete();
      this.dirNeedsSync = true;
    }
  }

  /** Sealed, its seal finished, all its writes done and visible: the active segment never is. */
  private isDeletable(segment: Segment): boolean {
    return segment.sealed && !this.sealing.has(segment) && segment.writtenBytes >= segment.sizeBytes && segment.nextOffset <= this.highWatermark;
  }

  private pastRetention(oldest: Segment, nowMs: number): boolean {
    // Only segments whose writes finished and that are sealed; the active segment is never deleted.
    if (!this.isDeletable(oldest)) return false;
    const { retentionBytes, retentionMs } = this.config;
    if (retentionBytes >= 0 && this.sizeBytes - oldest.sizeBytes >= retentionBytes) return true;
    return retentionMs >= 0 && oldest.index.maxTimestampMs >= 0 && nowMs - oldest.index.maxTimestampMs > retentionMs;
  }

  // ---- close ----

  /** Waits for queued writes and seals, syncs, closes files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lastWritten.catch(() => {});
    await Promise.all([...this.seals]);
    // The active segment's index is not written: the last segment is always rescanned at open.
    if (this.failure === null) await this.flush();
    await Promise.all(this.segments.map((segment) => segment.closeFile()));
    this.cache?.unregister(this.cacheLogId);
  }
}

/** Offsets a validated payload will take; asserts each batch fits maxMessageBytes. */
function countOffsets(batches: Uint8Array, maxMessageBytes: number): number {
  let count = 0;
  const end = rb.scanBatches(batches, 0, (at, size) => {
    assert(size <= maxMessageBytes, `batch of ${size} bytes exceeds maxMessageBytes ${maxMessageBytes}`);
    count += rb.lastOffsetDelta(batches, at) + 1;
  });
  assert(end === batches.length, "append of bytes that are not whole batches");
  return count;
}


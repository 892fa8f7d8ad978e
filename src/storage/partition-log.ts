/**
 * One partition's log: an ordered list of segments in `dir`, a per-partition write loop
 * that coalesces appends into one disk write, reads bounded by the high watermark,
 * recovery at open, and retention. Runs on the owning shard's thread only.
 *
 * What readers see: the high watermark passes an append only once its bytes are in the kernel
 * (they outlive kill -9: posix once pwrite returned, io_uring once its chunk's write completed)
 * and, for an append made with `sync` (acks=-1), once an fdatasync that started after that
 * write succeeded; it is a prefix, so a later append waits for earlier ones. A failed write or
 * sync cuts the log back to the high watermark at once, in memory and on disk: every append
 * past it is rejected, its offsets are handed out again, and nothing a reader was shown is
 * taken back. After `logFailureRetryMs` the log takes appends again (the next one is the probe).
 */
import { assert, rethrowIfBroken } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import type { Disk, DiskFile } from "../io/disk.ts";
import type { CachedLog, RecentBatchCache } from "./recent-batch-cache.ts";
import { NOT_CACHED, takeBatches } from "./recent-batch-cache.ts";
import { ReadAhead, ReadAheadBudget } from "./read-ahead.ts";
import * as rb from "./record-batch.ts";
import { readStartOffset, writeStartOffset } from "./start-offset.ts";
import { SealedFileLru } from "./sealed-file-lru.ts";
import { parseSegmentLogName, Segment, SegmentDeletedError, SegmentReplacedError } from "./segment.ts";
import type { SegmentIndex } from "./offset-index.ts";
import { commitSwap, discardCleaned, finishSwaps } from "./segment-swap.ts";
import { type AbortedTxn, collectAborted } from "./txn-index.ts";
import { concatBytes } from "../base/bytes.ts";

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  /** -1: keep forever. */
  retentionMs: number;
  /** -1: no size bound. */
  retentionBytes: number;
  /** cleanup.policy and the compaction settings; absent: delete only. */
  cleanup?: CleanupConfig;
}

/** Kafka's cleanup.policy (delete, compact or both) with the settings compaction reads. */
export interface CleanupConfig {
  delete: boolean;
  compact: boolean;
  /** How long a tombstone (null value) outlives the records it deletes. */
  deleteRetentionMs: number;
  /** A segment is compacted only once its newest record is this old. */
  minCompactionLagMs: number;
  /** A dirty segment whose first batch is this old is compacted whatever the dirty ratio. */
  maxCompactionLagMs: number;
  /** Share of the cleanable bytes that must be dirty (not yet compacted) before compaction runs. */
  minCleanableDirtyRatio: number;
}

/** What compaction may rewrite: closed, synced segments from the log start, oldest first. */
export interface CompactionView {
  segments: readonly Segment[];
  firstDirtyOffset: number;
}

/** What a shard's logs share: the recent-batch cache, the read-ahead budget, the sealed-file LRU. */
export type SharedLogResources = Pick<PartitionLogOptions, "cache" | "readAhead" | "sealedFiles">;

export interface PartitionLogOptions {
  disk: Disk;
  dir: string;
  config: LogConfig;
  clock: Clock;
  cache?: RecentBatchCache;
  /** The shard's bound on bytes read ahead for sequential readers; a budget of its own when not given. */
  readAhead?: ReadAheadBudget;
  /** The shard's bound on open files of sealed segments; a log of its own when not given. */
  sealedFiles?: SealedFileLru;
  log?: (msg: string) => void;
  /** Defaults to limits.segmentIndexIntervalBytes. */
  indexIntervalBytes?: number;
  /** Called with the new end offset (and the log) after a failure cut the log back. */
  onCut?: (endOffset: number, log: PartitionLog) => void;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  /** Resolves once the bytes are in the kernel; rejects if the write failed. */
  written: Promise<void>;
  /** Resolves once the high watermark passed the append (for `sync`, after its fdatasync); rejects if it was cut. */
  visible: Promise<void>;
}

export type ReadResult =
  | { ok: true; bytes: Uint8Array; highWatermark: number; logStartOffset: number }
  | { ok: false; error: "offsetOutOfRange"; highWatermark: number; logStartOffset: number };

/** Thrown by append while the log is cut back after a failed write or sync, and for `logFailureRetryMs` after. */
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
  /** acks=-1: visible only once an fdatasync covers it. */
  sync: boolean;
  isWritten: boolean;
  written: PromiseWithResolvers<void>;
  visible: PromiseWithResolvers<void>;
}
interface SealJob {
  kind: "seal";
  segment: Segment;
}
type Job = WriteJob | SealJob;

const EMPTY = new Uint8Array(0);
/** What a log waits on when nothing is running: one settled promise shared by every log. */
const SETTLED: Promise<void> = Promise.resolve();
const ignore = () => {};
/** Reads of one fetch retried after compaction replaced the segment under them. */
const READ_ATTEMPTS_MAX = 4;

export class PartitionLog {
  readonly disk: Disk;
  readonly dir: string;
  /** The logs of one topic may share one config object: it is replaced, never changed in place. */
  private currentConfig: LogConfig;
  private readonly clock: Clock;
  private readonly cache: RecentBatchCache | undefined;
  private readonly sealedFiles: SealedFileLru;
  /** This log's entries in `cache`. */
  private readonly cached: CachedLog;
  private readonly readAhead: ReadAhead;
  /** Where the last read from the disk ended: a read starting there is sequential, and the one after it is read ahead. */
  private sequentialOffset = -1;
  private readonly warn: (msg: string) => void;
  readonly indexIntervalBytes: number;
  private segments: Segment[] = [];
  /** Changes to the list of closed segments (retention, DeleteRecords, compaction's swaps) run one at a time. */
  private segmentChange: Promise<unknown> = SETTLED;
  /** Offsets below this were compacted (in memory: after a restart the whole log counts as dirty once). */
  firstDirtyOffset = 0;
  /** When compaction should look again for tombstones past delete.retention.ms below firstDirtyOffset. */
  tombstonesDueMs = Infinity;
  private queue: Job[] = [];
  private queueHead = 0;
  private writeLoopRunning = false;
  private lastWritten: Promise<void> = SETTLED;
  private writeLoopDone: Promise<void> = SETTLED;
  /** Appends not yet visible, in offset order (`pendingHead` is the oldest). */
  private pending: WriteJob[] = [];
  private pendingHead = 0;
  /** writtenThrough waits in flight; null when none (a Set keeps its storage once used, and 10,000 idle logs would hold it). */
  private writesInFlight: Set<Promise<void>> | null = null;
  /** Offset below which every append is covered by a successful fdatasync. */
  private syncedOffset = 0;
  /** Where the high watermark sits on disk (the segment of the last visible batch, and its end). */
  private visibleAt: { segment: Segment; position: number } | null = null;
  /** Bumped by every failure: a flush that started before it proves nothing after. */
  private failureEpoch = 0;
  /** The cut after a failure, while it runs. */
  private cutting: Promise<void> | null = null;
  /** When appends are taken again after a failure; Infinity when the cut itself failed (restart needed). */
  private retryAtMs = 0;
  /** Called with the new end offset after a cut (the shard rolls back producer state past it). */
  private readonly onCut: (endOffset: number, log: PartitionLog) => void;
  private readonly seals = new Set<Promise<void>>();
  /** Rolled segments whose seal (sync, index files) has not finished: not to be deleted yet. */
  private readonly sealing = new Set<Segment>();
  /**
   * Segments that may hold bytes no fdatasync has covered yet (written since the last flush, one a
   * failed flush did not sync, the reopened last one): few, so an array; a Set holding one costs
   * ~250 bytes. A flush syncs them all before it counts an acks=-1 append as synced.
   */
  private dirty: Segment[] = [];
  private dirNeedsSync = false;
  private flushing: Promise<void> = SETTLED;
  private failure: unknown = null;
  private closed = false;
  /** Offset after the last batch whose write completed. */
  highWatermark = 0;
  /** Where DeleteRecords moved the start, possibly inside the first segment. */
  private deletedBefore = 0;

  private constructor(opts: PartitionLogOptions) {
    this.disk = opts.disk;
    this.dir = opts.dir;
    this.currentConfig = opts.config;
    this.clock = opts.clock;
    this.cache = opts.cache;
    this.sealedFiles = opts.sealedFiles ?? new SealedFileLru();
    this.cached = opts.cache?.register() ?? NOT_CACHED;
    this.readAhead = new ReadAhead(opts.readAhead ?? new ReadAheadBudget());
    this.warn = opts.log ?? ignore;
    this.indexIntervalBytes = opts.indexIntervalBytes ?? limits.segmentIndexIntervalBytes;
    this.onCut = opts.onCut ?? ignore;
    assert(opts.config.segmentBytes > 0 && opts.config.segmentBytes <= 0x7fffffff, "segmentBytes out of range");
  }

  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    await opts.disk.mkdirp(opts.dir);
    for (const done of await finishSwaps(opts.disk, opts.dir)) log.warn(`${opts.dir}: ${done}`);
    const bases: number[] = [];
    for (const name of await opts.disk.list(opts.dir)) {
      const base = parseSegmentLogName(name);
      if (base !== null) bases.push(base);
    }
    bases.sort((a, b) => a - b);
    await log.loadSegments(bases);
    log.highWatermark = log.syncedOffset = log.logEndOffset;
    // A killed process may have left the last segment's tail only in the page cache (closed segments
    // were synced by `finishLoad`): the next flush syncs it before an acks=-1 append after it counts.
    if (log.active.sizeBytes > 0) log.markDirty(log.active);
    log.visibleAt = { segment: log.active, position: log.active.sizeBytes };
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

  /** A write or sync failed and the log has not taken appends since. */
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
      if (isLast || !(await segment.loadIndex())) await this.recoverSegment(segment, !isLast);
      await segment.loadTxnIndex();
      segment.dropAbortedFrom(segment.nextOffset);
      this.segments.push(segment);
      expected = segment.nextOffset;
    }
    await this.finishLoad(expected ?? 0);
  }

  private async recoverSegment(segment: Segment, gapsAllowed = false): Promise<void> {
    const problem = await segment.recover(gapsAllowed);
    if (problem !== null) this.warn(`${segment.logPath}: recovery truncated the log: ${problem}`);
  }

  /**
   * Seals every segment but the last, and makes the last one the active, unsealed segment. A closed
   * segment rescanned here (its seal failed, or the process died before it ran) may still hold
   * bytes only in the page cache: `seal` syncs them before its index files vouch for them.
   */
  private async finishLoad(nextOffset: number): Promise<void> {
    if (this.segments.length === 0) {
      const segment = Segment.create(this.disk, this.dir, nextOffset, this.indexIntervalBytes);
      await segment.ready;
      this.segments.push(segment);
      await this.disk.syncDir(this.dir);
    }
    for (const segment of this.segments.slice(0, -1)) {
      if (!segment.sealed) await segment.seal();
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

  // ---- aborted transactions ----

  /** Every segment read its `.txnindex` at open; else the producer-state load rebuilds them (`restoreAbortedTxns`). */
  get txnIndexesLoaded(): boolean {
    return this.segments.every((s) => s.txnIndexLoaded);
  }

  /** Indexes an abort marker just appended (synchronously after its `append`, before anything else). */
  addAbortedTxn(entry: AbortedTxn): void {
    const segment = this.active;
    assert(entry.lastOffset >= segment.baseOffset && entry.lastOffset < segment.nextOffset, `abort marker ${entry.lastOffset} is not in the active segment`);
    segment.abortedTxns.push(entry);
  }

  /**
   * After a scan of the log from `fromOffset` (at open): the abort markers it found replace the
   * index entries at or past `fromOffset`; the `.txnindex` of each sealed segment is written again.
   */
  async restoreAbortedTxns(entries: readonly AbortedTxn[], fromOffset: number): Promise<void> {
    const before = this.segments.map((segment) => segment.abortedTxns.length);
    for (const segment of this.segments) segment.dropAbortedFrom(Math.max(fromOffset, segment.baseOffset));
    for (const entry of entries) this.findSegment(entry.lastOffset).abortedTxns.push(entry);
    for (const [i, segment] of this.segments.entries()) {
      const changed = !segment.txnIndexLoaded || segment.abortedTxns.length !== before[i];
      if (segment.sealed && changed) await segment.writeTxnIndexFile();
      segment.txnIndexLoaded = true;
    }
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset): a read_committed fetch
   * of that range drops their records. Markers lie at or after their data, so the search starts
   * at the segment holding fetchOffset and goes on (as Kafka's) until an entry's LSO shows that
   * no later one can start below the bound: an open transaction's marker may be segments later.
   */
  abortedTxns(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const found: AbortedTxn[] = [];
    for (let i = this.segments.indexOf(this.findSegment(fetchOffset)); i < this.segments.length; i++) {
      if (collectAborted(this.segments[i]!.abortedTxns, fetchOffset, upperBoundOffset, found)) break;
    }
    return found;
  }

  // ---- append ----

  /**
   * Assigns offsets now (patching each batch's base offset in place; the caller validated the
   * bytes and must not reuse the buffer) and queues the write.
   */
  append(batches: Uint8Array, nowMs: number, opts: { sync?: boolean } = {}): AppendResult {
    assert(!this.closed, "append after close");
    if (this.failure !== null) this.retryOrRefuse();
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
    const visible = Promise.withResolvers<void>();
    // The caller awaits them; this only keeps rejections from being "unhandled".
    written.promise.catch(() => {});
    visible.promise.catch(() => {});
    const job: WriteJob = { kind: "write", segment, position, bytes: batches, baseOffset, endOffset: next, sync: opts.sync ?? false, isWritten: false, written, visible };
    this.pending.push(job);
    this.enqueue(job);
    this.lastWritten = written.promise;
    return { baseOffset, lastOffset: next - 1, logAppendTimeMs: nowMs, written: written.promise, visible: visible.promise };
  }

  /** After a failure: throws while the cut runs and until the retry time; then takes appends again. */
  private retryOrRefuse(): void {
    if (this.cutting !== null || this.clock.nowMs() < this.retryAtMs) {
      throw new LogFailedError(`${this.dir}: log failed: ${String(this.failure)}`);
    }
    this.warn(`${this.dir}: taking appends again after: ${String(this.failure)}`);
    this.failure = null;
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
    queueMicrotask(() => (this.writeLoopDone = this.writeLoop()));
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

  /** Hands one run of appends to the file; they count as written once the file says the bytes reached the kernel. */
  private async writeGroup(group: WriteJob[]): Promise<void> {
    const first = group[0]!;
    const last = group[group.length - 1]!;
    const bytes = concatBytes(group.map((job) => job.bytes));
    const endBytes = first.position + bytes.length;
    let file: DiskFile;
    try {
      file = await first.segment.writableFile();
      await file.write(first.position, bytes);
    } catch (e) {
      for (const job of group) job.written.reject(e);
      throw e;
    }
    first.segment.writtenBytes = endBytes;
    this.markDirty(first.segment);
    // Served only below the high watermark; a cut drops what lies past it.
    this.cache?.put(this.cached, first.baseOffset, last.endOffset, bytes);
    const through = file.writtenThrough(endBytes).then(
      () => {
        for (const job of group) {
          job.isWritten = true;
          job.written.resolve();
        }
        this.advanceVisible();
      },
      (e: unknown) => {
        for (const job of group) job.written.reject(e);
        this.fail(e);
      },
    );
    const writes = (this.writesInFlight ??= new Set());
    writes.add(through);
    void through.finally(() => {
      writes.delete(through);
      if (writes.size === 0 && this.writesInFlight === writes) this.writesInFlight = null;
    });
  }

  private markDirty(segment: Segment): void {
    if (!this.dirty.includes(segment)) this.dirty.push(segment);
  }

  private markClean(segment: Segment): void {
    const i = this.dirty.indexOf(segment);
    if (i >= 0) this.dirty.splice(i, 1);
  }

  /** Moves the high watermark over the oldest appends that are written (and synced, for `sync` ones). Frozen after a failure. */
  private advanceVisible(): void {
    if (this.failure !== null) return;
    while (this.pendingHead < this.pending.length) {
      const job = this.pending[this.pendingHead]!;
      if (!job.isWritten || (job.sync && job.endOffset > this.syncedOffset)) break;
      this.pending[this.pendingHead++] = undefined as unknown as WriteJob;
      this.highWatermark = job.endOffset;
      this.visibleAt = { segment: job.segment, position: job.position + job.bytes.length };
      job.visible.resolve();
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** End offset of the appends written so far, in order (what a flush started now covers). */
  private writtenEndOffset(): number {
    let end = this.highWatermark;
    for (let i = this.pendingHead; i < this.pending.length && this.pending[i]!.isWritten; i++) end = this.pending[i]!.endOffset;
    return end;
  }

  /** Syncs a rolled segment and writes its index files, off the write path. */
  private startSeal(segment: Segment): void {
    const seal = (async () => {
      await segment.seal();
      await this.disk.syncDir(this.dir);
      segment.makeClosable(this.sealedFiles);
    })().catch((e) => this.fail(e));
    this.seals.add(seal);
    void seal.finally(() => {
      this.seals.delete(seal);
      this.sealing.delete(segment);
    });
  }

  /**
   * A write or sync failed: freeze the high watermark, refuse appends, and cut the log back to
   * the high watermark once everything in flight settled. Nothing past it was shown to a reader
   * or acknowledged, so those appends are rejected and their offsets handed out again.
   */
  private fail(e: unknown): void {
    rethrowIfBroken(e); // not a disk failure: the process stops instead
    this.failureEpoch++;
    if (this.failure !== null) return;
    this.warn(`${this.dir}: log failed, cutting back to offset ${this.highWatermark}: ${String(e)}`);
    this.failure = e;
    this.retryAtMs = Infinity;
    this.cutting = this.cutToHighWatermark(e).then(
      () => void (this.retryAtMs = this.clock.nowMs() + limits.logFailureRetryMs),
      (cutError: unknown) => {
        rethrowIfBroken(cutError);
        this.warn(`${this.dir}: could not cut the log back, it takes no appends until restarted: ${String(cutError)}`);
      },
    ).finally(() => (this.cutting = null));
  }

  private async cutToHighWatermark(e: unknown): Promise<void> {
    await this.writeLoopDone;
    await Promise.allSettled([...(this.writesInFlight ?? []), ...this.seals, this.flushing]);
    this.queue = [];
    this.queueHead = 0;
    for (let i = this.pendingHead; i < this.pending.length; i++) {
      this.pending[i]!.written.reject(e);
      this.pending[i]!.visible.reject(e);
    }
    this.pending = [];
    this.pendingHead = 0;
    const endOffset = this.highWatermark;
    this.readAhead.invalidate(); // and again once cut
    await this.truncateTo(endOffset);
    this.syncedOffset = Math.min(this.syncedOffset, endOffset);
    this.cache?.truncate(this.cached, endOffset);
    this.readAhead.invalidate();
    this.failureEpoch++; // a flush that started during the cut covered offsets now handed out again
    this.onCut(endOffset, this);
  }

  /** Drops everything at and past `endOffset` (a batch boundary at or below the high watermark), on disk too. */
  private async truncateTo(endOffset: number): Promise<void> {
    let at = this.findSegment(endOffset);
    let index = this.segments.indexOf(at);
    // A segment rolled at the cut whose file could not even be created: the one before takes appends again.
    if (at.baseOffset === endOffset && index > 0 && (await at.ready.then(() => false, () => true))) at = this.segments[--index]!;
    for (const later of this.segments.splice(index + 1)) {
      this.markClean(later);
      this.sealing.delete(later);
      await later.delete();
    }
    let position = 0;
    if (at.nextOffset === endOffset) position = at.sizeBytes; // wholly visible: nothing of it is cut
    else if (at.baseOffset !== endOffset) {
      assert(this.visibleAt !== null && this.visibleAt.segment === at, `cut to ${endOffset} outside the visible segment`);
      position = this.visibleAt.position;
    }
    const problem = await at.cutTo(position);
    // Only a disk that lost bytes it had taken gets here: readers then lose what it lost.
    if (problem !== null) this.warn(`${at.logPath}: the rescan after the cut found ${problem}; the log now ends at ${at.nextOffset}`);
    this.highWatermark = Math.min(this.highWatermark, at.nextOffset);
    this.visibleAt = { segment: at, position: at.sizeBytes };
    this.markDirty(at);
    this.dirNeedsSync = true;
  }

  // ---- flush ----

  /** fdatasync of everything written since the last flush (acks=-1 waits on this after `written`). */
  flush(): Promise<void> {
    const coveredOffset = this.writtenEndOffset();
    const epoch = this.failureEpoch;
    const dirty = this.dirty;
    this.dirty = [];
    const syncDir = this.dirNeedsSync;
    this.dirNeedsSync = false;
    // Also wait for a flush still in flight: its files may hold data our caller wrote.
    // A failed earlier round already cut the log; this one stands on its own.
    const syncs: Promise<unknown>[] = [this.flushing.catch(() => {}), ...dirty.map((s) => s.datasync())];
    if (syncDir) syncs.push(this.disk.syncDir(this.dir));
    const round = Promise.all(syncs).then(
      () => {
        if (epoch !== this.failureEpoch) throw new LogFailedError(`${this.dir}: the log was cut back while it synced`);
        this.syncedOffset = Math.max(this.syncedOffset, coveredOffset);
        this.advanceVisible();
      },
      (e) => {
        // Not known synced: the next round syncs them again (the cut then drops those it deletes).
        for (const segment of dirty) this.markDirty(segment);
        this.dirNeedsSync ||= syncDir;
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
   * batch (KIP-74), never at or past the high watermark, nor past `endOffset` (a batch start
   * below it, such as the last stable offset for read_committed; an offset between it and the
   * high watermark reads nothing).
   */
  async read(offset: number, maxBytes: number, endOffset = this.highWatermark): Promise<ReadResult> {
    const highWatermark = this.highWatermark;
    const readEnd = Math.min(endOffset, highWatermark);
    if (offset < this.logStartOffset || offset > highWatermark) return this.outOfRange();
    if (offset >= readEnd) return this.ok(EMPTY, highWatermark);
    const cached = this.cache?.read(this.cached, offset, maxBytes, readEnd);
    if (cached) return this.ok(cached, highWatermark);
    for (let attempt = 1; ; attempt++) {
      try {
        const bytes = await this.readSegments(offset, maxBytes, readEnd);
        this.readNextAhead(offset, bytes, maxBytes);
        return this.ok(bytes, highWatermark);
      } catch (e) {
        if (e instanceof SegmentDeletedError) return this.outOfRange();
        // Compaction swapped the segment between two reads of it: the new one is in the list now.
        if (e instanceof SegmentReplacedError && attempt < READ_ATTEMPTS_MAX) continue;
        throw e;
      }
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

  /**
   * Batches from the segment holding `offset`, going on into the next segments while a segment
   * ended within `maxBytes`: a compacted segment may end in an empty batch, and some clients
   * (kafkajs) skip to the high watermark when a fetch brings records of none.
   */
  private async readSegments(offset: number, maxBytes: number, highWatermark: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let budgetBytes = maxBytes;
    for (let at = offset; ; ) {
      const segment = this.findSegment(at);
      const bytes = await this.readSegment(segment, at, budgetBytes, highWatermark, parts.length === 0);
      if (bytes.length > 0) parts.push(bytes);
      budgetBytes -= bytes.length;
      if (bytes.length === 0 || budgetBytes <= 0) break;
      at = lastBatchEnd(bytes);
      if (at !== segment.nextOffset || at >= highWatermark || segment === this.active) break;
    }
    return parts.length === 1 ? parts[0]! : concatBytes(parts);
  }

  /**
   * A disk read that started where the previous one ended (a sequential reader): the reads its
   * next fetches will make, with the same max bytes, start now (read-ahead.ts). Only below what is
   * written (and the high watermark's segment), never past a caught-up reader's end.
   */
  private readNextAhead(offset: number, bytes: Uint8Array, maxBytes: number): void {
    const sequential = offset === this.sequentialOffset;
    this.sequentialOffset = bytes.length > 0 ? lastBatchEnd(bytes) : -1;
    const next = this.sequentialOffset;
    if (!sequential || next < 0 || next >= this.highWatermark) return;
    const segment = this.findSegment(next);
    const position = segment.index.lookupPosition(next - segment.baseOffset);
    this.readAhead.start(segment, position, this.readWindowBytes(maxBytes), segment.writtenBytes);
  }

  private readWindowBytes(maxBytes: number): number {
    return maxBytes + this.indexIntervalBytes;
  }

  /** Starts at the sparse index entry, reads a window, walks headers to the batch holding `offset`. */
  private async readSegment(segment: Segment, offset: number, maxBytes: number, highWatermark: number, mustTakeOne = true): Promise<Uint8Array> {
    let position = segment.index.lookupPosition(offset - segment.baseOffset);
    let windowBytes = this.readWindowBytes(maxBytes);
    for (let fromAhead = true; ; ) {
      const limitBytes = segment.writtenBytes;
      assert(position < limitBytes, () => `read past written bytes of ${segment.logPath}`);
      const lengthBytes = Math.min(windowBytes, limitBytes - position);
      // What was read ahead may be shorter than asked (the chunk ends there, or more was written
      // since): fewer batches, a short answer.
      const ahead = fromAhead ? await this.readAhead.take(segment, position, lengthBytes) : null;
      const buf = ahead ?? (await segment.read(position, lengthBytes));
      let found = -1;
      const end = rb.scanBatches(buf, 0, (at) => {
        if (rb.lastOffset(buf, at) < offset) return true;
        found = at;
        return false;
      });
      if (found >= 0) return buf.subarray(found, takeBatches(buf, found, maxBytes, mustTakeOne, highWatermark));
      // The next batch is not whole in this window (nor in a chunk read ahead): grow the window to
      // hold it, and read it from the disk.
      if (end === 0) {
        windowBytes = Math.max(maxBytes, rb.batchSizeBytes(buf, 0));
        fromAhead = false;
      }
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
    this.currentConfig = config;
  }

  get config(): LogConfig {
    return this.currentConfig;
  }

  // ---- timestamps ----

  /** The first record carrying the log's largest timestamp (ListOffsets -3), or null when empty. */
  async offsetOfMaxTimestamp(): Promise<{ offset: number; timestampMs: number } | null> {
    const maxTimestampMs = this.segments.reduce((max, segment) => Math.max(max, segment.index.maxTimestampMs), -1);
    return maxTimestampMs < 0 ? null : this.offsetForTimestamp(maxTimestampMs);
  }

  /** First record (or, for compressed batches, batch) with timestamp >= `timestampMs`, or null. */
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.offsetForTimestampOnce(timestampMs);
      } catch (e) {
        if (!(e instanceof SegmentReplacedError) || attempt >= READ_ATTEMPTS_MAX) throw e;
      }
    }
  }

  private async offsetForTimestampOnce(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null> {
    const highWatermark = this.highWatermark;
    for (const segment of [...this.segments]) {
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
  enforceRetention(nowMs: number): Promise<number> {
    if (this.config.cleanup?.delete === false) return Promise.resolve(0); // compact only: retention does not apply
    return this.changeSegments(() => this.deletePastRetention(nowMs));
  }

  private async deletePastRetention(nowMs: number): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1 && this.pastRetention(this.segments[0]!, nowMs)) {
      const segment = this.segments.shift()!;
      this.markClean(segment);
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
    await this.changeSegments(() => this.deleteSegmentsBelow(offset));
  }

  private async deleteSegmentsBelow(offset: number): Promise<void> {
    while (this.segments.length > 1 && this.isDeletable(this.segments[0]!) && this.segments[0]!.nextOffset <= offset) {
      const segment = this.segments.shift()!;
      this.markClean(segment);
      await segment.delete();
      this.dirNeedsSync = true;
    }
  }

  private changeSegments<T>(change: () => Promise<T>): Promise<T> {
    const run = this.segmentChange.then(change, change);
    this.segmentChange = run.catch(() => {});
    return run;
  }

  // ---- compaction (the decisions are in compaction.ts) ----

  /** Closed, synced segments from the start whose newest record is at least `minLagMs` old; never the active one. */
  compactionView(nowMs: number, minLagMs: number): CompactionView {
    const segments: Segment[] = [];
    for (const segment of this.segments) {
      if (segment === this.active || !this.isDeletable(segment)) break;
      if (segment.index.maxTimestampMs > nowMs - minLagMs) break;
      segments.push(segment);
    }
    return { segments, firstDirtyOffset: Math.max(this.firstDirtyOffset, this.logStartOffset) };
  }

  /**
   * Puts a compacted rewrite (already in its `.cleaned` files) in place of `group`, consecutive
   * segments of this log: on disk as segment-swap.ts says, then in the list. False (and the
   * rewrite dropped) when retention or DeleteRecords removed one of them meanwhile.
   */
  replaceSegments(group: readonly Segment[], rewrite: { index: SegmentIndex; sizeBytes: number; abortedTxns: AbortedTxn[] }, step?: () => void): Promise<boolean> {
    return this.changeSegments(async () => {
      const first = this.segments.indexOf(group[0]!);
      if (first < 0 || group.some((segment, i) => this.segments[first + i] !== segment)) {
        await discardCleaned(this.disk, this.dir, group[0]!.baseOffset);
        return false;
      }
      for (const segment of group) await segment.pin();
      await commitSwap(this.disk, this.dir, group.map((s) => s.baseOffset), step);
      const last = group[group.length - 1]!;
      const next = await Segment.openRewritten(this.disk, this.dir, group[0]!.baseOffset, rewrite.index, rewrite.sizeBytes, last.nextOffset, rewrite.abortedTxns);
      next.makeClosable(this.sealedFiles);
      // Appends may have rolled meanwhile (they only add at the end); find the group again.
      const at = this.segments.indexOf(group[0]!);
      assert(at >= 0 && group.every((segment, i) => this.segments[at + i] === segment), "compacted segments changed during their swap");
      this.segments.splice(at, group.length, next);
      // The cache holds batches as written; readers of the compacted range must see the rewrite.
      this.cache?.drop(this.cached);
      this.readAhead.invalidate();
      for (const segment of group) await segment.retire();
      return true;
    });
  }

  /** Sealed, its seal finished, all its writes done and visible: the active segment never is. */
  private isDeletable(segment: Segment): boolean {
    return segment.sealed && !this.sealing.has(segment) && segment.writtenBytes >= segment.sizeBytes && segment.nextOffset <= this.highWatermark;
  }

  /**
   * For an owner that moves the log start itself (a Raft group, below its commit index): where
   * the log would start after retention by `retention` (the topic's; this log's own may be off),
   * deleting only whole deletable segments, oldest first, that end at or below `upTo`.
   */
  retentionStart(nowMs: number, retention: { retentionMs: number; retentionBytes: number }, upTo: number): number {
    let start = this.logStartOffset;
    let sizeBytes = this.sizeBytes;
    for (let i = 0; i + 1 < this.segments.length; i++) {
      const segment = this.segments[i]!;
      if (segment.nextOffset > upTo || !this.isDeletable(segment)) break;
      const bySize = retention.retentionBytes >= 0 && sizeBytes - segment.sizeBytes >= retention.retentionBytes;
      const byTime = retention.retentionMs >= 0 && segment.index.maxTimestampMs >= 0 && nowMs - segment.index.maxTimestampMs > retention.retentionMs;
      if (!bySize && !byTime) break;
      sizeBytes -= segment.sizeBytes;
      start = this.segments[i + 1]!.baseOffset;
    }
    return start;
  }

  private pastRetention(oldest: Segment, nowMs: number): boolean {
    // Only segments whose writes finished and that are sealed; the active segment is never deleted.
    if (!this.isDeletable(oldest)) return false;
    const { retentionBytes, retentionMs } = this.config;
    if (retentionBytes >= 0 && this.sizeBytes - oldest.sizeBytes >= retentionBytes) return true;
    return retentionMs >= 0 && oldest.index.maxTimestampMs >= 0 && nowMs - oldest.index.maxTimestampMs > retentionMs;
  }

  // ---- raft: suffix truncation and reset ----

  /**
   * Removes every batch at or after `offset` (a batch start, at or after the log start) and makes
   * the cut durable. A Raft follower drops a conflicting suffix this way. Waits for queued writes
   * and seals first; the caller must not append until it resolves.
   */
  async truncateSuffix(offset: number): Promise<void> {
    assert(!this.closed && this.failure === null, `${this.dir}: truncate of a closed or failed log`);
    assert(offset >= this.logStartOffset && offset <= this.logEndOffset, `truncate at ${offset} outside ${this.logStartOffset}..${this.logEndOffset}`);
    if (offset === this.logEndOffset) return;
    await this.settleWrites();
    this.readAhead.invalidate(); // and again once cut: reads started meanwhile may hold the old suffix
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      const segment = this.segments.pop()!;
      this.markClean(segment);
      this.sealing.delete(segment);
      await segment.delete();
      this.dirNeedsSync = true;
    }
    const segment = this.active;
    const problem = await segment.cutTo(await this.positionOfBatch(segment, offset));
    assert(problem === null && segment.nextOffset === offset, `truncate at ${offset} left the log ending at ${segment.nextOffset}: ${problem}`);
    await segment.datasync();
    this.highWatermark = offset;
    this.syncedOffset = Math.min(this.syncedOffset, offset);
    this.visibleAt = { segment, position: segment.sizeBytes };
    this.cache?.truncate(this.cached, offset);
    this.readAhead.invalidate();
    if (this.dirNeedsSync) await this.disk.syncDir(this.dir);
    this.dirNeedsSync = false;
  }

  /**
   * Discards the whole log and starts it again, empty, at `offset` (a Raft follower installing the
   * leader's log start). Durable when it resolves. Waits for a compaction's swap under way (its
   * renames would bring old segments back).
   */
  resetTo(offset: number): Promise<void> {
    assert(!this.closed && this.failure === null, `${this.dir}: reset of a closed or failed log`);
    assert(offset >= 0, `reset to ${offset}`);
    return this.changeSegments(() => this.discardAllAndStartAt(offset));
  }

  private async discardAllAndStartAt(offset: number): Promise<void> {
    await this.settleWrites();
    this.readAhead.invalidate();
    for (const segment of this.segments) await segment.delete();
    const fresh = Segment.create(this.disk, this.dir, offset, this.indexIntervalBytes);
    await fresh.ready;
    this.segments = [fresh];
    this.dirty = [];
    this.sealing.clear();
    await this.disk.syncDir(this.dir);
    await writeStartOffset(this.disk, this.dir, offset);
    this.deletedBefore = offset;
    this.highWatermark = this.syncedOffset = offset;
    this.visibleAt = { segment: fresh, position: 0 };
    this.cache?.drop(this.cached);
    this.readAhead.invalidate();
  }

  /**
   * fdatasync of the active segment (sealed ones were synced by their seal). At open, bytes a
   * crashed process left in the page cache become durable before anything built on them is
   * acknowledged (a Raft follower reports its whole log as held).
   */
  async syncActive(): Promise<void> {
    await this.active.datasync();
  }

  /** Waits until every queued write and seal has finished, then syncs. */
  private async settleWrites(): Promise<void> {
    await this.lastWritten;
    await this.writeLoopDone;
    await Promise.all([...this.seals]);
    await this.flush();
    assert(this.queue.length === this.queueHead && this.pendingHead === this.pending.length, `${this.dir}: writes queued during truncation`);
    // A seal or write that failed meanwhile (a disk error, not a bug): the cut it started runs instead.
    if (this.failure !== null) throw new LogFailedError(`${this.dir}: the log failed while it was being truncated: ${String(this.failure)}`);
  }

  /** File position of the batch starting at `offset` in `segment` (its end if `offset` is its next offset). */
  private async positionOfBatch(segment: Segment, offset: number): Promise<number> {
    let position = segment.index.lookupPosition(offset - segment.baseOffset);
    while (position < segment.writtenBytes) {
      const header = await segment.read(position, rb.BATCH_HEADER_BYTES);
      const base = rb.baseOffset(header, 0);
      if (base === offset) return position;
      assert(base < offset, () => `${segment.logPath}: offset ${offset} is not a batch start`);
      position += rb.batchSizeBytes(header, 0);
    }
    assert(offset === segment.nextOffset, () => `${segment.logPath}: offset ${offset} past the segment end ${segment.nextOffset}`);
    return position;
  }

  // ---- close ----

  /**
   * The active segment's `.txnindex`, trusted at the next open only beside a producer snapshot
   * (written after a clean close). If it cannot be written the log counts as failed, so no
   * snapshot is written and the next open rebuilds the index from the whole log.
   */
  private async saveActiveTxnIndex(): Promise<void> {
    try {
      await this.active.writeTxnIndexFile();
    } catch (e) {
      rethrowIfBroken(e);
      this.warn(`${this.dir}: could not write the aborted-transaction index at close: ${String(e)}`);
      this.failure ??= e;
    }
  }

  /** Resolves once no cut after a failure and no seal is running (nothing of the log's own is left touching the disk). */
  async idle(): Promise<void> {
    await this.cutting;
    await Promise.allSettled([...this.seals]);
  }

  /** Waits for queued writes and seals, syncs, closes files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lastWritten.catch(() => {});
    await this.idle();
    // The active segment's index is not written: the last segment is always rescanned at open.
    // After a cut that worked the log is whole again, and the cut itself is worth making durable.
    if (this.failure === null || this.retryAtMs !== Infinity) {
      await this.flush();
      await this.saveActiveTxnIndex();
    }
    this.readAhead.invalidate();
    await Promise.all(this.segments.map((segment) => segment.closeFile()));
    this.cache?.unregister(this.cached);
  }
}

/** Offset after the last of the whole batches in `bytes`. */
function lastBatchEnd(bytes: Uint8Array): number {
  let end = -1;
  rb.scanBatches(bytes, 0, (at) => void (end = rb.lastOffset(bytes, at) + 1));
  return end;
}

/** Offsets a validated payload will take; asserts each batch fits maxMessageBytes. */
function countOffsets(batches: Uint8Array, maxMessageBytes: number): number {
  let count = 0;
  const end = rb.scanBatches(batches, 0, (at, size) => {
    assert(size <= maxMessageBytes, () => `batch of ${size} bytes exceeds maxMessageBytes ${maxMessageBytes}`);
    count += rb.lastOffsetDelta(batches, at) + 1;
  });
  assert(end === batches.length, "append of bytes that are not whole batches");
  return count;
}


/**
 * Log compaction, as Kafka's log cleaner does it, for one partition at a time on its owning shard:
 *
 * - **When**: the cleanable part is the closed segments from the log start up to the first one
 *   that is active, not yet synced, or holds a record newer than `min.compaction.lag.ms`. It is
 *   compacted when its dirty (not yet compacted) share of bytes reaches `min.cleanable.dirty.ratio`,
 *   or when its first dirty batch is older than `max.compaction.lag.ms`.
 * - **Key map**: the dirty records are read oldest first into a map of key → latest offset within
 *   the shard's budget (`storage_compaction_key_map_memory`); where a new key no longer fits, the
 *   pass covers only the offsets below it and the next pass goes on from there.
 * - **Rewrite**: runs of consecutive segments (at most `segment.bytes` together) are rewritten into
 *   one, keeping a record when no later offset of its key is in the map. Keyless records go (as in
 *   Kafka), and tombstones (null values) go once their segment is older than `delete.retention.ms`
 *   (a log holding such tombstones is cleaned again when they are due, dirty or not).
 *   Offsets stay (gaps allowed); a thinned batch keeps its base offset, last offset delta, base
 *   timestamp, producer id, epoch and base sequence, gets its count, max timestamp and CRC-32C
 *   again, and is recompressed with its own codec. A batch left with no record is dropped, except the
 *   last batch of a producer seen in the pass and the last batch of each rewritten segment, which stay
 *   as empty batches (the producer's state, and the segment's end offset, survive). A Raft group's
 *   log keeps every batch (`keepEveryBatch`): each is an entry, and an entry never leaves but by
 *   truncation, so followers and term lookups see the same entries after compaction as before.
 * - **Transactions**: only segments below the last stable offset are cleaned (an open
 *   transaction's outcome is not known). Records of aborted transactions (the segments'
 *   aborted-transaction index) never enter the key map and are removed; committed
 *   transactional records are compacted like any others. Markers (control batches) are always
 *   kept, so the aborted index stays valid; Kafka drops a marker once its transaction's records
 *   are gone and delete.retention.ms passed, skua keeps it.
 * - **Swap**: the rewrite replaces the old segments atomically (segment-swap.ts).
 *
 * The result depends only on the log, its config and the clock, so replicas holding the same log
 * compact it to the same bytes. Work is bounded per step: one read chunk, then the event loop runs.
 */
import { assert } from "../base/assert.ts";
import { concatBytes } from "../base/bytes.ts";
import { limits } from "../base/limits.ts";
import type { DiskFile } from "../io/disk.ts";
import { Codec, type CodecId, compress } from "./compression.ts";
import { KEY_MAP_ENTRY_OVERHEAD_BYTES, KeyMap } from "./key-map.ts";
import { SegmentIndex } from "./offset-index.ts";
import type { CleanupConfig, PartitionLog } from "./partition-log.ts";
import * as rb from "./record-batch.ts";
import { forEachRecord } from "./records.ts";
import { type Segment, writeWholeFile } from "./segment.ts";
import { cleanedPaths } from "./segment-swap.ts";
import { type AbortedTxn, encodeTxnIndex } from "./txn-index.ts";

export interface CompactionOptions {
  nowMs: number;
  /**
   * The partition's last stable offset: only segments wholly below it are cleaned, since the
   * records of a transaction still open are not known to be committed (Kafka's cleaner stops at
   * the first unstable offset too).
   */
  stableOffset: number;
  keyMapBudgetBytes: number;
  /**
   * Keep a batch left with no record as an empty batch instead of dropping it: a Raft group's log
   * (each batch an entry) then keeps every entry's offsets and term, so followers and the term
   * ranges see the same entries as before.
   */
  keepEveryBatch?: boolean;
  /** Lets other work run between steps (the shard passes a macrotask yield). */
  pause?: () => Promise<void>;
  /** Called between the steps of each swap (tests crash there). */
  swapStep?: () => void;
}

export interface CompactionStats {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  recordsRemoved: number;
  /** Where the next pass starts: offsets below were compacted against a key map. */
  cleanedThroughOffset: number;
}

interface Pass {
  cleanup: CleanupConfig;
  nowMs: number;
  keys: KeyMap;
  /** Offset of the last batch of each producer the key-map scan saw. */
  producerLast: Map<number, number>;
  /** Records at or past this offset were not in the key map: kept as they are. */
  mapEndOffset: number;
  recordsRemoved: number;
  /** When the earliest tombstone this pass kept may go (Infinity: none kept). */
  tombstonesDueMs: number;
  /** Aborted transactions of the cleanable part, per producer: [first offset, marker offset], rising. */
  aborted: Map<number, Array<[number, number]>>;
  keepEveryBatch: boolean;
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One compaction pass over `log` when it is due; null when nothing was due. */
export async function compactLog(log: PartitionLog, opts: CompactionOptions): Promise<CompactionStats | null> {
  const cleanup = log.config.cleanup;
  if (!cleanup?.compact) return null;
  const fullView = log.compactionView(opts.nowMs, cleanup.minCompactionLagMs);
  const view = { ...fullView, segments: fullView.segments.filter((s) => s.nextOffset <= opts.stableOffset) };
  const dirty = view.segments.filter((s) => s.nextOffset > view.firstDirtyOffset);
  const dirtyDue = dirty.length > 0 && (await isDue(view.segments, dirty, cleanup, opts.nowMs));
  // Like Kafka's cleaner, a log whose kept tombstones reached delete.retention.ms is cleaned again even when nothing is dirty.
  const cleanPartExists = view.segments.length > 0 && view.firstDirtyOffset > view.segments[0]!.baseOffset;
  if (!dirtyDue && !(opts.nowMs >= log.tombstonesDueMs && cleanPartExists)) return null;
  const pause = opts.pause ?? macrotask;
  const pass: Pass = {
    cleanup,
    nowMs: opts.nowMs,
    keys: new KeyMap(opts.keyMapBudgetBytes),
    producerLast: new Map(),
    mapEndOffset: view.firstDirtyOffset,
    recordsRemoved: 0,
    tombstonesDueMs: Infinity,
    aborted: abortedByProducer(log, view.segments),
    keepEveryBatch: opts.keepEveryBatch ?? false,
  };
  // The part below firstDirtyOffset has one record per key already: an empty map drops only expired tombstones there.
  if (dirtyDue) pass.mapEndOffset = await buildKeyMap(dirty, view.firstDirtyOffset, pass, pause);
  if (pass.mapEndOffset <= view.segments[0]!.baseOffset) return null; // not one key fits the budget
  const stats: CompactionStats = { segmentsIn: 0, segmentsOut: 0, bytesIn: 0, bytesOut: 0, recordsRemoved: 0, cleanedThroughOffset: pass.mapEndOffset };
  const covered = view.segments.filter((s) => s.baseOffset < pass.mapEndOffset);
  for (const group of groupBySize(covered, log.config.segmentBytes)) {
    const rewrite = await rewriteGroup(log, group, pass, pause);
    if (!(await log.replaceSegments(group, rewrite, opts.swapStep))) break;
    stats.segmentsIn += group.length;
    stats.segmentsOut++;
    stats.bytesIn += group.reduce((sum, s) => sum + s.sizeBytes, 0);
    stats.bytesOut += rewrite.sizeBytes;
    await pause();
  }
  stats.recordsRemoved = pass.recordsRemoved;
  log.firstDirtyOffset = Math.max(log.firstDirtyOffset, pass.mapEndOffset);
  log.tombstonesDueMs = pass.tombstonesDueMs;
  return stats;
}

function abortedByProducer(log: PartitionLog, segments: readonly Segment[]): Map<number, Array<[number, number]>> {
  const byProducer = new Map<number, Array<[number, number]>>();
  if (segments.length === 0) return byProducer;
  for (const t of log.abortedTxns(segments[0]!.baseOffset, segments[segments.length - 1]!.nextOffset)) {
    let list = byProducer.get(t.producerId);
    if (!list) byProducer.set(t.producerId, (list = []));
    list.push([t.firstOffset, t.lastOffset]);
  }
  return byProducer;
}

/** A transactional batch whose transaction was aborted (its marker is in the cleanable part: it lies below the LSO). */
function isAbortedData(b: Uint8Array, at: number, pass: Pass): boolean {
  if ((rb.attributes(b, at) & rb.ATTR_TRANSACTIONAL) === 0) return false;
  const offset = rb.baseOffset(b, at);
  return pass.aborted.get(rb.producerId(b, at))?.some(([first, last]) => first <= offset && offset < last) ?? false;
}

/** Kafka's trigger: the dirty ratio, or the first dirty batch past max.compaction.lag.ms. */
async function isDue(cleanable: readonly Segment[], dirty: readonly Segment[], cleanup: CleanupConfig, nowMs: number): Promise<boolean> {
  const total = cleanable.reduce((sum, s) => sum + s.sizeBytes, 0);
  const dirtyBytes = dirty.reduce((sum, s) => sum + s.sizeBytes, 0);
  if (total > 0 && dirtyBytes / total >= cleanup.minCleanableDirtyRatio) return true;
  const first = dirty[0]!;
  if (first.sizeBytes < rb.BATCH_HEADER_BYTES) return false;
  const header = await first.read(0, rb.BATCH_HEADER_BYTES);
  return nowMs - rb.maxTimestamp(header, 0) > cleanup.maxCompactionLagMs;
}

/** Reads the dirty records into the key map; returns the offset where the map ends (full, or the end of the dirty part). */
async function buildKeyMap(dirty: readonly Segment[], fromOffset: number, pass: Pass, pause: () => Promise<void>): Promise<number> {
  for (const segment of dirty) {
    let full = -1;
    await forEachBatch(segment, pause, (buf, at) => {
      if (rb.lastOffset(buf, at) < fromOffset || isControl(buf, at)) return true;
      const producerId = rb.producerId(buf, at);
      // Aborted records never count as a key's latest value.
      if (!isAbortedData(buf, at, pass)) forEachRecord(buf, at, (record) => {
        if (full >= 0 || record.offset < fromOffset || record.key === null) return;
        if (!pass.keys.put(record.key, record.offset)) full = record.offset;
      });
      if (full >= 0) return false;
      if (producerId >= 0) {
        // A producer's entry is charged like a key; past the budget it is not remembered, so its batches stay (maybe empty).
        if (pass.producerLast.has(producerId) || pass.keys.charge(KEY_MAP_ENTRY_OVERHEAD_BYTES)) pass.producerLast.set(producerId, rb.lastOffset(buf, at));
      }
      return true;
    });
    if (full >= 0) return full;
  }
  return dirty[dirty.length - 1]!.nextOffset;
}

/** Control batches (transaction markers) are kept whole. */
const isControl = (b: Uint8Array, at: number) => (rb.attributes(b, at) & rb.ATTR_CONTROL) !== 0;

/** Consecutive runs whose sizes add up to at most `segmentBytes` (a run holds at least one segment). */
function groupBySize(segments: readonly Segment[], segmentBytes: number): Segment[][] {
  const groups: Segment[][] = [];
  let current: Segment[] = [];
  let bytes = 0;
  for (const segment of segments) {
    if (current.length > 0 && bytes + segment.sizeBytes > segmentBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(segment);
    bytes += segment.sizeBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Calls `onBatch` for every batch of a sealed segment, a read chunk at a time; stops when it returns false. */
async function forEachBatch(segment: Segment, pause: () => Promise<void>, onBatch: (buf: Uint8Array, at: number) => boolean): Promise<void> {
  let position = 0;
  let chunkBytes = limits.recoveryReadChunkBytes;
  while (position < segment.sizeBytes) {
    const buf = await segment.read(position, Math.min(chunkBytes, segment.sizeBytes - position));
    let stopped = false;
    const end = rb.scanBatches(buf, 0, (at) => (stopped = !onBatch(buf, at)) === false);
    if (stopped) return;
    assert(end > 0 || buf.length >= rb.LOG_OVERHEAD_BYTES, () => `${segment.logPath}: no batch at ${position}`);
    if (end === 0) chunkBytes = Math.max(chunkBytes, rb.batchSizeBytes(buf, 0));
    position += end;
    await pause();
  }
}

/** Writes the compacted form of `group` to its `.cleaned` files; answers its index and size. */
async function rewriteGroup(
  log: PartitionLog,
  group: readonly Segment[],
  pass: Pass,
  pause: () => Promise<void>,
): Promise<{ index: SegmentIndex; sizeBytes: number; abortedTxns: AbortedTxn[] }> {
  const base = group[0]!.baseOffset;
  const paths = cleanedPaths(log.dir, base);
  await log.disk.remove(paths.log);
  const file = await log.disk.open(paths.log, { create: true });
  const out = new CleanedWriter(file, new SegmentIndex(log.indexIntervalBytes), base);
  try {
    const groupLast = group[group.length - 1]!.nextOffset - 1;
    for (const segment of group) {
      const tombstonesDueMs = segment.index.maxTimestampMs + pass.cleanup.deleteRetentionMs;
      await forEachBatch(segment, pause, (buf, at) => {
        const kept = filterBatch(buf, at, pass, tombstonesDueMs, rb.lastOffset(buf, at) === groupLast);
        if (kept !== null) out.add(kept);
        return true;
      });
      await out.drain();
    }
    await out.drain();
    await file.datasync();
  } finally {
    await file.close();
  }
  await writeWholeFile(log.disk, paths.index, out.index.encodeOffsetIndex());
  await writeWholeFile(log.disk, paths.timeIndex, out.index.encodeTimeIndex(group[group.length - 1]!.nextOffset - base));
  // Markers and transactional batches are kept whole, so every abort marker of the group stays indexed.
  const abortedTxns = group.flatMap((s) => s.abortedTxns);
  await writeWholeFile(log.disk, paths.txnIndex, encodeTxnIndex(abortedTxns));
  return { index: out.index, sizeBytes: out.position, abortedTxns };
}

/** Appends batches to a `.cleaned` file in writes of about a read chunk, indexing each. */
class CleanedWriter {
  position = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;
  constructor(
    private readonly file: DiskFile,
    readonly index: SegmentIndex,
    private readonly baseOffset: number,
  ) {}

  add(batch: Uint8Array): void {
    this.index.onBatch(rb.baseOffset(batch) - this.baseOffset, this.position, batch.length, rb.maxTimestamp(batch));
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    this.position += batch.length;
  }

  async drain(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const bytes = concatBytes(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.file.write(this.written, bytes);
    this.written += bytes.length;
  }
}

/**
 * The batch at `at` as compaction keeps it: the same bytes, a thinned copy, an empty batch, or null
 * (dropped). `lastOfSegment`: the rewrite's final batch, kept (maybe empty) so its end offset stays.
 */
function filterBatch(b: Uint8Array, at: number, pass: Pass, tombstonesDueMs: number, lastOfSegment: boolean): Uint8Array | null {
  const size = rb.batchSizeBytes(b, at);
  const batch = b.subarray(at, at + size);
  if (isControl(b, at) || rb.baseOffset(b, at) >= pass.mapEndOffset) return batch;
  if (isAbortedData(b, at, pass)) {
    pass.recordsRemoved += rb.recordsCount(b, at);
    return emptyOrNothing(b, at, batch, pass, lastOfSegment);
  }
  const kept: Array<[number, number]> = [];
  let keptMaxTimestampMs = -1;
  let count = 0;
  const section = forEachRecord(b, at, (record) => {
    count++;
    if (!keepRecord(record.offset, record.key, record.value === null, pass, tombstonesDueMs)) return;
    kept.push([record.start, record.end]);
    keptMaxTimestampMs = Math.max(keptMaxTimestampMs, record.timestampMs);
  });
  pass.recordsRemoved += count - kept.length;
  if (kept.length === count) return batch;
  if (kept.length > 0) return thinnedBatch(batch, section, kept, keptMaxTimestampMs);
  return emptyOrNothing(b, at, batch, pass, lastOfSegment);
}

/** A batch none of whose records stay: dropped, unless its producer's state, the segment's end offset or a Raft log needs it (then empty). */
function emptyOrNothing(b: Uint8Array, at: number, batch: Uint8Array, pass: Pass, lastOfSegment: boolean): Uint8Array | null {
  const producerId = rb.producerId(b, at);
  const producerGoesOn = producerId < 0 || (pass.producerLast.get(producerId) ?? -1) > rb.lastOffset(b, at);
  return producerGoesOn && !lastOfSegment && !pass.keepEveryBatch ? null : emptyBatch(batch);
}

function keepRecord(offset: number, key: Uint8Array | null, valueIsNull: boolean, pass: Pass, tombstonesDueMs: number): boolean {
  if (offset >= pass.mapEndOffset) return true;
  if (key === null) return false; // Kafka's cleaner drops keyless records of a compacted log
  const latest = pass.keys.get(key);
  if (latest !== undefined && latest > offset) return false;
  if (!valueIsNull) return true;
  if (pass.nowMs > tombstonesDueMs) return false;
  pass.tombstonesDueMs = Math.min(pass.tombstonesDueMs, tombstonesDueMs + 1);
  return true;
}

/** The header of `batch` over the kept records, recompressed with the batch's codec; new count, max timestamp, length, CRC. */
function thinnedBatch(batch: Uint8Array, section: Uint8Array, kept: Array<[number, number]>, maxTimestampMs: number): Uint8Array {
  const codec = (rb.attributes(batch) & rb.ATTR_COMPRESSION_MASK) as CodecId;
  const records = concatBytes(kept.map(([start, end]) => section.subarray(start, end)));
  const body = codec === Codec.none ? records : compress(codec, records);
  const out = new Uint8Array(rb.BATCH_HEADER_BYTES + body.length);
  out.set(batch.subarray(0, rb.BATCH_HEADER_BYTES));
  out.set(body, rb.BATCH_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  dv.setInt32(rb.Field.batchLength, out.length - rb.LOG_OVERHEAD_BYTES);
  dv.setInt32(rb.Field.recordsCount, kept.length);
  // LogAppendTime batches carry the append time as their max timestamp; keep it.
  if ((rb.attributes(batch) & rb.ATTR_TIMESTAMP_LOG_APPEND) === 0) dv.setBigInt64(rb.Field.maxTimestamp, BigInt(maxTimestampMs));
  dv.setUint32(rb.Field.crc, rb.computeCrc(out));
  return out;
}

/** A header with no records: offsets, timestamps and producer fields as they were, uncompressed. */
function emptyBatch(batch: Uint8Array): Uint8Array {
  const out = batch.slice(0, rb.BATCH_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  dv.setInt32(rb.Field.batchLength, rb.BATCH_LENGTH_MIN);
  dv.setInt32(rb.Field.recordsCount, 0);
  dv.setInt16(rb.Field.attributes, rb.attributes(batch) & ~rb.ATTR_COMPRESSION_MASK);
  dv.setUint32(rb.Field.crc, rb.computeCrc(out));
  return out;
}

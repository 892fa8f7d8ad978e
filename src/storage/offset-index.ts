/**
 * One segment's sparse indexes, kept in memory and written to disk when the segment
 * is sealed (rolled) or the log closes cleanly.
 * - offset index: relative offset u32 → file position u32 of a batch start, an entry
 *   every `intervalBytes` of log. File: 8-byte entries, big-endian.
 * - time index: (largest max_timestamp of all batches before `rel`, rel). Monotonic, so the
 *   last entry below a target timestamp says where a scan can start. File: i64 + u32.
 *   A sealed segment's time index ends with (segment max timestamp, end relative offset),
 *   which also tells recovery where the segment ends.
 */
import { assert } from "../base/assert.ts";
import { getInt64, setInt64 } from "../base/bytes.ts";

export const OFFSET_INDEX_ENTRY_BYTES = 8;
export const TIME_INDEX_ENTRY_BYTES = 12;

/**
 * Columns start empty and are allocated at the first entry: a segment holds one entry per
 * `intervalBytes`, so an idle partition's active segment (a few small batches) holds none.
 * Writes to these are never made (a push grows first), so they can be shared.
 */
const NO_U32 = new Uint32Array(0);
const NO_F64 = new Float64Array(0);
const FIRST_CAPACITY = 16;

/** Capacity for one more entry past `count`: doubles, from FIRST_CAPACITY. */
function grownCapacity(count: number): number {
  return Math.max(FIRST_CAPACITY, count * 2);
}

/** Growable pair of u32 columns. */
class Columns {
  a = NO_U32;
  b = NO_U32;
  count = 0;
  push(x: number, y: number): void {
    if (this.count === this.a.length) {
      const a = new Uint32Array(grownCapacity(this.count));
      const b = new Uint32Array(a.length);
      a.set(this.a);
      b.set(this.b);
      this.a = a;
      this.b = b;
    }
    this.a[this.count] = x;
    this.b[this.count] = y;
    this.count++;
  }
}

export class SegmentIndex {
  private readonly offsets = new Columns(); // a: relative offset, b: position
  private timestampsMs = NO_F64;
  private timeRel = NO_U32;
  private timeCount = 0;
  private bytesSinceEntry = 0;
  /** Largest max_timestamp of any batch in the segment; -1 if none. */
  maxTimestampMs = -1;

  constructor(readonly intervalBytes: number) {
    assert(intervalBytes > 0, "index interval must be positive");
  }

  /** Records a batch appended at `position`; batches arrive in log order. */
  onBatch(relOffset: number, position: number, sizeBytes: number, batchMaxTimestampMs: number): void {
    if (this.bytesSinceEntry >= this.intervalBytes) {
      this.offsets.push(relOffset, position);
      this.pushTime(this.maxTimestampMs, relOffset);
      this.bytesSinceEntry = 0;
    }
    this.bytesSinceEntry += sizeBytes;
    if (batchMaxTimestampMs > this.maxTimestampMs) this.maxTimestampMs = batchMaxTimestampMs;
  }

  get entryCount(): number {
    return this.offsets.count;
  }

  /** Position of a batch start whose relative offset is <= `relOffset` (0 if none indexed). */
  lookupPosition(relOffset: number): number {
    return this.positionOfEntry(lastAtMost(this.offsets.a, this.offsets.count, relOffset));
  }

  /** The indexed batch start at or before file position `position` (0 if none). */
  batchStartAtMost(position: number): number {
    return this.positionOfEntry(lastAtMost(this.offsets.b, this.offsets.count, position));
  }

  /** The position of offset entry `i`; 0 (the segment's first batch) for -1, no entry. */
  private positionOfEntry(i: number): number {
    return i < 0 ? 0 : this.offsets.b[i]!;
  }

  /** Relative offset from which a scan finds the first batch with max_timestamp >= `timestampMs`. */
  lookupTimestamp(timestampMs: number): number {
    let lo = 0;
    let hi = this.timeCount - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestampsMs[mid]! < timestampMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.timeRel[found]!;
  }

  private pushTime(timestampMs: number, relOffset: number): void {
    if (this.timeCount === this.timeRel.length) {
      const ts = new Float64Array(grownCapacity(this.timeCount));
      const rel = new Uint32Array(ts.length);
      ts.set(this.timestampsMs);
      rel.set(this.timeRel);
      this.timestampsMs = ts;
      this.timeRel = rel;
    }
    this.timestampsMs[this.timeCount] = timestampMs;
    this.timeRel[this.timeCount] = relOffset;
    this.timeCount++;
  }

  encodeOffsetIndex(): Uint8Array {
    const out = new Uint8Array(this.offsets.count * OFFSET_INDEX_ENTRY_BYTES);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < this.offsets.count; i++) {
      dv.setUint32(i * 8, this.offsets.a[i]!);
      dv.setUint32(i * 8 + 4, this.offsets.b[i]!);
    }
    return out;
  }

  /** Time index file bytes, ending with the (max timestamp, end relative offset) seal entry. */
  encodeTimeIndex(endRelOffset: number): Uint8Array {
    const out = new Uint8Array((this.timeCount + 1) * TIME_INDEX_ENTRY_BYTES);
    const dv = new DataView(out.buffer);
    for (let i = 0; i <= this.timeCount; i++) {
      const last = i === this.timeCount;
      setInt64(dv, i * 12, last ? this.maxTimestampMs : this.timestampsMs[i]!);
      dv.setUint32(i * 12 + 8, last ? endRelOffset : this.timeRel[i]!);
    }
    return out;
  }

  /**
   * Rebuilds a sealed segment's index from its files, or null if they are missing,
   * torn or inconsistent with the log size (then the caller rescans the log).
   */
  static decode(
    intervalBytes: number,
    offsetBytes: Uint8Array,
    timeBytes: Uint8Array,
    logSizeBytes: number,
  ): { index: SegmentIndex; endRelOffset: number } | null {
    if (offsetBytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return null;
    if (timeBytes.length % TIME_INDEX_ENTRY_BYTES !== 0 || timeBytes.length === 0) return null;
    const index = new SegmentIndex(intervalBytes);
    const od = new DataView(offsetBytes.buffer, offsetBytes.byteOffset, offsetBytes.byteLength);
    for (let i = 0; i < offsetBytes.length; i += 8) {
      const rel = od.getUint32(i);
      const pos = od.getUint32(i + 4);
      const n = index.offsets.count;
      if (n > 0 && (rel <= index.offsets.a[n - 1]! || pos <= index.offsets.b[n - 1]!)) return null;
      if (pos >= logSizeBytes) return null;
      index.offsets.push(rel, pos);
    }
    const td = new DataView(timeBytes.buffer, timeBytes.byteOffset, timeBytes.byteLength);
    const entries = timeBytes.length / TIME_INDEX_ENTRY_BYTES;
    for (let i = 0; i < entries; i++) {
      const ts = getInt64(td, i * 12);
      const rel = td.getUint32(i * 12 + 8);
      const n = index.timeCount;
      if (n > 0 && (ts < index.timestampsMs[n - 1]! || rel < index.timeRel[n - 1]!)) return null;
      if (i < entries - 1) index.pushTime(ts, rel);
      else index.maxTimestampMs = ts;
    }
    const endRelOffset = td.getUint32((entries - 1) * 12 + 8);
    const n = index.offsets.count;
    if (n > 0 && index.offsets.a[n - 1]! >= endRelOffset) return null;
    return { index, endRelOffset };
  }
}

/** Index of the last element <= target in sorted `values[0..count)`, or -1. */
function lastAtMost(values: Uint32Array, count: number, target: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}


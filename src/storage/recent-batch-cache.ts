/**
 * Shard-wide cache of recently written batches, bounded by bytes, evicting the oldest
 * write first. Tailing consumers read from here without disk I/O. Each entry is one
 * coalesced disk write of one log: whole batches covering [baseOffset, endOffset).
 */
import { assert } from "../base/assert.ts";
import { limits } from "../base/limits.ts";
import * as rb from "./record-batch.ts";
import { concatBytes } from "../base/bytes.ts";

interface Entry {
  log: CachedLog;
  baseOffset: number;
  endOffset: number;
  bytes: Uint8Array;
  evicted: boolean;
}

/**
 * A log's entries in offset order; `head` skips evicted ones without shifting the array. The
 * log holds it (a shard-wide map by log id cost ~130 bytes per log, 10,000 logs of a shard).
 */
export interface CachedLog {
  entries: Entry[];
  head: number;
  registered: boolean;
}

/** The handle of a log without a cache: never passed to one. */
export const NOT_CACHED: CachedLog = { entries: [], head: 0, registered: false };

/** Batches at most this large are copied out of a larger buffer they are a view of. */
const COPY_BYTES_MAX = 4096;

export class RecentBatchCache {
  private readonly fifo: Entry[] = [];
  private fifoHead = 0;
  sizeBytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly sizeBytesMax: number = limits.recentBatchCacheBytesMax) {}

  /** The handle of a log that will put and read. */
  register(): CachedLog {
    return { entries: [], head: 0, registered: true };
  }

  /** Drops a log's entries (on close or truncation); their bytes leave with the next evictions. */
  drop(log: CachedLog): void {
    for (let i = log.head; i < log.entries.length; i++) this.forget(log.entries[i]!);
    log.entries = [];
    log.head = 0;
  }

  /** Drops a log's entries that reach `endOffset` or past it (the log was cut back there). */
  truncate(log: CachedLog, endOffset: number): void {
    while (log.entries.length > log.head && log.entries[log.entries.length - 1]!.endOffset > endOffset) this.forget(log.entries.pop()!);
  }

  unregister(log: CachedLog): void {
    this.drop(log);
    log.registered = false;
  }

  /** Adds written batches; entries of one log must be contiguous, else older ones are dropped. */
  put(log: CachedLog, baseOffset: number, endOffset: number, bytes: Uint8Array): void {
    assert(log.registered, "put on an unregistered log");
    if (bytes.length > this.sizeBytesMax) return;
    const last = log.entries[log.entries.length - 1];
    if (log.head < log.entries.length && last!.endOffset !== baseOffset) this.drop(log);
    if (isSmallViewOfLarger(bytes)) bytes = bytes.slice();
    const entry: Entry = { log, baseOffset, endOffset, bytes, evicted: false };
    log.entries.push(entry);
    this.fifo.push(entry);
    this.sizeBytes += bytes.length;
    while (this.sizeBytes > this.sizeBytesMax) this.evictOldest();
  }

  /**
   * Whole batches starting with the one holding `offset`, up to `maxBytes` but at least one
   * batch, none at or past `endOffset`. Null when the cache does not hold `offset`.
   */
  read(log: CachedLog, offset: number, maxBytes: number, endOffset: number): Uint8Array | null {
    const i = findEntry(log, offset);
    if (i < 0) {
      this.misses++;
      return null;
    }
    this.hits++;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let j = i; j < log.entries.length && total < maxBytes; j++) {
      const entry = log.entries[j]!;
      const from = j === i ? batchStartFor(entry.bytes, offset) : 0;
      const to = takeBatches(entry.bytes, from, maxBytes - total, total === 0, endOffset);
      if (to > from) parts.push(entry.bytes.subarray(from, to));
      total += to - from;
      if (to < entry.bytes.length) break;
    }
    return concatBytes(parts);
  }

  private evictOldest(): void {
    const entry = this.fifo[this.fifoHead];
    assert(entry !== undefined, "cache accounting out of step");
    this.fifo[this.fifoHead++] = undefined as unknown as Entry;
    if (this.fifoHead > 1024 && this.fifoHead * 2 > this.fifo.length) {
      this.fifo.splice(0, this.fifoHead);
      this.fifoHead = 0;
    }
    if (entry.evicted) return;
    this.forget(entry);
    const log = entry.log;
    if (log.entries[log.head] === entry) {
      log.head++;
      if (log.head > 64 && log.head * 2 > log.entries.length) {
        log.entries.splice(0, log.head);
        log.head = 0;
      }
    }
  }

  private forget(entry: Entry): void {
    if (entry.evicted) return;
    entry.evicted = true;
    this.sizeBytes -= entry.bytes.length;
  }
}

/**
 * A small batch that is a view into a larger buffer (a produce request's frame holds the batches of
 * every partition in it): kept as a view, it would keep the whole frame as long as its entry. (A
 * buffer of its own starts at 0; `buffer` is only read past that, as reading it makes JavaScriptCore
 * give a small array a separate ArrayBuffer.)
 */
function isSmallViewOfLarger(bytes: Uint8Array): boolean {
  return bytes.length <= COPY_BYTES_MAX && bytes.byteOffset > 0 && bytes.length * 2 < bytes.buffer.byteLength;
}

/** Index of the entry holding `offset`, or -1. Tailing reads hit the last entries, so search from the end. */
function findEntry(log: CachedLog, offset: number): number {
  for (let i = log.entries.length - 1; i >= log.head; i--) {
    const e = log.entries[i]!;
    if (e.baseOffset <= offset && offset < e.endOffset) return i;
    if (e.endOffset <= offset) return -1;
  }
  return -1;
}

/** Start of the batch containing `offset` in whole-batch bytes that include it. */
function batchStartFor(bytes: Uint8Array, offset: number): number {
  let found = 0;
  rb.scanBatches(bytes, 0, (at) => {
    found = at;
    return rb.lastOffset(bytes, at) < offset;
  });
  return found;
}

/** End of the whole batches from `from` within `budgetBytes` (at least one if `mustTakeOne`), before `endOffset`. */
export function takeBatches(
  bytes: Uint8Array,
  from: number,
  budgetBytes: number,
  mustTakeOne: boolean,
  endOffset: number,
): number {
  let end = from;
  rb.scanBatches(bytes, from, (at, size) => {
    if (rb.baseOffset(bytes, at) >= endOffset) return false;
    if (end - from + size > budgetBytes && !(mustTakeOne && end === from)) return false;
    end = at + size;
    return true;
  });
  return end;
}


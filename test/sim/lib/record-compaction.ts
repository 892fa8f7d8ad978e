/**
 * Kafka compaction in the simulator: nodes run the real `compactLog` over their Raft log below
 * their commit index at random times, as a replica's housekeeping does (`keepEveryBatch`), so
 * batches are thinned or emptied in place, segments merged and swapped, crashes land mid-swap,
 * and followers are sent compacted entries. The checkers work on entries (index, term, checksum),
 * so each node's log is handed to them *normalized*: a stored batch that is a compacted form of a
 * committed entry (the same offsets and term, its records a subset of the entry's, at the same
 * offsets) counts as that entry. Anything else (a batch the chain does not explain, a missing
 * entry) is left as it is, and the checkers judge it like any other entry.
 */
import type { RaftGroupApi } from "../../../src/raft/types.ts";
import * as rb from "../../../src/storage/record-batch.ts";
import { forEachRecord } from "../../../src/storage/records.ts";
import type { StoredBatch } from "./disk-log.ts";
import type { EntryView } from "./log-mirror.ts";

/** The log settings a group runs with when its seed compacts: small segments, so there are closed ones to compact. */
export const compactedLogConfig = {
  segmentBytes: 2048,
  segmentMs: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: 1024 * 1024,
  cleanup: { delete: false, compact: true, deleteRetentionMs: 0, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, minCleanableDirtyRatio: 0 },
};

/** The keys the client writes under when its seed compacts: few, so compaction removes much. */
export const COMPACTED_KEYS = 3;

interface Original {
  base: number;
  checksum: number;
  /** "key\u0000value" of each record, by offset. */
  records: Map<number, string>;
}

export class RecordCompaction {
  /** Every dense batch (as a leader wrote it) ever seen on a disk, by `index:term`. */
  private readonly originals = new Map<string, Original>();
  passes = 0;

  /** Notes the batches that have all their records: the first form of an entry a node writes. */
  register(batches: readonly StoredBatch[]): void {
    for (const b of batches) {
      const key = `${b.index}:${b.term}`;
      if (this.originals.has(key) || rb.recordsCount(b.bytes) !== b.index - b.base + 1) continue;
      this.originals.set(key, { base: b.base, checksum: b.checksum, records: recordsOf(b) });
    }
  }

  /** `batches` (a node's log) with each compacted form of a committed entry replaced by that entry. */
  normalize(batches: readonly StoredBatch[], chain: readonly EntryView[]): EntryView[] {
    return batches.map((b) => this.committedFormOf(b, chain) ?? { index: b.index, term: b.term, checksum: b.checksum });
  }

  /** One compaction pass over `group`'s log, as a replica's housekeeping runs it (no transactions here: the bound is the group's own). */
  async compact(group: RaftGroupApi, nowMs: number): Promise<void> {
    const stats = await group.compact({ nowMs, keyMapBudgetBytes: 1 << 20, stableOffset: Number.MAX_SAFE_INTEGER });
    if (stats !== null && stats.segmentsIn > 0) this.passes++;
  }

  /** The committed entry `b` is a compacted form of (same offsets and term, a subset of its records), or null. */
  private committedFormOf(b: StoredBatch, chain: readonly EntryView[]): EntryView | null {
    const original = this.originals.get(`${b.index}:${b.term}`);
    if (original === undefined || original.base !== b.base || original.checksum === b.checksum) return null;
    const entry = entryAt(chain, b.index);
    if (entry === null || entry.term !== b.term || entry.checksum !== original.checksum) return null;
    for (const [offset, record] of recordsOf(b)) if (original.records.get(offset) !== record) return null;
    return entry;
  }
}

/** The chain's entry whose index is exactly `index` (binary search), or null. */
function entryAt(chain: readonly EntryView[], index: number): EntryView | null {
  let lo = 0;
  let hi = chain.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chain[mid]!.index < index) lo = mid + 1;
    else hi = mid;
  }
  return chain[lo]?.index === index ? chain[lo]! : null;
}

function recordsOf(b: StoredBatch): Map<number, string> {
  const out = new Map<number, string>();
  const text = (v: Uint8Array | null) => (v === null ? "\u0001" : new TextDecoder().decode(v));
  forEachRecord(b.bytes, 0, (r) => void out.set(r.offset, `${text(r.key)}\u0000${text(r.value)}`));
  return out;
}

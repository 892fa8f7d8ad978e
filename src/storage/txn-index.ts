/**
 * The aborted-transaction index of a segment, Kafka's `.txnindex`: one entry per abort marker in
 * the segment, in marker order, each 34 bytes: version int16 (0), producer id int64, first offset
 * int64 (the transaction's first batch, maybe in an earlier segment), last offset int64 (the
 * marker), last stable offset int64 (the partition's LSO once this transaction ended). A
 * read_committed fetch gets the entries that overlap what it returns and drops those records.
 */
import { getInt64, setInt64 } from "../base/bytes.ts";

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

const ENTRY_BYTES = 34;
const VERSION = 0;

export function encodeTxnIndex(entries: readonly AbortedTxn[]): Uint8Array {
  const bytes = new Uint8Array(entries.length * ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  entries.forEach((e, i) => {
    const at = i * ENTRY_BYTES;
    view.setInt16(at, VERSION);
    setInt64(view, at + 2, e.producerId);
    setInt64(view, at + 10, e.firstOffset);
    setInt64(view, at + 18, e.lastOffset);
    setInt64(view, at + 26, e.lastStableOffset);
  });
  return bytes;
}

/** The entries, or null when the bytes are not a whole index of this version (torn, or not ours). */
export function decodeTxnIndex(bytes: Uint8Array): AbortedTxn[] | null {
  if (bytes.length % ENTRY_BYTES !== 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: AbortedTxn[] = [];
  for (let at = 0; at < bytes.length; at += ENTRY_BYTES) {
    if (view.getInt16(at) !== VERSION) return null;
    const entry = { producerId: getInt64(view, at + 2), firstOffset: getInt64(view, at + 10), lastOffset: getInt64(view, at + 18), lastStableOffset: getInt64(view, at + 26) };
    if (entry.firstOffset < 0 || entry.lastOffset < entry.firstOffset) return null;
    entries.push(entry);
  }
  return entries;
}

/**
 * Kafka's TransactionIndex.collectAbortedTxns: entries of one segment whose transaction overlaps
 * [fetchOffset, upperBoundOffset). `complete` once an entry's LSO reaches the bound: no later
 * segment can hold one that starts below it.
 */
export function collectAborted(entries: readonly AbortedTxn[], fetchOffset: number, upperBoundOffset: number, into: AbortedTxn[]): boolean {
  // Entries are in marker order: the ones ending before fetchOffset are skipped by a binary search.
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.lastOffset < fetchOffset) lo = mid + 1;
    else hi = mid;
  }
  // LSOs rise in marker order: a skipped entry's may already end the search.
  if (lo > 0 && entries[lo - 1]!.lastStableOffset >= upperBoundOffset) return true;
  for (let i = lo; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.firstOffset < upperBoundOffset) into.push(e);
    if (e.lastStableOffset >= upperBoundOffset) return true;
  }
  return false;
}

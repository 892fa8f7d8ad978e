/**
 * A transaction's end in one partition: the marker checked against the producer state, appended
 * as a control batch like any batch, recorded in the producer state, and (for an abort of a
 * transaction with data here) indexed in the active segment, all without an await in between so
 * nothing interleaves on the partition. Also the read_committed side: the aborted transactions
 * overlapping what a read returned.
 */
import { buildMarkerBatch, type TxnMarker } from "./control-batch.ts";
import type { AppendResult, PartitionLog } from "./partition-log.ts";
import type { MarkerVerdict, ProducerState } from "./producer-state.ts";
import * as rb from "./record-batch.ts";

export type MarkerAppend = { kind: "appended"; appended: AppendResult } | Exclude<MarkerVerdict, { kind: "append" }>;

/** Appends the marker (synced: Kafka writes markers with acks=all) or says why it may not be. Throws as `append` does. */
export function appendMarker(log: PartitionLog, producers: ProducerState, marker: TxnMarker, nowMs: number): MarkerAppend {
  const verdict = producers.checkMarker(marker);
  if (verdict.kind !== "append") return verdict;
  const appended = log.append(buildMarkerBatch(marker, nowMs), nowMs, { sync: true });
  const ended = producers.recordMarker(marker, appended.baseOffset, nowMs, false);
  if (ended?.aborted) log.addAbortedTxn({ producerId: ended.producerId, firstOffset: ended.firstOffset, lastOffset: ended.lastOffset, lastStableOffset: ended.lastStableOffset });
  return { kind: "appended", appended };
}

/**
 * Fetch's aborted_transactions for the batches `bytes` read from `fetchOffset`: each aborted
 * transaction with data in them, its first offset the first of its batches there, in offset order.
 * Kafka lists every aborted transaction overlapping the range, by where its marker is, one that
 * began before `fetchOffset` with its first offset. That is the same to a client keeping a set of
 * aborted producers (Java, librdkafka), but kafkajs takes one listed transaction per record it
 * passes, in list order, so a listed transaction with nothing in the range made it miss the next
 * one and hand out that transaction's aborted records. A transaction with only its marker in
 * range is left out: no client skips anything for it.
 */
export function abortedTxnsIn(log: PartitionLog, fetchOffset: number, bytes: Uint8Array): Array<{ producerId: number; firstOffset: number }> {
  if (bytes.length === 0) return [];
  let endOffset = fetchOffset;
  rb.scanBatches(bytes, 0, (at) => void (endOffset = rb.lastOffset(bytes, at) + 1));
  const aborted = log.abortedTxns(fetchOffset, endOffset);
  if (aborted.length === 0) return []; // the common case: no second pass over the batches
  const abortedProducers = new Set(aborted.map((t) => t.producerId));
  const dataBases = new Map<number, number[]>(); // producer id → its transactional data batches' base offsets, ascending
  rb.scanBatches(bytes, 0, (at) => {
    if ((rb.attributes(bytes, at) & (rb.ATTR_TRANSACTIONAL | rb.ATTR_CONTROL)) !== rb.ATTR_TRANSACTIONAL) return;
    const producerId = rb.producerId(bytes, at);
    if (!abortedProducers.has(producerId)) return;
    const bases = dataBases.get(producerId);
    if (bases === undefined) dataBases.set(producerId, [rb.baseOffset(bytes, at)]);
    else bases.push(rb.baseOffset(bytes, at));
  });
  const out: Array<{ producerId: number; firstOffset: number }> = [];
  for (const t of aborted) {
    const bases = dataBases.get(t.producerId);
    const first = bases === undefined ? undefined : bases[firstAtOrAfter(bases, t.firstOffset)];
    if (first !== undefined && first < t.lastOffset) out.push({ producerId: t.producerId, firstOffset: first });
  }
  return out.sort((a, b) => a.firstOffset - b.firstOffset);
}

/** The index of the first of the ascending `values` at or past `target` (values.length if none). */
function firstAtOrAfter(values: number[], target: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid]! < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

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

/** The aborted transactions overlapping the batches `bytes` read from `fetchOffset` (Fetch's aborted_transactions). */
export function abortedTxnsIn(log: PartitionLog, fetchOffset: number, bytes: Uint8Array): Array<{ producerId: number; firstOffset: number }> {
  if (bytes.length === 0) return [];
  let endOffset = fetchOffset;
  rb.scanBatches(bytes, 0, (at) => void (endOffset = rb.lastOffset(bytes, at) + 1));
  return log.abortedTxns(fetchOffset, endOffset).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
}

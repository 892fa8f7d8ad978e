/**
 * Transaction markers as Kafka writes them: a control batch (attributes transactional | control)
 * of one record whose key is the control record key (version int16 0, type int16: 0 abort,
 * 1 commit) and whose value is the end-transaction marker (version int16 0, coordinator epoch
 * int32). The producer id and epoch are the batch's; the base sequence is -1.
 */
import { buildBatch } from "./batch-builder.ts";
import * as rb from "./record-batch.ts";
import { forEachRecord, RecordFormatError } from "./records.ts";

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
const CONTROL_KEY_BYTES = 4;
const MARKER_VALUE_BYTES = 6;

export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** One marker batch at base offset 0 (the log assigns its offset), stamped `timestampMs`. */
export function buildMarkerBatch(marker: TxnMarker, timestampMs: number): Uint8Array {
  const key = new Uint8Array(CONTROL_KEY_BYTES);
  new DataView(key.buffer).setInt16(2, marker.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT);
  const value = new Uint8Array(MARKER_VALUE_BYTES);
  new DataView(value.buffer).setInt32(2, marker.coordinatorEpoch);
  return buildBatch({
    records: [{ key, value }],
    baseTimestamp: timestampMs,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
  });
}

export const isControlBatch = (b: Uint8Array, at = 0) => (rb.attributes(b, at) & rb.ATTR_CONTROL) !== 0;
export const isTransactionalBatch = (b: Uint8Array, at = 0) => (rb.attributes(b, at) & rb.ATTR_TRANSACTIONAL) !== 0;

/**
 * The marker a stored control batch carries, or null for another control type (or a control
 * batch with no record, as compaction may leave). Throws RecordFormatError on a malformed record.
 */
export function readMarker(b: Uint8Array, at = 0): TxnMarker | null {
  let found: TxnMarker | null = null;
  forEachRecord(b, at, (record, index) => {
    if (index > 0 || record.key === null || record.key.length < CONTROL_KEY_BYTES) return;
    const key = new DataView(record.key.buffer, record.key.byteOffset, record.key.byteLength);
    const type = key.getInt16(2);
    if (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT) return;
    if (record.value === null || record.value.length < MARKER_VALUE_BYTES) throw new RecordFormatError("transaction marker without its value");
    const value = new DataView(record.value.buffer, record.value.byteOffset, record.value.byteLength);
    found = { producerId: rb.producerId(b, at), producerEpoch: rb.producerEpoch(b, at), commit: type === CONTROL_TYPE_COMMIT, coordinatorEpoch: value.getInt32(2) };
  });
  return found;
}

/**
 * What Kafka's LogValidator refuses of a client's batches with INVALID_RECORD: control batches
 * (only the broker writes markers), a producer id with a negative base sequence, and a
 * transactional batch without a producer id. Null when none of the batches has a problem.
 */
export function clientBatchProblem(payload: Uint8Array): string | null {
  let problem: string | null = null;
  rb.scanBatches(payload, 0, (at) => {
    const producerId = rb.producerId(payload, at);
    if (isControlBatch(payload, at)) problem = "Clients are not allowed to write control records";
    else if (producerId >= 0 && rb.baseSequence(payload, at) < 0) problem = `Invalid sequence number ${rb.baseSequence(payload, at)} in record batch with producerId ${producerId}`;
    else if (producerId < 0 && isTransactionalBatch(payload, at)) problem = "transactional record batch without a producer id";
    return problem === null;
  });
  return problem;
}

/**
 * Pure helpers over magic-v2 record batch bytes. Batches stay bytes: no per-record
 * objects. Every function takes the buffer and the batch's start position `at`.
 *
 * Header (61 bytes, big-endian): base_offset i64 · batch_length i32 · partition_leader_epoch i32 ·
 * magic i8 · crc u32 · attributes i16 · last_offset_delta i32 · base_timestamp i64 ·
 * max_timestamp i64 · producer_id i64 · producer_epoch i16 · base_sequence i32 · records_count i32
 */
import { crc32c } from "../base/crc32c.ts";
import { getInt64, setInt64 } from "../base/bytes.ts";

export const BATCH_HEADER_BYTES = 61;
/** base_offset + batch_length: the bytes before what batch_length counts. */
export const LOG_OVERHEAD_BYTES = 12;
/** Smallest legal batch_length: a header with no records. */
export const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;

/** Byte offsets of header fields from the batch start. */
export const Field = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
} as const;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

// One-slot cache: field reads come in runs over the same buffer; avoids a DataView per call.
let lastBytes: Uint8Array | null = null;
let lastView: DataView | null = null;
function view(bytes: Uint8Array): DataView {
  if (bytes !== lastBytes || lastView === null) {
    lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    lastBytes = bytes;
  }
  return lastView;
}

export const baseOffset = (b: Uint8Array, at = 0) => getInt64(view(b), at + Field.baseOffset);
export const batchLength = (b: Uint8Array, at = 0) => view(b).getInt32(at + Field.batchLength);
/** Whole batch size in bytes, header included. */
export const batchSizeBytes = (b: Uint8Array, at = 0) => batchLength(b, at) + LOG_OVERHEAD_BYTES;
export const partitionLeaderEpoch = (b: Uint8Array, at = 0) => view(b).getInt32(at + Field.partitionLeaderEpoch);
export const magic = (b: Uint8Array, at = 0) => view(b).getInt8(at + Field.magic);
export const crc = (b: Uint8Array, at = 0) => view(b).getUint32(at + Field.crc);
export const attributes = (b: Uint8Array, at = 0) => view(b).getInt16(at + Field.attributes);
export const lastOffsetDelta = (b: Uint8Array, at = 0) => view(b).getInt32(at + Field.lastOffsetDelta);
export const baseTimestamp = (b: Uint8Array, at = 0) => getInt64(view(b), at + Field.baseTimestamp);
export const maxTimestamp = (b: Uint8Array, at = 0) => getInt64(view(b), at + Field.maxTimestamp);
export const producerId = (b: Uint8Array, at = 0) => getInt64(view(b), at + Field.producerId);
export const producerEpoch = (b: Uint8Array, at = 0) => view(b).getInt16(at + Field.producerEpoch);
export const baseSequence = (b: Uint8Array, at = 0) => view(b).getInt32(at + Field.baseSequence);
export const recordsCount = (b: Uint8Array, at = 0) => view(b).getInt32(at + Field.recordsCount);
/** Offset of the batch's last record. */
export const lastOffset = (b: Uint8Array, at = 0) => baseOffset(b, at) + lastOffsetDelta(b, at);

/** Outside the CRC, so the broker can assign offsets without recomputing it. */
export function setBaseOffset(b: Uint8Array, offset: number, at = 0): void {
  setInt64(view(b), at + Field.baseOffset, offset);
}

export function setPartitionLeaderEpoch(b: Uint8Array, epoch: number, at = 0): void {
  view(b).setInt32(at + Field.partitionLeaderEpoch, epoch);
}

/** CRC-32C from attributes to the end of the batch, as stored in the crc field. */
export function computeCrc(b: Uint8Array, at = 0): number {
  return crc32c(b.subarray(at + Field.attributes, at + batchSizeBytes(b, at)));
}

export type BatchProblem = "partial" | "length" | "magic" | "crc" | "count" | "empty" | "compression";

/**
 * Checks the batch at `at` within `b[..end]`; null when it is whole and sound.
 * "partial": the buffer ends inside the batch. `batchBytesMax` bounds one batch.
 * `compacted`: a stored batch that compaction may have thinned, so it may hold fewer records
 * than its offsets span, or none (Kafka keeps such batches for their offsets and producer fields).
 */
export function checkBatch(b: Uint8Array, at: number, end: number, batchBytesMax: number, compacted = false): BatchProblem | null {
  if (end - at < BATCH_HEADER_BYTES) return "partial";
  const dv = view(b);
  const length = dv.getInt32(at + Field.batchLength);
  if (length < BATCH_LENGTH_MIN || length + LOG_OVERHEAD_BYTES > batchBytesMax) return "length";
  if (dv.getInt8(at + Field.magic) !== 2) return "magic";
  if (end - at < length + LOG_OVERHEAD_BYTES) return "partial";
  const count = dv.getInt32(at + Field.recordsCount);
  const delta = dv.getInt32(at + Field.lastOffsetDelta);
  if (count === 0 && !compacted) return "empty";
  if (count < 0 || delta < 0) return "count";
  if (compacted ? count > delta + 1 : delta !== count - 1) return "count";
  if ((dv.getInt16(at + Field.attributes) & ATTR_COMPRESSION_MASK) > 4) return "compression";
  if (computeCrc(b, at) !== dv.getUint32(at + Field.crc)) return "crc";
  return null;
}

export type ValidateResult =
  | { ok: true; batches: number; records: number; maxTimestampMs: number; largestBatchBytes: number }
  | { ok: false; reason: BatchProblem; batchIndex: number };

/**
 * Validates a produce payload: one or more concatenated batches, each whole, magic 2,
 * CRC-32C good, record count consistent with last_offset_delta (dense offsets; with `compacted`,
 * as `checkBatch` allows stored batches: a Raft leader sends its log as stored).
 */
export function validateBatches(b: Uint8Array, batchBytesMax = 0x7fffffff, compacted = false): ValidateResult {
  let at = 0;
  let batches = 0;
  let records = 0;
  let maxTimestampMs = -1;
  let largestBatchBytes = 0;
  if (b.length === 0) return { ok: false, reason: "partial", batchIndex: 0 };
  while (at < b.length) {
    const problem = checkBatch(b, at, b.length, batchBytesMax, compacted);
    if (problem !== null) return { ok: false, reason: problem === "partial" ? "length" : problem, batchIndex: batches };
    records += recordsCount(b, at);
    maxTimestampMs = Math.max(maxTimestampMs, maxTimestamp(b, at));
    const size = batchSizeBytes(b, at);
    largestBatchBytes = Math.max(largestBatchBytes, size);
    at += size;
    batches++;
  }
  return { ok: true, batches, records, maxTimestampMs, largestBatchBytes };
}

/**
 * Walks whole batches from `from` without allocating per batch: calls `onBatch(at, sizeBytes)`
 * for each whole batch (header length bounds only; no CRC) until the buffer ends or
 * `onBatch` returns false. Returns the position where the walk stopped.
 */
export function scanBatches(
  b: Uint8Array,
  from: number,
  onBatch: (at: number, sizeBytes: number) => boolean | void,
): number {
  let at = from;
  while (b.length - at >= LOG_OVERHEAD_BYTES) {
    const length = batchLength(b, at);
    if (length < BATCH_LENGTH_MIN) break;
    const size = length + LOG_OVERHEAD_BYTES;
    if (at + size > b.length) break;
    if (onBatch(at, size) === false) break;
    at += size;
  }
  return at;
}

/**
 * First record in an uncompressed CreateTime batch with timestamp >= `timestampMs`:
 * its offset and timestamp. Otherwise (compressed, LogAppendTime, or malformed) the batch's
 * base offset and max timestamp, which is what a batch-granular lookup can say.
 */
export function firstRecordAtOrAfter(b: Uint8Array, at: number, timestampMs: number): { offset: number; timestampMs: number } {
  const fallback = { offset: baseOffset(b, at), timestampMs: maxTimestamp(b, at) };
  if ((attributes(b, at) & (ATTR_COMPRESSION_MASK | ATTR_TIMESTAMP_LOG_APPEND)) !== 0) return fallback;
  const end = at + batchSizeBytes(b, at);
  const cursor = { pos: at + BATCH_HEADER_BYTES };
  const base = baseTimestamp(b, at);
  const count = recordsCount(b, at);
  for (let i = 0; i < count && cursor.pos < end; i++) {
    const length = readVarint(b, cursor);
    const next = cursor.pos + length;
    cursor.pos++; // record attributes
    const ts = base + readVarint(b, cursor);
    const offsetDelta = readVarint(b, cursor);
    if (ts >= timestampMs) return { offset: baseOffset(b, at) + offsetDelta, timestampMs: ts };
    cursor.pos = next;
  }
  return fallback;
}

/** Zigzag varint/varlong (up to 2^53) at cursor.pos; advances the cursor. */
export function readVarint(b: Uint8Array, cursor: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const byte = b[cursor.pos++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) break;
    scale *= 128;
  }
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

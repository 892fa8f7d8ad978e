/**
 * What the broker changes in a produced batch before it is written, as Kafka's LogValidator
 * does for magic v2: a missing max timestamp (-1, or below the first timestamp: sarama ≤ 1.2x)
 * computed from the records; LogAppendTime (timestamp-type bit, max timestamp = append time);
 * CreateTime bounds (message.timestamp.before/after.max.ms); a topic codec other than the
 * producer's (records decompressed and compressed again). Each changed header gets its CRC-32C
 * again. A batch whose header is sound under a topic that asks none of this is not touched and
 * its records are not read: that is the produce fast path.
 *
 * Batches keep their boundaries, producer id, epoch and sequence; records are never reordered
 * or changed, only the compressed form of the records section.
 */
import { concatBytes, setInt64 } from "../base/bytes.ts";
import { Codec, type CodecId, compress, decompress, DecompressionError } from "./compression.ts";
import * as rb from "./record-batch.ts";

export interface AppendPolicy {
  /** The topic's codec, or null to keep each batch's (compression.type=producer). */
  compression: CodecId | null;
  /** Its level (compression.gzip.level, compression.zstd.level), or undefined for the codec's own. */
  compressionLevel?: number;
  /** message.timestamp.type=LogAppendTime. */
  logAppendTime: boolean;
  /** How far a CreateTime record may lie before / after the broker's clock; Infinity: any. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

export const PRODUCER_POLICY: AppendPolicy = { compression: null, logAppendTime: false, timestampBeforeMaxMs: Infinity, timestampAfterMaxMs: Infinity };

export type RewriteResult =
  | { ok: true; records: Uint8Array }
  /** "timestamp": a record outside the CreateTime bounds (INVALID_TIMESTAMP); "corrupt": records that do not parse. */
  | { ok: false; reason: "timestamp" | "corrupt"; message: string; recordIndex: number };

class RecordProblem extends Error {
  constructor(readonly reason: "timestamp" | "corrupt", message: string, readonly recordIndex: number) {
    super(message);
  }
}

/**
 * Applies `policy` to validated batches (whole, CRC good). Header-only changes are made in place;
 * when a batch is recompressed the answer is a new buffer. `nowMs` is the append time.
 */
export function applyAppendPolicy(payload: Uint8Array, policy: AppendPolicy, nowMs: number): RewriteResult {
  if (!anyNeedsWork(payload, policy)) return { ok: true, records: payload };
  const parts: Uint8Array[] = [];
  let resized = false;
  let recordsBefore = 0;
  try {
    for (let at = 0; at < payload.length; ) {
      const size = rb.batchSizeBytes(payload, at);
      const batch = rewriteBatch(payload.subarray(at, at + size), policy, nowMs, recordsBefore);
      resized ||= batch.length !== size;
      parts.push(batch);
      recordsBefore += rb.recordsCount(payload, at);
      at += size;
    }
  } catch (error) {
    if (!(error instanceof RecordProblem)) throw error;
    return { ok: false, reason: error.reason, message: error.message, recordIndex: error.recordIndex };
  }
  return { ok: true, records: resized ? concatBytes(parts) : payload };
}

const boundsChecked = (policy: AppendPolicy) =>
  !policy.logAppendTime && (policy.timestampBeforeMaxMs !== Infinity || policy.timestampAfterMaxMs !== Infinity);

/** The fast path's test: header reads only, no records, no allocation. */
function anyNeedsWork(payload: Uint8Array, policy: AppendPolicy): boolean {
  if (policy.logAppendTime || boundsChecked(policy)) return true;
  for (let at = 0; at < payload.length; at += rb.batchSizeBytes(payload, at)) {
    if (rb.maxTimestamp(payload, at) < rb.baseTimestamp(payload, at)) return true;
    if (policy.compression !== null && recompresses(payload, at, policy.compression)) return true;
  }
  return false;
}

/** Control batches (transaction markers) keep their form, as in Kafka. */
const recompresses = (b: Uint8Array, at: number, target: CodecId) =>
  (rb.attributes(b, at) & rb.ATTR_CONTROL) === 0 && (rb.attributes(b, at) & rb.ATTR_COMPRESSION_MASK) !== target;

/** One batch (b starts at its base offset): the same bytes, changed in place, or a new batch. */
function rewriteBatch(b: Uint8Array, policy: AppendPolicy, nowMs: number, recordsBefore: number): Uint8Array {
  const checkBounds = boundsChecked(policy);
  const recompress = policy.compression !== null && recompresses(b, 0, policy.compression);
  const maxMissing = rb.maxTimestamp(b) < rb.baseTimestamp(b);
  if (!policy.logAppendTime && !checkBounds && !recompress && !maxMissing) return b;
  const codec = (rb.attributes(b) & rb.ATTR_COMPRESSION_MASK) as CodecId;
  let maxTimestampMs = rb.maxTimestamp(b);
  let out = b;
  if (recompress || checkBounds || (maxMissing && !policy.logAppendTime)) {
    const records = recordsOf(b, codec, recordsBefore);
    maxTimestampMs = walkTimestamps(records, b, policy, checkBounds, nowMs, recordsBefore);
    if (recompress) out = withRecords(b, compress(policy.compression!, records, policy.compressionLevel), policy.compression!);
  }
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let attributes = dv.getInt16(rb.Field.attributes);
  if (policy.logAppendTime) {
    attributes |= rb.ATTR_TIMESTAMP_LOG_APPEND;
    maxTimestampMs = nowMs;
  }
  dv.setInt16(rb.Field.attributes, attributes);
  setInt64(dv, rb.Field.maxTimestamp, maxTimestampMs);
  dv.setUint32(rb.Field.crc, rb.computeCrc(out));
  return out;
}

function recordsOf(b: Uint8Array, codec: CodecId, recordsBefore: number): Uint8Array {
  const section = b.subarray(rb.BATCH_HEADER_BYTES);
  if (codec === Codec.none) return section;
  try {
    return decompress(codec, section);
  } catch (error) {
    if (error instanceof DecompressionError) throw new RecordProblem("corrupt", error.message, recordsBefore);
    throw error;
  }
}

/**
 * Walks the records of a batch: checks each is whole and counted, checks CreateTime bounds when
 * asked, and answers the largest timestamp.
 */
function walkTimestamps(records: Uint8Array, b: Uint8Array, policy: AppendPolicy, checkBounds: boolean, nowMs: number, recordsBefore: number): number {
  const count = rb.recordsCount(b);
  const base = rb.baseTimestamp(b);
  const cursor = { pos: 0 };
  let max = -1;
  for (let i = 0; i < count; i++) {
    const length = readVarint(records, cursor, recordsBefore + i);
    const next = cursor.pos + length;
    if (length <= 0 || next > records.length) throw new RecordProblem("corrupt", `record ${i} of ${count} runs past its batch`, recordsBefore + i);
    cursor.pos++; // record attributes
    const timestampMs = base + readVarint(records, cursor, recordsBefore + i);
    if (checkBounds && timestampMs !== -1) checkTimestamp(timestampMs, policy, nowMs, recordsBefore + i);
    if (timestampMs > max) max = timestampMs;
    cursor.pos = next;
  }
  if (cursor.pos !== records.length) throw new RecordProblem("corrupt", `batch holds bytes past its ${count} records`, recordsBefore + count - 1);
  return max;
}

function checkTimestamp(timestampMs: number, policy: AppendPolicy, nowMs: number, recordIndex: number): void {
  const earliest = nowMs - policy.timestampBeforeMaxMs;
  const latest = nowMs + policy.timestampAfterMaxMs;
  if (timestampMs >= earliest && timestampMs <= latest) return;
  const range = `[${Number.isFinite(earliest) ? earliest : "-inf"}, ${Number.isFinite(latest) ? latest : "+inf"}]`;
  throw new RecordProblem("timestamp", `Timestamp ${timestampMs} of record ${recordIndex} is out of range. The timestamp should be within ${range}`, recordIndex);
}

/** A copy of batch `b`'s header with a new records section and codec; CRC set by the caller. */
function withRecords(b: Uint8Array, section: Uint8Array, codec: CodecId): Uint8Array {
  const out = new Uint8Array(rb.BATCH_HEADER_BYTES + section.length);
  out.set(b.subarray(0, rb.BATCH_HEADER_BYTES));
  out.set(section, rb.BATCH_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  dv.setInt32(rb.Field.batchLength, out.length - rb.LOG_OVERHEAD_BYTES);
  dv.setInt16(rb.Field.attributes, (dv.getInt16(rb.Field.attributes) & ~rb.ATTR_COMPRESSION_MASK) | codec);
  return out;
}

/** Zigzag varlong at cursor.pos (10 bytes at most, within `b`); advances the cursor. */
function readVarint(b: Uint8Array, cursor: { pos: number }, recordIndex: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const byte = b[cursor.pos++];
    if (byte === undefined) throw new RecordProblem("corrupt", "record ends inside a varint", recordIndex);
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  throw new RecordProblem("corrupt", "varint longer than 10 bytes", recordIndex);
}

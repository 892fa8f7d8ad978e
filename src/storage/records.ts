/**
 * Walks the records of one stored batch without building objects per record: for each, its
 * byte range in the (decompressed) records section, offset, timestamp, key and value. Used
 * where the broker must look inside records: the null-key check of compacted topics and
 * compaction itself. Every length read is checked against the section's end.
 *
 * Record: length varint · attributes i8 · timestamp_delta varlong · offset_delta varint ·
 * key_length varint · key · value_length varint · value · headers
 */
import { Codec, type CodecId, decompress } from "./compression.ts";
import * as rb from "./record-batch.ts";

export interface RecordView {
  /** Position of the record's length varint in the section, and the end of the record. */
  start: number;
  end: number;
  offset: number;
  timestampMs: number;
  /** A view into the section, or null for a null key. */
  key: Uint8Array | null;
  /** A view into the section, or null for a null value (a tombstone). */
  value: Uint8Array | null;
}

export class RecordFormatError extends Error {
  override name = "RecordFormatError";
}

/** The records section of the batch at `at`, decompressed when the batch is compressed. */
export function recordsSection(b: Uint8Array, at: number): Uint8Array {
  const section = b.subarray(at + rb.BATCH_HEADER_BYTES, at + rb.batchSizeBytes(b, at));
  const codec = (rb.attributes(b, at) & rb.ATTR_COMPRESSION_MASK) as CodecId;
  return codec === Codec.none ? section : decompress(codec, section);
}

/** Calls `onRecord` for each record of the batch at `at` (one view object, reused); returns the section walked. */
export function forEachRecord(b: Uint8Array, at: number, onRecord: (r: RecordView, index: number) => void): Uint8Array {
  const section = recordsSection(b, at);
  const count = rb.recordsCount(b, at);
  const base = rb.baseOffset(b, at);
  const baseTimestamp = rb.baseTimestamp(b, at);
  const cursor = { pos: 0, end: section.length };
  const view: RecordView = { start: 0, end: 0, offset: 0, timestampMs: 0, key: null, value: null };
  for (let i = 0; i < count; i++) {
    view.start = cursor.pos;
    const length = readVarint(section, cursor);
    view.end = cursor.pos + length;
    if (length <= 0 || view.end > section.length) throw new RecordFormatError(`record ${i} of ${count} runs past its batch`);
    cursor.end = view.end;
    cursor.pos++; // attributes
    view.timestampMs = baseTimestamp + readVarint(section, cursor);
    view.offset = base + readVarint(section, cursor);
    view.key = readBytes(section, cursor);
    view.value = readBytes(section, cursor);
    onRecord(view, i);
    cursor.pos = view.end;
    cursor.end = section.length;
  }
  if (cursor.pos !== section.length) throw new RecordFormatError(`batch holds bytes past its ${count} records`);
  return section;
}

function readBytes(b: Uint8Array, cursor: { pos: number; end: number }): Uint8Array | null {
  const length = readVarint(b, cursor);
  if (length < 0) return null;
  if (cursor.pos + length > cursor.end) throw new RecordFormatError("record key runs past its record");
  const bytes = b.subarray(cursor.pos, cursor.pos + length);
  cursor.pos += length;
  return bytes;
}

/** Zigzag varlong (up to 2^53) within `cursor.end`; advances the cursor. */
function readVarint(b: Uint8Array, cursor: { pos: number; end: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor.pos >= cursor.end) throw new RecordFormatError("record ends inside a varint");
    const byte = b[cursor.pos++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  throw new RecordFormatError("varint longer than 10 bytes");
}

/** Indexes (across the payload's batches) of records with a null key, at most `max` of them. */
export function keylessRecordIndexes(payload: Uint8Array, max: number): number[] {
  const found: number[] = [];
  let before = 0;
  rb.scanBatches(payload, 0, (at) => {
    if ((rb.attributes(payload, at) & rb.ATTR_CONTROL) === 0) {
      forEachRecord(payload, at, (record, i) => {
        if (record.key === null && found.length < max) found.push(before + i);
      });
    }
    before += rb.recordsCount(payload, at);
    return found.length < max;
  });
  return found;
}

/**
 * Kafka's legacy message sets (magic 0 and 1), which Produce v0–2 may carry and Fetch v0–3
 * answers with. On produce a message set is checked (CRC-32, framing) and turned into one
 * magic-v2 batch before anything is written; on fetch, stored v2 batches are turned back into
 * messages of the magic the request version allows. Only old-version requests come here.
 *
 * Message (big-endian): offset i64 · message_size i32 · crc u32 (CRC-32 IEEE of the rest) ·
 * magic i8 · attributes i8 (bits 0–2 codec, bit 3 LogAppendTime on magic 1) ·
 * timestamp i64 (magic 1 only) · key (i32 length, -1 null) · value (i32 length, -1 null).
 * A compressed message ("wrapper") holds a whole inner message set, compressed, as its value.
 */
import { getInt64, setInt64 } from "../base/bytes.ts";
import { buildBatch } from "./batch-builder.ts";
import { Codec, type CodecId, decompress, isCodec } from "./compression.ts";
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_LOG_APPEND, BATCH_HEADER_BYTES, Field, LOG_OVERHEAD_BYTES,
  attributes, baseOffset, baseTimestamp, maxTimestamp, recordsCount, scanBatches,
} from "./record-batch.ts";

/** Why a message set was refused; the produce handler maps each to Kafka's error code. */
export type MessageSetProblem =
  | { kind: "corrupt"; reason: string } // framing or CRC: CORRUPT_MESSAGE
  | { kind: "invalid"; reason: string } // well framed but not allowed: INVALID_RECORD
  | { kind: "timestamp"; reason: string } // a producer that set LogAppendTime: INVALID_TIMESTAMP
  | { kind: "compression"; reason: string }; // zstd or an unknown codec: UNSUPPORTED_COMPRESSION_TYPE

export const LEGACY_MAGIC_MAX = 1;
/** offset + message_size + crc + magic + attributes. */
const MESSAGE_HEADER_BYTES = LOG_OVERHEAD_BYTES + 4 + 1 + 1;
const CRC_AT = LOG_OVERHEAD_BYTES;
const MAGIC_AT = CRC_AT + 4;
const ATTRIBUTES_AT = MAGIC_AT + 1;
const TIMESTAMP_BYTES = 8;
/** Kafka's RecordBatch.NO_TIMESTAMP: magic-0 messages have no time. */
export const NO_TIMESTAMP = -1;

interface LegacyRecord {
  timestampMs: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

interface Parsed {
  records: LegacyRecord[];
  /** The codec of the (last) compressed wrapper, 0 when none was compressed: the batch gets it too. */
  codec: CodecId;
  /** What all wrappers together may still decompress to. */
  plainBytesLeft: number;
}

class Refused extends Error {
  constructor(readonly problem: MessageSetProblem) {
    super(problem.reason);
  }
}

/** Whether a produce payload starts with a legacy message (the magic byte sits at the same place as in a v2 batch). */
export function isLegacyMessageSet(payload: Uint8Array): boolean {
  return payload.length > Field.magic && payload[Field.magic]! <= LEGACY_MAGIC_MAX;
}

/**
 * One magic-v2 CreateTime batch holding every record of a legacy message set, offsets from 0
 * (the log assigns the real ones), compressed with the producer's codec as Kafka does, or why the
 * set is refused. `plainBytesMax` bounds what all its wrappers decompress to. The topic's timestamp
 * type and codec apply to the batch afterwards, as to any v2 batch (batch-rewrite.ts).
 */
export function legacyToBatch(payload: Uint8Array, plainBytesMax: number): { ok: true; batch: Uint8Array } | { ok: false; problem: MessageSetProblem } {
  const parsed: Parsed = { records: [], codec: Codec.none, plainBytesLeft: plainBytesMax };
  try {
    readMessages(payload, null, parsed);
  } catch (error) {
    if (error instanceof Refused) return { ok: false, problem: error.problem };
    throw error;
  }
  if (parsed.records.length === 0) return { ok: false, problem: { kind: "corrupt", reason: "no messages" } };
  const base = parsed.records[0]!.timestampMs;
  const records = parsed.records.map((r) => ({ key: r.key, value: r.value, timestampDelta: r.timestampMs - base }));
  return { ok: true, batch: buildBatch({ baseTimestamp: base, records, compression: parsed.codec }) };
}

/**
 * Reads every message of `b` into `out`. `wrapperMagic`: the magic of the compressed message `b`
 * came out of (inner messages have the same and are not compressed again), null at the top.
 */
function readMessages(b: Uint8Array, wrapperMagic: number | null, out: Parsed): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 0;
  while (at < b.length) {
    if (b.length - at < MESSAGE_HEADER_BYTES) throw corrupt(`message at byte ${at} is cut short`);
    const end = at + LOG_OVERHEAD_BYTES + view.getInt32(at + 8);
    const magic = view.getInt8(at + MAGIC_AT);
    if (magic < 0 || magic > LEGACY_MAGIC_MAX) throw new Refused({ kind: "invalid", reason: `magic ${magic} inside a legacy message set` });
    const bodyMin = MESSAGE_HEADER_BYTES + (magic === 1 ? TIMESTAMP_BYTES : 0) + 8;
    if (end - at < bodyMin || end > b.length) throw corrupt(`message at byte ${at} has a bad size`);
    if (Bun.hash.crc32(b.subarray(at + MAGIC_AT, end)) !== view.getUint32(at + CRC_AT)) throw corrupt(`message at byte ${at} fails its CRC-32`);
    readMessage(b, view, at, end, wrapperMagic, out);
    at = end;
  }
}

function readMessage(b: Uint8Array, view: DataView, at: number, end: number, wrapperMagic: number | null, out: Parsed): void {
  const magic = view.getInt8(at + MAGIC_AT);
  const attrs = view.getInt8(at + ATTRIBUTES_AT);
  const codec = attrs & ATTR_COMPRESSION_MASK;
  if (wrapperMagic !== null && magic !== wrapperMagic) throw new Refused({ kind: "invalid", reason: `magic ${magic} inside a compressed message of magic ${wrapperMagic}` });
  if (magic === 1 && (attrs & ATTR_TIMESTAMP_LOG_APPEND) !== 0) {
    throw new Refused({ kind: "timestamp", reason: `message at byte ${at}: a producer may not set timestamp type LogAppendTime` }); // as Kafka's LogValidator
  }
  let pos = at + ATTRIBUTES_AT + 1;
  const timestampMs = magic === 1 ? getInt64(view, pos) : NO_TIMESTAMP;
  if (magic === 1) pos += TIMESTAMP_BYTES;
  const key = lengthPrefixed(b, view, pos, end);
  pos += 4 + (key?.length ?? 0);
  const value = lengthPrefixed(b, view, pos, end);
  pos += 4 + (value?.length ?? 0);
  if (pos !== end) throw corrupt(`message at byte ${at}: key and value do not fill its size`);
  if (codec === 0) {
    out.records.push({ timestampMs, key, value });
    return;
  }
  if (wrapperMagic !== null) throw new Refused({ kind: "invalid", reason: "a compressed message inside a compressed message" });
  if (!isCodec(codec) || codec === Codec.zstd) throw new Refused({ kind: "compression", reason: `compression codec ${codec} does not exist in message format v${magic} (zstd needs v2)` });
  if (value === null) throw new Refused({ kind: "invalid", reason: "a compressed message with a null value" });
  const inner = decompressOrRefuse(codec, value, out.plainBytesLeft);
  out.plainBytesLeft -= inner.length;
  readMessages(inner, magic, out);
  out.codec = codec;
}

/** Any failure to decompress what a client sent is its corrupt message (the output bound included). */
function decompressOrRefuse(codec: CodecId, value: Uint8Array, plainBytesMax: number): Uint8Array {
  try {
    return decompress(codec, value, plainBytesMax);
  } catch (error) {
    throw new Refused({ kind: "corrupt", reason: `compressed message set (codec ${codec}) does not decompress: ${(error as Error).message}` });
  }
}

function lengthPrefixed(b: Uint8Array, view: DataView, pos: number, end: number): Uint8Array | null {
  if (end - pos < 4) throw corrupt("key or value length past the message end");
  const length = view.getInt32(pos);
  if (length === -1) return null;
  if (length < 0 || pos + 4 + length > end) throw corrupt(`key or value length ${length} past the message end`);
  return b.subarray(pos + 4, pos + 4 + length);
}

function corrupt(reason: string): Refused {
  return new Refused({ kind: "corrupt", reason });
}

// ---- down-conversion (fetch) ----------------------------------------------------------

/**
 * Uncompressed messages of `toMagic` (0 or 1) for the records of the stored v2 `batches` at or
 * past `fromOffset`, whole messages only and within `bytesMax` (but always the first, so a
 * consumer is never stuck). Headers and control batches are dropped: old formats have neither.
 * Null when a batch is zstd, which no client of these formats can read (Kafka answers
 * UNSUPPORTED_COMPRESSION_TYPE).
 */
export function downConvert(batches: Uint8Array, toMagic: 0 | 1, fromOffset: number, bytesMax: number, plainBytesMax: number): Uint8Array | null {
  const out = new MessageSink();
  let zstd = false;
  scanBatches(batches, 0, (at, size) => {
    const attrs = attributes(batches, at);
    if ((attrs & ATTR_CONTROL) !== 0) return true;
    const codec = attrs & ATTR_COMPRESSION_MASK;
    if (codec === Codec.zstd || !isCodec(codec)) return !(zstd = true);
    const stored = batches.subarray(at + BATCH_HEADER_BYTES, at + size);
    const payload = decompress(codec, stored, plainBytesMax);
    const logAppendTime = (attrs & ATTR_TIMESTAMP_LOG_APPEND) !== 0;
    const batchTimeMs = logAppendTime ? maxTimestamp(batches, at) : -1;
    const base = baseOffset(batches, at);
    const firstTimestampMs = baseTimestamp(batches, at);
    return forEachRecord(payload, recordsCount(batches, at), (offsetDelta, timestampDelta, key, value) => {
      if (base + offsetDelta < fromOffset) return true;
      const timestampMs = logAppendTime ? batchTimeMs : firstTimestampMs + timestampDelta;
      const bytes = messageBytes(toMagic, key, value);
      if (out.length > 0 && out.length + bytes > bytesMax) return false;
      out.message(base + offsetDelta, toMagic, logAppendTime && toMagic === 1, timestampMs, key, value);
      return true;
    });
  });
  return zstd ? null : out.take();
}

function messageBytes(magic: number, key: Uint8Array | null, value: Uint8Array | null): number {
  return MESSAGE_HEADER_BYTES + (magic === 1 ? TIMESTAMP_BYTES : 0) + 8 + (key?.length ?? 0) + (value?.length ?? 0);
}

type OnRecord = (offsetDelta: number, timestampDelta: number, key: Uint8Array | null, value: Uint8Array | null) => boolean;

/**
 * Walks the records of an uncompressed v2 payload; stops early when `onRecord` returns false.
 * Record: length varint · attributes i8 · timestampDelta varlong · offsetDelta varint ·
 * key (varint length, -1 null) · value · headers count varint · headers.
 */
function forEachRecord(payload: Uint8Array, count: number, onRecord: OnRecord): boolean {
  const cursor = { pos: 0 };
  for (let i = 0; i < count && cursor.pos < payload.length; i++) {
    const length = varint(payload, cursor);
    const next = cursor.pos + length;
    if (length < 0 || next > payload.length) return false; // stored batches passed their CRC; a short one ends the walk
    cursor.pos++; // record attributes: unused
    const timestampDelta = varint(payload, cursor);
    const offsetDelta = varint(payload, cursor);
    const key = varintBytes(payload, cursor);
    const value = varintBytes(payload, cursor);
    cursor.pos = next; // headers: dropped
    if (!onRecord(offsetDelta, timestampDelta, key, value)) return false;
  }
  return true;
}

function varintBytes(b: Uint8Array, cursor: { pos: number }): Uint8Array | null {
  const length = varint(b, cursor);
  if (length < 0) return null;
  const bytes = b.subarray(cursor.pos, cursor.pos + length);
  cursor.pos += length;
  return bytes;
}

/** Zigzag varint/varlong (up to 2^53) at cursor.pos; advances the cursor. */
function varint(b: Uint8Array, cursor: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const byte = b[cursor.pos++] ?? 0;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) break;
    scale *= 128;
  }
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Growable buffer of legacy messages. */
class MessageSink {
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  message(offset: number, magic: number, logAppendTime: boolean, timestampMs: number, key: Uint8Array | null, value: Uint8Array | null): void {
    const size = messageBytes(magic, key, value);
    this.reserve(size);
    const at = this.length;
    setInt64(this.view, at, offset);
    this.view.setInt32(at + 8, size - LOG_OVERHEAD_BYTES);
    this.view.setInt8(at + MAGIC_AT, magic);
    this.view.setInt8(at + ATTRIBUTES_AT, logAppendTime ? ATTR_TIMESTAMP_LOG_APPEND : 0);
    let pos = at + ATTRIBUTES_AT + 1;
    if (magic === 1) {
      setInt64(this.view, pos, timestampMs);
      pos += TIMESTAMP_BYTES;
    }
    pos = this.lengthPrefixed(pos, key);
    this.lengthPrefixed(pos, value);
    this.view.setUint32(at + CRC_AT, Bun.hash.crc32(this.bytes.subarray(at + MAGIC_AT, at + size)));
    this.length += size;
  }

  take(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  private lengthPrefixed(pos: number, data: Uint8Array | null): number {
    this.view.setInt32(pos, data === null ? -1 : data.length);
    if (data !== null) this.bytes.set(data, pos + 4);
    return pos + 4 + (data?.length ?? 0);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
}

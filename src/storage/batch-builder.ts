/**
 * Encodes magic-v2 record batches exactly per the Kafka spec (zigzag varints, CRC-32C).
 * For tests, benchmarks and the load generator; the broker builds batches only to convert
 * legacy message sets (message-set.ts) and to write transaction markers (control-batch.ts),
 * never on the v2 produce path.
 */
import { crc32c } from "../base/crc32c.ts";
import { compress, type CodecId } from "./compression.ts";
import { BATCH_HEADER_BYTES, Field, LOG_OVERHEAD_BYTES } from "./record-batch.ts";
import { setInt64 } from "../base/bytes.ts";

export interface RecordHeader {
  key: string;
  value: Uint8Array | string | null;
}

export interface BuildRecord {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  /** Milliseconds after the batch's base timestamp. */
  timestampDelta?: number;
  headers?: RecordHeader[];
}

export interface BuildBatchOptions {
  baseOffset?: number;
  baseTimestamp?: number;
  records: BuildRecord[];
  /** Kafka codec id: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression?: CodecId;
  /** The header's max timestamp as a producer might write it (default: the records' largest). */
  maxTimestamp?: number;
  logAppendTime?: boolean;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  transactional?: boolean;
  /** A control batch (transaction markers); its records carry control keys. */
  control?: boolean;
}

const encoder = new TextEncoder();

function toBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === "string" ? encoder.encode(v) : v;
}

/** Growable byte sink with zigzag varint writers. */
class Sink {
  bytes = new Uint8Array(256);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
  byte(v: number): void {
    this.reserve(1);
    this.bytes[this.length++] = v & 0xff;
  }
  raw(v: Uint8Array): void {
    this.reserve(v.length);
    this.bytes.set(v, this.length);
    this.length += v.length;
  }
  /** Zigzag varint/varlong; numbers up to 2^53 use arithmetic instead of 32-bit ops. */
  varint(v: number): void {
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    while (z >= 0x80) {
      this.byte((z % 0x80) | 0x80);
      z = Math.floor(z / 0x80);
    }
    this.byte(z);
  }
  nullableBytes(v: Uint8Array | string | null | undefined): void {
    if (v === null || v === undefined) return this.varint(-1);
    const b = toBytes(v);
    this.varint(b.length);
    this.raw(b);
  }
  take(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

function encodeRecord(out: Sink, record: BuildRecord, offsetDelta: number): void {
  const body = new Sink();
  body.byte(0); // record attributes: unused
  body.varint(record.timestampDelta ?? 0);
  body.varint(offsetDelta);
  body.nullableBytes(record.key);
  body.nullableBytes(record.value);
  const headers = record.headers ?? [];
  body.varint(headers.length);
  for (const h of headers) {
    body.nullableBytes(h.key);
    body.nullableBytes(h.value);
  }
  out.varint(body.length);
  out.raw(body.take());
}

/** Encodes one batch; returns fresh bytes with a correct CRC. */
export function buildBatch(opts: BuildBatchOptions): Uint8Array {
  const records = new Sink();
  opts.records.forEach((r, i) => encodeRecord(records, r, i));
  const compression = opts.compression ?? 0;
  const payload = compress(compression, records.take());
  const bytes = new Uint8Array(BATCH_HEADER_BYTES + payload.length);
  const dv = new DataView(bytes.buffer);
  const baseTimestamp = opts.baseTimestamp ?? 0;
  let maxDelta = 0;
  for (const r of opts.records) maxDelta = Math.max(maxDelta, r.timestampDelta ?? 0);
  let attributes = compression;
  if (opts.logAppendTime) attributes |= 0x08;
  if (opts.transactional) attributes |= 0x10;
  if (opts.control) attributes |= 0x20;
  setInt64(dv, Field.baseOffset, opts.baseOffset ?? 0);
  dv.setInt32(Field.batchLength, bytes.length - LOG_OVERHEAD_BYTES);
  dv.setInt32(Field.partitionLeaderEpoch, opts.partitionLeaderEpoch ?? -1);
  dv.setInt8(Field.magic, 2);
  dv.setInt16(Field.attributes, attributes);
  dv.setInt32(Field.lastOffsetDelta, opts.records.length - 1);
  setInt64(dv, Field.baseTimestamp, baseTimestamp);
  setInt64(dv, Field.maxTimestamp, opts.maxTimestamp ?? baseTimestamp + maxDelta);
  setInt64(dv, Field.producerId, opts.producerId ?? -1);
  dv.setInt16(Field.producerEpoch, opts.producerEpoch ?? -1);
  dv.setInt32(Field.baseSequence, opts.baseSequence ?? -1);
  dv.setInt32(Field.recordsCount, opts.records.length);
  bytes.set(payload, BATCH_HEADER_BYTES);
  dv.setUint32(Field.crc, crc32c(bytes.subarray(Field.attributes)));
  return bytes;
}


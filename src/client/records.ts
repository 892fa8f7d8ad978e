/**
 * Records in and out of magic-v2 batches, for the client: batches are built with
 * `storage/batch-builder.ts` and compressed with `storage/compression.ts` (gzip, snappy, lz4,
 * zstd); fetched batches are read here record by record, decompression bounded.
 */
import { buildBatch, type BuildRecord } from "../storage/batch-builder.ts";
import { Codec, decompress, DecompressionError, isCodec } from "../storage/compression.ts";
import {
  ATTR_COMPRESSION_MASK, ATTR_CONTROL, BATCH_HEADER_BYTES, attributes, baseOffset, baseTimestamp, batchSizeBytes,
  magic, partitionLeaderEpoch, producerEpoch, producerId, recordsCount,
} from "../storage/record-batch.ts";

/** Compression codecs this client writes and reads: Kafka's, as the broker's storage/compression.ts implements them. */
export const Compression = Codec;
export type CompressionName = keyof typeof Codec;

export interface Header {
  key: string;
  value: Uint8Array | null;
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  timestampMs: number;
  leaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  attributes: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Header[];
}

export interface ProduceRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Header[];
}

/** One batch of `records`, timestamped `nowMs`, its records compressed with `compression`. */
export function encodeBatch(records: ProduceRecord[], compression: CompressionName, nowMs: number): Uint8Array {
  const build: BuildRecord[] = records.map((r) => ({ key: r.key, value: r.value, headers: r.headers }));
  return buildBatch({ baseTimestamp: nowMs, records: build, compression: Codec[compression] });
}

export class RecordDecodeError extends Error {
  override name = "RecordDecodeError";
}

/** Every record of the whole batches in `bytes` (a trailing partial batch is skipped, as Kafka clients do). Control batches are skipped. */
export function decodeRecords(bytes: Uint8Array | null, partition: number): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  if (bytes === null) return out;
  let at = 0;
  while (bytes.length - at >= BATCH_HEADER_BYTES) {
    const size = batchSizeBytes(bytes, at);
    if (size < BATCH_HEADER_BYTES || bytes.length - at < size) break;
    if (magic(bytes, at) !== 2) throw new RecordDecodeError(`batch at offset ${baseOffset(bytes, at)} has magic ${magic(bytes, at)}; only magic 2 is read`);
    if ((attributes(bytes, at) & ATTR_CONTROL) === 0) decodeBatch(bytes.subarray(at, at + size), partition, out);
    at += size;
  }
  return out;
}

function decodeBatch(batch: Uint8Array, partition: number, out: ConsumedRecord[]): void {
  const attrs = attributes(batch);
  const payload = inflate(attrs & ATTR_COMPRESSION_MASK, batch.subarray(BATCH_HEADER_BYTES), baseOffset(batch));
  const base = { offset: baseOffset(batch), timestampMs: baseTimestamp(batch) };
  const fixed = { partition, leaderEpoch: partitionLeaderEpoch(batch), producerId: producerId(batch), producerEpoch: producerEpoch(batch), attributes: attrs };
  const cursor = new Cursor(payload);
  const count = recordsCount(batch);
  for (let i = 0; i < count; i++) {
    const length = cursor.varint();
    const end = cursor.at + length;
    cursor.at++; // record attributes: unused
    const timestampMs = base.timestampMs + cursor.varint();
    const offset = base.offset + cursor.varint();
    const key = cursor.bytes();
    const value = cursor.bytes();
    const headers: Header[] = [];
    const headerCount = cursor.varint();
    for (let h = 0; h < headerCount; h++) headers.push({ key: utf8.decode(cursor.bytes() ?? new Uint8Array(0)), value: cursor.bytes() });
    if (end > payload.length) throw new RecordDecodeError(`record at offset ${offset} runs past its batch`);
    cursor.at = end;
    out.push({ ...fixed, offset, timestampMs, key, value, headers });
  }
}

function inflate(codec: number, payload: Uint8Array, batchOffset: number): Uint8Array {
  if (!isCodec(codec)) throw new RecordDecodeError(`batch at offset ${batchOffset} has unknown compression codec ${codec}`);
  try {
    return decompress(codec, payload);
  } catch (error) {
    if (error instanceof DecompressionError) throw new RecordDecodeError(`batch at offset ${batchOffset}: ${error.message}`);
    throw error;
  }
}

const utf8 = new TextDecoder();

/** Zigzag varints and varint-length byte strings over a record payload; every read is bounds-checked. */
class Cursor {
  at = 0;
  constructor(private readonly data: Uint8Array) {}

  varint(): number {
    let raw = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.data[this.at++];
      if (b === undefined) throw new RecordDecodeError("record varint runs past its batch");
      raw += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      scale *= 128;
    }
    throw new RecordDecodeError("record varint longer than 10 bytes");
  }

  bytes(): Uint8Array | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.at + length > this.data.length) throw new RecordDecodeError("record field runs past its batch");
    const out = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}

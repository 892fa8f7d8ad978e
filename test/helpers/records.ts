/**
 * A small, independent reader of magic-v2 record batches (as fetched), so tests
 * check what the broker returned without trusting the broker's own code. Handles
 * uncompressed, gzip and zstd batches (node:zlib); other codecs through `inflate`.
 */
import { gunzipSync, zstdDecompressSync } from "node:zlib";

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
}

const utf8 = new TextDecoder();
const BATCH_HEADER_BYTES = 61;

class Cursor {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  varint(): number {
    let shift = 1;
    let raw = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.bytes[this.at++];
      if (b === undefined) throw new Error("varint past end");
      raw += (b & 0x7f) * shift;
      shift *= 128;
      if ((b & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    throw new Error("varint too long");
  }
  string(): string | null {
    const n = this.varint();
    if (n < 0) return null;
    const s = utf8.decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
}

function int64(dv: DataView, pos: number): number {
  return dv.getInt32(pos) * 4294967296 + dv.getUint32(pos + 4);
}

/** Decodes every whole batch in `bytes` (a trailing partial batch is ignored, as clients do). */
export function decodeBatches(bytes: Uint8Array | null, inflate?: (codec: number, payload: Uint8Array) => Uint8Array): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  if (bytes === null) return out;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (bytes.length - at >= BATCH_HEADER_BYTES) {
    const size = dv.getInt32(at + 8) + 12;
    if (bytes.length - at < size) break;
    if (dv.getInt8(at + 16) !== 2) throw new Error(`magic ${dv.getInt8(at + 16)} at ${at}`);
    const baseOffset = int64(dv, at);
    const attributes = dv.getInt16(at + 21);
    const baseTimestamp = int64(dv, at + 27);
    const count = dv.getInt32(at + 57);
    let payload = bytes.subarray(at + BATCH_HEADER_BYTES, at + size);
    const codec = attributes & 0x07;
    if (inflate !== undefined && codec !== 0) payload = inflate(codec, payload);
    else if (codec === 1) payload = new Uint8Array(gunzipSync(payload));
    else if (codec === 4) payload = new Uint8Array(zstdDecompressSync(payload));
    else if (codec !== 0) throw new Error(`compression ${codec} not handled by the test decoder`);
    const cursor = new Cursor(payload);
    for (let i = 0; i < count; i++) {
      const length = cursor.varint();
      const end = cursor.at + length;
      cursor.at++; // attributes
      const timestampDelta = cursor.varint();
      const offsetDelta = cursor.varint();
      const key = cursor.string();
      const value = cursor.string();
      const headers: Array<[string, string | null]> = [];
      const headerCount = cursor.varint();
      for (let h = 0; h < headerCount; h++) headers.push([cursor.string() ?? "", cursor.string()]);
      cursor.at = end;
      out.push({ offset: baseOffset + offsetDelta, timestamp: baseTimestamp + timestampDelta, key, value, headers });
    }
    at += size;
  }
  return out;
}

import { limits } from "../base/limits.ts";
import { ProtocolError } from "./errors.ts";

const TWO_POW_32 = 0x1_0000_0000;
// Scratch for float64: a DataView per Reader costs more than the reads it would serve.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder();
/** Byte → two hex digits, so a uuid decodes without per-byte string formatting. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Big-endian reads over one received frame. Every length and count read from the
 * wire is checked against the bytes left before it is used, so a hostile frame
 * cannot make the broker allocate or loop past what it sent. Bytes come back as
 * views into the frame (never copies): record batches stay where they arrived.
 */
export class Reader {
  readonly bytes: Uint8Array;
  offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
  }

  get remainingBytes(): number {
    return this.bytes.length - this.offset;
  }

  /** Claims `sizeBytes` and returns where they start; throws if the frame is shorter. */
  private take(sizeBytes: number): number {
    const start = this.offset;
    if (sizeBytes > this.bytes.length - start) {
      throw new ProtocolError(`read of ${sizeBytes} bytes at ${start} past end of ${this.bytes.length}`);
    }
    this.offset = start + sizeBytes;
    return start;
  }

  skip(sizeBytes: number): void {
    this.take(sizeBytes);
  }

  int8(): number {
    return (this.bytes[this.take(1)]! << 24) >> 24;
  }
  bool(): boolean {
    return this.bytes[this.take(1)] !== 0;
  }
  int16(): number {
    const at = this.take(2);
    return ((this.bytes[at]! << 24) >> 16) | this.bytes[at + 1]!;
  }
  uint16(): number {
    const at = this.take(2);
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }
  int32(): number {
    return this.int32At(this.take(4));
  }
  uint32(): number {
    return this.int32At(this.take(4)) >>> 0;
  }
  /** Exact up to 2^53, the project's convention for offsets, timestamps and producer ids. */
  int64(): number {
    const at = this.take(8);
    return this.int32At(at) * TWO_POW_32 + (this.int32At(at + 4) >>> 0);
  }
  float64(): number {
    const at = this.take(8);
    for (let i = 0; i < 8; i++) f64Bytes[littleEndianHost ? 7 - i : i] = this.bytes[at + i]!;
    return f64[0]!;
  }
  private int32At(at: number): number {
    const b = this.bytes;
    return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  }

  /** Unsigned LEB128, at most 5 bytes (32 bits), as Kafka's ByteUtils.readUnsignedVarint. */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.bytes[this.take(1)]!;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return value >>> 0;
    }
    throw new ProtocolError("varint longer than 5 bytes");
  }
  varint(): number {
    const n = this.uvarint();
    return (n >>> 1) ^ -(n & 1);
  }
  /** Zigzag varlong as a number: exact while |value| < 2^52. */
  varlong(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.bytes[this.take(1)]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value % 2 === 1 ? -(value + 1) / 2 : value / 2;
      scale *= 128;
    }
    throw new ProtocolError("varlong longer than 10 bytes");
  }

  uuid(): string {
    const at = this.take(16);
    const b = this.bytes;
    let s = "";
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
      s += HEX[b[at + i]!];
    }
    return s;
  }

  /** int16 length; -1 is null only where the field is nullable. */
  string(): string {
    return this.utf8(this.length(this.int16(), false));
  }
  nullableString(): string | null {
    const n = this.length(this.int16(), true);
    return n < 0 ? null : this.utf8(n);
  }
  /** uvarint length + 1; 0 is null only where the field is nullable. */
  compactString(): string {
    return this.utf8(this.length(this.uvarint() - 1, false));
  }
  compactNullableString(): string | null {
    const n = this.length(this.uvarint() - 1, true);
    return n < 0 ? null : this.utf8(n);
  }

  /** int32 length, returned as a view into the frame. */
  bytesField(): Uint8Array {
    return this.sub(this.length(this.int32(), false));
  }
  nullableBytes(): Uint8Array | null {
    const n = this.length(this.int32(), true);
    return n < 0 ? null : this.sub(n);
  }
  compactBytes(): Uint8Array {
    return this.sub(this.length(this.uvarint() - 1, false));
  }
  compactNullableBytes(): Uint8Array | null {
    const n = this.length(this.uvarint() - 1, true);
    return n < 0 ? null : this.sub(n);
  }
  /** A view of the next `sizeBytes` bytes, no copy. */
  rawBytes(sizeBytes: number): Uint8Array {
    return this.sub(this.length(sizeBytes, false));
  }

  /** int32 count; -1 is null only where nullable. Checked before anything is allocated. */
  arrayCount(nullable: boolean): number {
    return this.count(this.int32(), nullable);
  }
  /** uvarint count + 1; 0 is null only where nullable. */
  compactArrayCount(nullable: boolean): number {
    return this.count(this.uvarint() - 1, nullable);
  }

  private count(n: number, nullable: boolean): number {
    if (n === -1 && nullable) return -1;
    // Every element takes at least one byte, so a count above the bytes left is a lie.
    if (n < 0 || n > this.remainingBytes || n > limits.arrayCountMax) {
      throw new ProtocolError(`bad array count ${n} with ${this.remainingBytes} bytes left`);
    }
    return n;
  }

  private length(n: number, nullable: boolean): number {
    if (n === -1 && nullable) return -1;
    if (n < 0 || n > this.remainingBytes) {
      throw new ProtocolError(`bad length ${n} with ${this.remainingBytes} bytes left`);
    }
    return n;
  }

  private sub(sizeBytes: number): Uint8Array {
    const at = this.take(sizeBytes);
    return this.bytes.subarray(at, at + sizeBytes);
  }

  private utf8(sizeBytes: number): string {
    const at = this.take(sizeBytes);
    const b = this.bytes;
    // Short ASCII names (topics, client ids) are most strings; skip the decoder call for them.
    if (sizeBytes <= 32) {
      let s = "";
      for (let i = at; i < at + sizeBytes; i++) {
        const c = b[i]!;
        if (c >= 0x80) return utf8.decode(b.subarray(at, at + sizeBytes));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(b.subarray(at, at + sizeBytes));
  }
}

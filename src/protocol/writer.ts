import { assert } from "../base/assert.ts";

const TWO_POW_32 = 0x1_0000_0000;
// Scratch for float64: a DataView per Writer costs more than the writes it would serve.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UTF-8 length of `s` without encoding it (lone surrogates count as U+FFFD, like TextEncoder). */
export function utf8ByteLength(s: string): number {
  if (s.length > 64) return Buffer.byteLength(s, "utf8");
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Big-endian writes into one growable buffer (doubling), so encoding a message costs
 * a handful of allocations however many fields it has. `finish()` returns a view of
 * the bytes written.
 */
export class Writer {
  private buf: Uint8Array;
  /** Bytes in this writer's own buffer (referred views not counted: see `sizeBytes`). */
  offset = 0;
  /** Views `raw` kept by reference, each with the own-buffer offset it goes before. */
  private readonly referred: Array<{ at: number; bytes: Uint8Array }> = [];
  private referredBytes = 0;

  /**
   * Unzeroed memory: only bytes written are ever exposed, through `finish()`. With `referBytesMin`,
   * `raw` views of at least that many bytes (record batches) are kept by reference, not copied, and
   * `finishParts()` hands them back between the writer's own bytes: the caller must not change them
   * until the parts are used up.
   */
  constructor(initialBytes = 1024, private readonly referBytesMin = Infinity) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Every byte written, own and referred. */
  get sizeBytes(): number {
    return this.offset + this.referredBytes;
  }

  /** Makes room for `sizeBytes` more and returns where they start. */
  private claim(sizeBytes: number): number {
    const at = this.offset;
    const needed = at + sizeBytes;
    if (needed > this.buf.length) this.grow(needed);
    this.offset = needed;
    return at;
  }

  private grow(neededBytes: number): void {
    const next = Buffer.allocUnsafe(Math.max(neededBytes, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.offset));
    this.buf = next;
  }

  /** A plain Uint8Array view of the bytes written (not a Buffer, whose slice() does not copy); referred views are copied in. */
  finish(): Uint8Array {
    if (this.referred.length === 0) return this.ownBytes(0, this.offset);
    const parts = this.finishParts();
    const out = new Uint8Array(this.sizeBytes);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** The bytes written in order, as views: runs of the writer's own buffer and the referred views between them. */
  finishParts(): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let from = 0;
    for (const { at, bytes } of this.referred) {
      if (at > from) parts.push(this.ownBytes(from, at));
      parts.push(bytes);
      from = at;
    }
    if (this.offset > from || parts.length === 0) parts.push(this.ownBytes(from, this.offset));
    return parts;
  }

  private ownBytes(from: number, to: number): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + from, to - from);
  }

  int8(v: number): void {
    this.byte(v & 0xff);
  }
  bool(v: boolean): void {
    this.byte(v ? 1 : 0);
  }
  int16(v: number): void {
    const at = this.claim(2); // claim first: it may replace this.buf
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v;
  }
  uint16(v: number): void {
    this.int16(v);
  }
  int32(v: number): void {
    this.int32At(this.claim(4), v);
  }
  uint32(v: number): void {
    this.int32At(this.claim(4), v);
  }
  /** Numbers up to ±2^53; the high word is floor(v / 2^32) so negatives come out two's complement. */
  int64(v: number): void {
    const at = this.claim(8);
    const high = Math.floor(v / TWO_POW_32);
    this.int32At(at, high);
    this.int32At(at + 4, v - high * TWO_POW_32);
  }
  float64(v: number): void {
    const at = this.claim(8);
    f64[0] = v;
    for (let i = 0; i < 8; i++) this.buf[at + i] = f64Bytes[littleEndianHost ? 7 - i : i]!;
  }
  private int32At(at: number, v: number): void {
    const b = this.buf;
    b[at] = v >>> 24;
    b[at + 1] = v >>> 16;
    b[at + 2] = v >>> 8;
    b[at + 3] = v;
  }

  uvarint(v: number): void {
    let n = v >>> 0;
    while (n >= 0x80) {
      this.byte((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    this.byte(n);
  }
  varint(v: number): void {
    this.uvarint((v << 1) ^ (v >> 31));
  }
  /** Zigzag varlong from a number: exact while |v| < 2^52. */
  varlong(v: number): void {
    let n = v < 0 ? -v * 2 - 1 : v * 2;
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }
  private byte(b: number): void {
    const at = this.claim(1); // claim first: it may replace this.buf
    this.buf[at] = b;
  }

  uuid(v: string): void {
    assert(UUID_PATTERN.test(v), `not a uuid: ${v}`);
    const at = this.claim(16);
    let hex = 0;
    for (let i = 0; i < 16; i++) {
      if (hex === 8 || hex === 13 || hex === 18 || hex === 23) hex++;
      this.buf[at + i] = parseInt(v.slice(hex, hex + 2), 16);
      hex += 2;
    }
  }

  string(v: string): void {
    const n = utf8ByteLength(v);
    this.int16(n);
    this.utf8(v, n);
  }
  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.string(v);
  }
  compactString(v: string): void {
    const n = utf8ByteLength(v);
    this.uvarint(n + 1);
    this.utf8(v, n);
  }
  compactNullableString(v: string | null): void {
    if (v === null) this.uvarint(0);
    else this.compactString(v);
  }

  bytesField(v: Uint8Array): void {
    this.int32(v.length);
    this.raw(v);
  }
  nullableBytes(v: Uint8Array | null): void {
    if (v === null) this.int32(-1);
    else this.bytesField(v);
  }
  compactBytes(v: Uint8Array): void {
    this.uvarint(v.length + 1);
    this.raw(v);
  }
  compactNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.uvarint(0);
    else this.compactBytes(v);
  }
  /** Copies `v` as is, no length prefix (or, at least `referBytesMin` long, keeps it by reference). */
  raw(v: Uint8Array): void {
    if (v.length >= this.referBytesMin) {
      this.referred.push({ at: this.offset, bytes: v });
      this.referredBytes += v.length;
      return;
    }
    const at = this.claim(v.length); // claim first: it may replace this.buf
    this.buf.set(v, at);
  }

  arrayCount(count: number | null): void {
    this.int32(count === null ? -1 : count);
  }
  compactArrayCount(count: number | null): void {
    this.uvarint(count === null ? 0 : count + 1);
  }

  /** Reserves an int32 size prefix; `patchSize` fills it with the bytes written after it. */
  reserveSize(): number {
    return this.claim(4);
  }
  patchSize(at: number): void {
    let referredAfter = 0;
    for (const r of this.referred) if (r.at > at) referredAfter += r.bytes.length;
    this.int32At(at, this.offset - at - 4 + referredAfter);
  }

  private utf8(v: string, sizeBytes: number): void {
    const at = this.claim(sizeBytes);
    if (sizeBytes === v.length && sizeBytes <= 32) {
      // ASCII: a plain loop beats the encoder call for short names.
      for (let i = 0; i < sizeBytes; i++) this.buf[at + i] = v.charCodeAt(i);
      return;
    }
    utf8.encodeInto(v, this.buf.subarray(at, at + sizeBytes));
  }
}

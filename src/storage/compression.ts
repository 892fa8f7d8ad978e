/**
 * Kafka's record compression codecs (the low 3 bits of a batch's attributes): 1 gzip, 2 snappy,
 * 3 lz4, 4 zstd. Decompression is bounded: output past `outputBytesMax` (a decompression bomb)
 * stops the decoder and throws a DecompressionError naming the limit.
 *
 * - gzip and zstd: node:zlib, built into Bun, whose `maxOutputLength` stops early. Bun's zstd
 *   decoder answers a truncated frame with the part it could decode and no error, so the frame
 *   structure (block headers) is walked first and must end exactly at the end of the data.
 * - snappy: the raw snappy block format from `snappyjs` (pure JS). Kafka's Java client writes the
 *   xerial/snappy-java framing (`\x82SNAPPY\0`, version, compatible version, then length-prefixed raw
 *   blocks); librdkafka writes one raw block. Both are decoded; compress writes xerial framing
 *   with 32 KiB blocks as the Java client does (librdkafka, kafkajs-snappy and Java read both).
 * - lz4: the LZ4 frame format. Frames are written here as Kafka's Java client writes them
 *   (KafkaLZ4BlockOutputStream: independent 64 KiB blocks, no checksums but the header's), each
 *   block compressed by `lz4js` (pure JS), because Java's reader decodes every block on its own.
 *   Decoding is done here, so every length is checked against the limit before a byte is
 *   written. The header checksum is not checked: Kafka's magic-0 LZ4 (KAFKA-3160) computed it
 *   over the magic number too (a "broken" checksum), and Kafka reads either for magic 0. For a
 *   magic-0 message set sent to a 0.8/0.9 client, `lz4FrameCompress(bytes, true)` writes that
 *   broken checksum; `compress` writes the correct (magic 1+) one. Block and content checksums
 *   are skipped on read: the batch's CRC-32C already covers the compressed bytes.
 */
import { constants as zlibConstants, gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { compressBlock as lz4CompressBlock, compressBound as lz4CompressBound } from "lz4js";
import { hash as xxh32 } from "lz4js/xxh32.js";
import { compress as snappyCompress, uncompress as snappyUncompress } from "snappyjs";
import { concatBytes } from "../base/bytes.ts";
import { limits } from "../base/limits.ts";

export const Codec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];
export const CODEC_NAMES: Record<CodecId, string> = { 0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd" };

/** Bytes that do not decode with their codec, or decode to more than the limit allows. */
export class DecompressionError extends Error {
  override name = "DecompressionError";
}

export function isCodec(id: number): id is CodecId {
  return Number.isInteger(id) && id >= 0 && id <= 4;
}

/**
 * `level`: gzip 1–9 (-1: zlib's default), zstd -131072–22 (Kafka's compression.*.level); other
 * codecs have one level here (lz4js has no high-compression mode).
 */
export function compress(codec: CodecId, bytes: Uint8Array, level?: number): Uint8Array {
  switch (codec) {
    case Codec.none:
      return bytes;
    case Codec.gzip:
      return asUint8(gzipSync(bytes, level === undefined ? {} : { level }));
    case Codec.snappy:
      return xerialCompress(bytes);
    case Codec.lz4:
      return lz4FrameCompress(bytes);
    case Codec.zstd:
      return asUint8(zstdCompressSync(bytes, level === undefined ? {} : { params: { [zlibConstants.ZSTD_c_compressionLevel]: level } }));
  }
}

export function decompress(codec: CodecId, bytes: Uint8Array, outputBytesMax: number = limits.decompressedBatchBytesMax): Uint8Array {
  switch (codec) {
    case Codec.none:
      return bytes;
    case Codec.gzip:
      return zlibBounded("gzip", () => gunzipSync(bytes, { maxOutputLength: outputBytesMax }), outputBytesMax);
    case Codec.zstd:
      checkZstdFramesWhole(bytes);
      return zlibBounded("zstd", () => zstdDecompressSync(bytes, { maxOutputLength: outputBytesMax }), outputBytesMax);
    case Codec.snappy:
      return snappyDecompress(bytes, outputBytesMax);
    case Codec.lz4:
      return lz4FrameDecompress(bytes, outputBytesMax);
  }
}

function tooLarge(codec: string, outputBytesMax: number): DecompressionError {
  return new DecompressionError(`${codec} data decompresses to more than decompressedBatchBytesMax (${outputBytesMax} bytes)`);
}

function zlibBounded(codec: string, run: () => Uint8Array, outputBytesMax: number): Uint8Array {
  try {
    return asUint8(run());
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(codec, outputBytesMax);
    throw new DecompressionError(`${codec} data is invalid: ${(error as Error).message}`);
  }
}

/** A plain Uint8Array view (snappyjs answers in kind: a Buffer in gets a Buffer out). */
function asUint8(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// --- snappy ------------------------------------------------------------------------------------

const XERIAL_MAGIC = new Uint8Array([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, version i32, compatible version i32. */
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's SnappyOutputStream default block size, which Kafka's Java client uses. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

function isXerial(b: Uint8Array): boolean {
  if (b.length < XERIAL_HEADER_BYTES) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (b[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

function snappyDecompress(bytes: Uint8Array, outputBytesMax: number): Uint8Array {
  if (!isXerial(bytes)) return snappyBlock(bytes, outputBytesMax);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: Uint8Array[] = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < bytes.length) {
    if (bytes.length - at < 4) throw new DecompressionError("snappy (xerial) data ends inside a block length");
    const length = dv.getInt32(at);
    at += 4;
    if (length < 0 || length > bytes.length - at) throw new DecompressionError(`snappy (xerial) block length ${length} runs past the data`);
    const block = snappyBlock(bytes.subarray(at, at + length), outputBytesMax - total, outputBytesMax);
    total += block.length;
    blocks.push(block);
    at += length;
  }
  return concatBytes(blocks);
}

function snappyBlock(bytes: Uint8Array, remainingBytes: number, outputBytesMax = remainingBytes): Uint8Array {
  try {
    return asUint8(snappyUncompress(asUint8(bytes), remainingBytes));
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes("too big")) throw tooLarge("snappy", outputBytesMax);
    throw new DecompressionError(`snappy data is invalid: ${message}`);
  }
}

function xerialCompress(bytes: Uint8Array): Uint8Array {
  const header = new Uint8Array(XERIAL_HEADER_BYTES);
  header.set(XERIAL_MAGIC);
  const hv = new DataView(header.buffer);
  hv.setInt32(8, 1); // version
  hv.setInt32(12, 1); // compatible version
  const parts: Uint8Array[] = [header];
  for (let at = 0; at < bytes.length; at += XERIAL_BLOCK_BYTES) {
    const block = asUint8(snappyCompress(asUint8(bytes.subarray(at, at + XERIAL_BLOCK_BYTES))));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setInt32(0, block.length);
    parts.push(length, block);
  }
  return concatBytes(parts);
}

// --- lz4 frames -------------------------------------------------------------------------------

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_FLG_VERSION_MASK = 0xc0;
const LZ4_FLG_VERSION = 0x40;
const LZ4_FLG_BLOCK_CHECKSUM = 0x10;
const LZ4_FLG_CONTENT_SIZE = 0x08;
const LZ4_FLG_CONTENT_CHECKSUM = 0x04;
const LZ4_FLG_DICT_ID = 0x01;
const LZ4_BLOCK_UNCOMPRESSED = 0x80000000;
const LZ4_MIN_MATCH = 4;

/** FLG: version 01, blocks independent; BD: 64 KiB blocks (what Kafka's Java client writes). */
const LZ4_WRITE_FLG = 0x60;
const LZ4_WRITE_BD = 4 << 4;
const LZ4_WRITE_BLOCK_BYTES = 64 * 1024;
const LZ4_HASH_TABLE_ENTRIES = 1 << 16;

/**
 * One LZ4 frame of independent 64 KiB blocks. `brokenHeaderChecksum`: the checksum Kafka's
 * magic-0 writer computed (over the magic number and the descriptor, KAFKA-3160).
 */
export function lz4FrameCompress(bytes: Uint8Array, brokenHeaderChecksum = false): Uint8Array {
  const header = new Uint8Array(7);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, LZ4_FRAME_MAGIC, true);
  header[4] = LZ4_WRITE_FLG;
  header[5] = LZ4_WRITE_BD;
  header[6] = (xxh32(0, header, brokenHeaderChecksum ? 0 : 4, brokenHeaderChecksum ? 6 : 2) >>> 8) & 0xff;
  const parts: Uint8Array[] = [header];
  const hashTable = new Uint32Array(LZ4_HASH_TABLE_ENTRIES);
  const scratch = new Uint8Array(lz4CompressBound(LZ4_WRITE_BLOCK_BYTES));
  for (let at = 0; at < bytes.length; at += LZ4_WRITE_BLOCK_BYTES) {
    const chunk = bytes.subarray(at, at + LZ4_WRITE_BLOCK_BYTES);
    hashTable.fill(0); // independent blocks: no match reaches into an earlier one
    const packed = lz4CompressBlock(chunk, scratch, 0, chunk.length, hashTable);
    const stored = packed === 0 || packed >= chunk.length;
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, stored ? (LZ4_BLOCK_UNCOMPRESSED | chunk.length) >>> 0 : packed, true);
    parts.push(size, stored ? chunk : scratch.slice(0, packed));
  }
  parts.push(new Uint8Array(4)); // end mark
  return concatBytes(parts);
}

/** Reads one or more concatenated LZ4 frames. */
function lz4FrameDecompress(src: Uint8Array, outputBytesMax: number): Uint8Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const out = new GrowableOutput(outputBytesMax);
  let at = 0;
  const need = (n: number) => {
    if (src.length - at < n) throw new DecompressionError("lz4 frame ends early");
  };
  do {
    need(7);
    if (dv.getUint32(at, true) !== LZ4_FRAME_MAGIC) throw new DecompressionError("lz4 data does not start with the frame magic number");
    const flg = src[at + 4]!;
    if ((flg & LZ4_FLG_VERSION_MASK) !== LZ4_FLG_VERSION) throw new DecompressionError(`lz4 frame version ${(flg & LZ4_FLG_VERSION_MASK) >> 6} is not 1`);
    at += 6 + (flg & LZ4_FLG_CONTENT_SIZE ? 8 : 0) + (flg & LZ4_FLG_DICT_ID ? 4 : 0) + 1; // + header checksum
    if (flg & LZ4_FLG_DICT_ID) throw new DecompressionError("lz4 frames with a dictionary are not supported");
    for (;;) {
      need(4);
      const word = dv.getUint32(at, true);
      at += 4;
      if (word === 0) break;
      const size = word & ~LZ4_BLOCK_UNCOMPRESSED & 0x7fffffff;
      need(size + (flg & LZ4_FLG_BLOCK_CHECKSUM ? 4 : 0));
      if (word & LZ4_BLOCK_UNCOMPRESSED) out.literals(src, at, size);
      else lz4Block(src, at, at + size, out);
      at += size + (flg & LZ4_FLG_BLOCK_CHECKSUM ? 4 : 0);
    }
    if (flg & LZ4_FLG_CONTENT_CHECKSUM) {
      need(4);
      at += 4;
    }
  } while (at < src.length);
  return out.take();
}

/** Decodes one LZ4 block src[from..end) onto out; matches may reach into earlier blocks. */
function lz4Block(src: Uint8Array, from: number, end: number, out: GrowableOutput): void {
  const cursor = { at: from };
  while (cursor.at < end) {
    const token = src[cursor.at++]!;
    const literals = lz4Length(src, cursor, end, token >> 4, "literal length");
    if (literals > end - cursor.at) throw new DecompressionError("lz4 literals run past the block");
    out.literals(src, cursor.at, literals);
    cursor.at += literals;
    if (cursor.at >= end) return; // the last sequence has literals only
    if (end - cursor.at < 2) throw new DecompressionError("lz4 block ends inside a match offset");
    const offset = src[cursor.at]! | (src[cursor.at + 1]! << 8);
    cursor.at += 2;
    out.match(offset, lz4Length(src, cursor, end, token & 15, "match length") + LZ4_MIN_MATCH);
  }
}

/** A token's 4-bit length; 15 continues in bytes that add up while they are 255. */
function lz4Length(src: Uint8Array, cursor: { at: number }, end: number, nibble: number, what: string): number {
  let length = nibble;
  if (nibble !== 15) return length;
  let byte: number;
  do {
    if (cursor.at >= end) throw new DecompressionError(`lz4 block ends inside a ${what}`);
    byte = src[cursor.at++]!;
    length += byte;
  } while (byte === 255);
  return length;
}

/** Output that doubles as it fills, never past `max` bytes. */
class GrowableOutput {
  private bytes = new Uint8Array(64 * 1024);
  private length = 0;
  constructor(private readonly max: number) {}

  private reserve(n: number): void {
    if (this.length + n > this.max) throw tooLarge("lz4", this.max);
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.min(this.max, Math.max(this.bytes.length * 2, this.length + n)));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  literals(src: Uint8Array, at: number, n: number): void {
    this.reserve(n);
    this.bytes.set(src.subarray(at, at + n), this.length);
    this.length += n;
  }

  match(offset: number, n: number): void {
    if (offset === 0 || offset > this.length) throw new DecompressionError(`lz4 match offset ${offset} points before the output`);
    this.reserve(n);
    const b = this.bytes;
    let from = this.length - offset;
    if (offset >= n) {
      b.copyWithin(this.length, from, from + n);
      this.length += n;
      return;
    }
    for (let i = 0; i < n; i++) b[this.length++] = b[from++]!; // overlapping: byte by byte
  }

  take(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

// --- zstd frame walk -----------------------------------------------------------------------------

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const ZSTD_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;
const ZSTD_BLOCK_RLE = 1;
const ZSTD_BLOCK_RESERVED = 3;

/** Throws unless `src` is one or more whole zstd (or skippable) frames and nothing else. */
function checkZstdFramesWhole(src: Uint8Array): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (src.length - at < n) throw new DecompressionError("zstd frame ends early");
  };
  do {
    need(4);
    const magic = dv.getUint32(at, true);
    at += 4;
    if ((magic & ZSTD_SKIPPABLE_MAGIC_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC) {
      need(4);
      at += 4 + dv.getUint32(at, true);
      need(0);
      continue;
    }
    if (magic !== ZSTD_FRAME_MAGIC) throw new DecompressionError("zstd data does not start with the frame magic number");
    need(1);
    const descriptor = src[at++]!;
    const singleSegment = (descriptor & 0x20) !== 0;
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
    at += (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]! + contentSizeBytes;
    for (let last = false; !last; ) {
      need(3);
      const header = src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16);
      at += 3;
      last = (header & 1) !== 0;
      const type = (header >> 1) & 3;
      if (type === ZSTD_BLOCK_RESERVED) throw new DecompressionError("zstd block of reserved type");
      at += type === ZSTD_BLOCK_RLE ? 1 : header >>> 3;
      need(0);
    }
    if (descriptor & 0x04) at += 4; // content checksum
    need(0);
  } while (at < src.length);
}

/**
 * RPC framing: [int32 size][RpcHeader][body], header and body through the schema-driven codec.
 * `FrameCutter` cuts frames out of a byte stream with the size bounded; `readHeader` checks the
 * magic and version before anything else is trusted. Malformed input throws `ProtocolError`,
 * which closes only the connection that sent it.
 */
import { countBigBytes } from "../base/big-buffers.ts";
import { decode, encode } from "../protocol/codec.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { Reader } from "../protocol/reader.ts";
import type { Loose, MessageDef } from "../protocol/schema.ts";
import { Writer } from "../protocol/writer.ts";
import { RPC_MAGIC, RPC_VERSION, RpcHeader } from "./messages/index.ts";

const SIZE_PREFIX_BYTES = 4;
/** A frame up to this size gets its whole buffer when its size prefix arrives (a Raft append of 1 MiB and its header). */
const FRAME_PREALLOCATE_BYTES_MAX = 2 * 1024 * 1024;
/** Byte fields at least this long are sent by reference, not copied into the frame (`encodeFrameParts`). */
const REFER_BYTES_MIN = 16 * 1024;
/** The smallest header that can be whole: magic, version, kind, method, correlation id, group, shard, no tags. */
const HEADER_BYTES_MIN = 4 + 1 + 1 + 2 + 4 + 8 + 2 + 1;

export type HeaderFields = Omit<RpcHeader, "magic" | "version">;

/** Reserves the size prefix and writes the header; the caller writes the body and patches the size. */
function startFrame(header: HeaderFields, writer: Writer): number {
  const sizeAt = writer.reserveSize();
  encode(RpcHeader, 0, { ...header, magic: RPC_MAGIC, version: RPC_VERSION }, writer);
  return sizeAt;
}

/** One whole frame (size prefix included), ready to write. */
export function encodeFrame<T>(header: HeaderFields, def: MessageDef<T>, body: Loose<T>, writer = new Writer(256)): Uint8Array {
  const sizeAt = startFrame(header, writer);
  encode(def, 0, body, writer);
  writer.patchSize(sizeAt);
  return writer.finish();
}

/**
 * One whole frame as parts to write in order: the byte fields of at least REFER_BYTES_MIN (a
 * Raft append's entries) stay views of the caller's bytes, which must not change until written.
 */
export function encodeFrameParts<T>(header: HeaderFields, def: MessageDef<T>, body: Loose<T>): Uint8Array[] {
  const writer = new Writer(256, REFER_BYTES_MIN);
  const sizeAt = startFrame(header, writer);
  encode(def, 0, body, writer);
  writer.patchSize(sizeAt);
  return writer.finishParts();
}

/** A frame whose body is already encoded (a reply handed back by another shard). */
export function encodeRawFrame(header: HeaderFields, body: Uint8Array): Uint8Array {
  const writer = new Writer(64 + body.length);
  const sizeAt = startFrame(header, writer);
  writer.raw(body);
  writer.patchSize(sizeAt);
  return writer.finish();
}

export function encodeBody<T>(def: MessageDef<T>, body: Loose<T>): Uint8Array {
  const writer = new Writer(256);
  encode(def, 0, body, writer);
  return writer.finish();
}

export function decodeBody<T>(def: MessageDef<T>, body: Uint8Array): T {
  const reader = new Reader(body);
  const value = decode(def, 0, reader);
  if (reader.remainingBytes !== 0) throw new ProtocolError(`${def.name}: ${reader.remainingBytes} bytes after the body`);
  return value;
}

/** The header of a frame (without its size prefix) and where its body starts. */
export function readHeader(frame: Uint8Array): { header: RpcHeader; body: Uint8Array } {
  if (frame.length < HEADER_BYTES_MIN) throw new ProtocolError(`frame of ${frame.length} bytes is shorter than a header`);
  const magic = new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0);
  if (magic !== RPC_MAGIC) throw new ProtocolError(`bad magic 0x${(magic >>> 0).toString(16)}: not a skua RPC peer`);
  if (frame[4] !== RPC_VERSION) throw new ProtocolError(`unsupported RPC version ${frame[4]}`);
  const reader = new Reader(frame);
  const header = decode(RpcHeader, 0, reader);
  return { header, body: frame.subarray(reader.offset) };
}

/**
 * A plain Uint8Array (not a Buffer, whose slice() does not copy) over unzeroed memory, counted
 * towards this thread's next collection as the Kafka request frames are (base/big-buffers.ts).
 */
function unzeroed(sizeBytes: number): Uint8Array {
  countBigBytes(sizeBytes);
  const buffer = Buffer.allocUnsafeSlow(sizeBytes);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, sizeBytes);
}

/**
 * Cuts size-prefixed frames out of a stream; a frame over `frameBytesMax` is refused before it is
 * buffered. Each frame's bytes are copied once, from the chunks into a buffer of its own that is
 * handed out whole: a 1 MiB append is not copied again out of a shared stream buffer.
 */
export class FrameCutter {
  private readonly prefix = new Uint8Array(SIZE_PREFIX_BYTES);
  private prefixFilled = 0;
  /** The frame being filled: its declared size, and a buffer that grows towards it as bytes come. */
  private frame: Uint8Array | null = null;
  private frameSize = 0;
  private frameFilled = 0;

  constructor(private readonly frameBytesMax: number) {}

  /** The whole frames this chunk completes, each its own buffer without the size prefix. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.frame === null) {
        const take = Math.min(SIZE_PREFIX_BYTES - this.prefixFilled, chunk.length - at);
        this.prefix.set(chunk.subarray(at, at + take), this.prefixFilled);
        this.prefixFilled += take;
        at += take;
        if (this.prefixFilled < SIZE_PREFIX_BYTES) break;
        this.startFrame(new DataView(this.prefix.buffer).getInt32(0));
      }
      const take = Math.min(this.frameSize - this.frameFilled, chunk.length - at);
      this.fill(chunk.subarray(at, at + take));
      at += take;
      if (this.frameFilled === this.frameSize) frames.push(this.endFrame());
    }
    return frames;
  }

  /** Bytes held for frames still arriving (for tests of the bound). */
  get bufferedBytesCapacity(): number {
    return this.frame?.length ?? 0;
  }

  private startFrame(size: number): void {
    if (size < 0 || size > this.frameBytesMax) throw new ProtocolError(`frame size ${size} outside 0..${this.frameBytesMax}`);
    this.prefixFilled = 0;
    this.frameSize = size;
    this.frameFilled = 0;
    // Up to a bound the whole frame at once; beyond it the buffer grows with what arrives, so a
    // peer that declares a huge frame and stalls holds that bound, or what it sent. Unzeroed (fresh
    // zeroed pages cost more than the copy): every byte is written before the frame is handed out.
    this.frame = unzeroed(Math.min(size, FRAME_PREALLOCATE_BYTES_MAX));
  }

  private fill(bytes: Uint8Array): void {
    let frame = this.frame!;
    const needed = this.frameFilled + bytes.length;
    if (needed > frame.length) {
      const grown = unzeroed(Math.min(this.frameSize, Math.max(needed, frame.length * 2)));
      grown.set(frame.subarray(0, this.frameFilled));
      this.frame = frame = grown;
    }
    frame.set(bytes, this.frameFilled);
    this.frameFilled = needed;
  }

  private endFrame(): Uint8Array {
    const frame = this.frame!;
    this.frame = null;
    return frame;
  }
}

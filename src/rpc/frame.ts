/**
 * RPC framing: [int32 size][RpcHeader][body], header and body through the schema-driven codec.
 * `FrameCutter` cuts frames out of a byte stream with the size bounded; `readHeader` checks the
 * magic and version before anything else is trusted. Malformed input throws `ProtocolError`,
 * which closes only the connection that sent it.
 */
import { decode, encode } from "../protocol/codec.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { Reader } from "../protocol/reader.ts";
import type { Loose, MessageDef } from "../protocol/schema.ts";
import { Writer } from "../protocol/writer.ts";
import { RPC_MAGIC, RPC_VERSION, RpcHeader } from "./messages/index.ts";

const SIZE_PREFIX_BYTES = 4;
/** An idle connection keeps at most this much buffer; a bigger one (grown for a large frame) is let go. */
const IDLE_BUFFER_BYTES_MAX = 1024 * 1024;
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

/** Cuts size-prefixed frames out of a stream; a frame over `frameBytesMax` is refused before it is buffered. */
export class FrameCutter {
  private buffer = new Uint8Array(0);
  private filled = 0;

  constructor(private readonly frameBytesMax: number) {}

  /** The whole frames this chunk completes, each its own copy without the size prefix. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (this.filled - at >= SIZE_PREFIX_BYTES) {
      const size = new DataView(this.buffer.buffer, this.buffer.byteOffset + at, 4).getInt32(0);
      if (size < 0 || size > this.frameBytesMax) throw new ProtocolError(`frame size ${size} outside 0..${this.frameBytesMax}`);
      if (this.filled - at - SIZE_PREFIX_BYTES < size) break;
      frames.push(this.buffer.slice(at + SIZE_PREFIX_BYTES, at + SIZE_PREFIX_BYTES + size));
      at += SIZE_PREFIX_BYTES + size;
    }
    if (at > 0) {
      this.buffer.copyWithin(0, at, this.filled);
      this.filled -= at;
    }
    if (this.filled === 0 && this.buffer.length > IDLE_BUFFER_BYTES_MAX) this.buffer = new Uint8Array(0);
    return frames;
  }

  /** Bytes held for frames still arriving (for tests of the bound). */
  get bufferedBytesCapacity(): number {
    return this.buffer.length;
  }

  private append(chunk: Uint8Array): void {
    const needed = this.filled + chunk.length;
    if (needed > this.buffer.length) {
      // Grows to what is buffered; a partial frame is bounded by frameBytesMax (checked once its size is read).
      const next = new Uint8Array(Math.max(needed, this.buffer.length * 2, 64 * 1024));
      next.set(this.buffer.subarray(0, this.filled));
      this.buffer = next;
    }
    this.buffer.set(chunk, this.filled);
    this.filled = needed;
  }
}

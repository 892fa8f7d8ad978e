/**
 * Small durable logs (controller metadata, consumer groups) store records as
 * [u32 length][u32 crc32c of the body][body]. Replay stops at the first torn or corrupt
 * record, or at the first one its reader refuses; everything from there is cut.
 */
import { crc32c } from "./crc32c.ts";

export const FRAME_HEADER_BYTES = 8;

export function frameRecords(bodies: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bodies.reduce((n, b) => n + FRAME_HEADER_BYTES + b.length, 0));
  const view = new DataView(out.buffer);
  let position = 0;
  for (const body of bodies) {
    view.setUint32(position, body.length);
    view.setUint32(position + 4, crc32c(body));
    out.set(body, position + FRAME_HEADER_BYTES);
    position += FRAME_HEADER_BYTES + body.length;
  }
  return out;
}

/** Calls `accept` on each intact body in order until it returns false; returns the bytes that held. */
export function replayFramedRecords(bytes: Uint8Array, accept: (body: Uint8Array) => boolean): { validBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = 0;
  while (position + FRAME_HEADER_BYTES <= bytes.length) {
    const end = position + FRAME_HEADER_BYTES + view.getUint32(position);
    if (end > bytes.length) break;
    const body = bytes.subarray(position + FRAME_HEADER_BYTES, end);
    if (crc32c(body) !== view.getUint32(position + 4) || !accept(body)) break;
    position = end;
  }
  return { validBytes: position };
}

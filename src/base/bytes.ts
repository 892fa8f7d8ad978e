import { bigBuffer, sharedBigBuffer } from "./big-buffers.ts";

/**
 * A copy of the bytes in a buffer of their own. `Buffer#slice` (what Bun's sockets and node:fs
 * hand out) returns a view, not a copy, so code that must own its bytes calls this instead.
 */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array<ArrayBuffer> {
  const copy = bigBuffer(end - start);
  copy.set(bytes.subarray(start, end));
  return copy;
}

/** The parts joined in one new buffer (a single part is returned as it is), in shared memory: joined batches may go to another shard. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let total = 0;
  for (const part of parts) total += part.length;
  const out = sharedBigBuffer(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Big-endian int64 as a JS number: exact below 2^53, where offsets and timestamps stay. */
export function getInt64(view: DataView, position: number): number {
  return view.getInt32(position) * 4294967296 + view.getUint32(position + 4);
}

export function setInt64(view: DataView, position: number, value: number): void {
  const high = Math.floor(value / 4294967296);
  view.setInt32(position, high);
  view.setUint32(position + 4, value - high * 4294967296);
}

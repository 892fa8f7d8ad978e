/**
 * A copy of the bytes in a buffer of their own. `Buffer#slice` (what Bun's sockets and node:fs
 * hand out) returns a view, not a copy, so code that must own its bytes calls this instead.
 */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(end - start);
  copy.set(bytes.subarray(start, end));
  return copy;
}

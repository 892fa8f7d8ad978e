/**
 * A referring Writer (referBytesMin) keeps large byte fields by reference: its parts, joined, are
 * byte for byte what a copying writer writes, size prefixes included, and the referred views are
 * the caller's own memory (no copy).
 */
import { expect, test } from "bun:test";
import { Writer } from "./writer.ts";

function write(w: Writer, big: Uint8Array, small: Uint8Array): void {
  const sizeAt = w.reserveSize();
  w.int32(7);
  w.compactBytes(big);
  w.int16(3);
  w.bytesField(small);
  w.compactNullableBytes(big);
  w.nullableBytes(big);
  w.string("tail");
  w.patchSize(sizeAt);
}

const join = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

test("parts of a referring writer join to what a copying writer writes, with the large fields not copied", () => {
  const big = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
  const small = Uint8Array.from([1, 2, 3]);
  const copying = new Writer(16);
  write(copying, big, small);
  const referring = new Writer(16, 1024);
  write(referring, big, small);
  const parts = referring.finishParts();
  expect(join(parts)).toEqual(copying.finish());
  expect(referring.finish()).toEqual(copying.finish());
  expect(referring.sizeBytes).toBe(copying.sizeBytes);
  expect(parts.filter((p) => p === big).length).toBe(3); // the very same view, three times
  expect(new DataView(parts[0]!.buffer, parts[0]!.byteOffset).getInt32(0)).toBe(copying.sizeBytes - 4);
});

test("a writer with nothing referred is one part", () => {
  const w = new Writer(8, 1024);
  w.int32(1);
  expect(w.finishParts().length).toBe(1);
  expect(new Writer(8, 1024).finishParts()).toEqual([new Uint8Array(0)]);
});

import { expect, test } from "bun:test";
import { murmur2, Partitioner } from "./partitioner.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

test("murmur2 matches Kafka's Utils.murmur2 on its known vectors", () => {
  // Vectors from Kafka's UtilsTest.testMurmur2.
  expect(murmur2(bytes("21"))).toBe(-973932308);
  expect(murmur2(bytes("foobar"))).toBe(-790332482);
  expect(murmur2(bytes("a-little-bit-long-string"))).toBe(-985981536);
  expect(murmur2(bytes("a-little-bit-longer-string"))).toBe(-1486304829);
  expect(murmur2(bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).toBe(-58897971);
  expect(murmur2(new Uint8Array([97, 98, 99]))).toBe(479470107);
});

test("a key always maps to the same partition; no key goes round-robin", () => {
  const p = new Partitioner(3);
  expect(p.partitionOf(bytes("k"))).toBe(p.partitionOf(bytes("k")));
  expect([p.partitionOf(null), p.partitionOf(null), p.partitionOf(null), p.partitionOf(null)]).toEqual([0, 1, 2, 0]);
});

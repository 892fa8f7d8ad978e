import { describe, expect, test } from "bun:test";
import { crc32c } from "./crc32c.ts";

/** Bit-at-a-time reference, to cross-check the table-driven version. */
function crc32cSlow(data: Uint8Array): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe("crc32c", () => {
  test("standard check value", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });
  test("RFC 3720 vectors", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(crc32c(ascending)).toBe(0x46dd794e);
  });
  test("empty input", () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
  test("incremental equals one-shot", () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff);
    const whole = crc32c(data);
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });
  test("matches bitwise reference on every length 0..70", () => {
    const data = Uint8Array.from({ length: 70 }, (_, i) => (i * 131 + 17) & 0xff);
    for (let n = 0; n <= 70; n++) expect(crc32c(data.subarray(0, n))).toBe(crc32cSlow(data.subarray(0, n)));
  });
});

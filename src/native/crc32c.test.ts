import { expect, test } from "bun:test";
import { crc32cJs } from "../base/crc32c.ts";
import { loadNativeCrc32c } from "./crc32c.ts";

const native = loadNativeCrc32c();

test("the native CRC-32C loads where the shim was built (gcc present)", () => {
  if (Bun.which("gcc")) expect(native).not.toBeNull();
});

test.if(native !== null)("native and JS CRC-32C agree on every length and alignment, and continue a running CRC", () => {
  const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 131 + 7) & 0xff);
  for (const length of [0, 1, 7, 8, 9, 63, 255, 256, 257, 4096, 4999]) {
    for (const start of [0, 1, 3]) {
      const slice = bytes.subarray(start, start + length);
      expect(native!(slice)).toBe(crc32cJs(slice));
    }
  }
  expect(native!(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  const whole = crc32cJs(bytes);
  expect(native!(bytes.subarray(2000), native!(bytes.subarray(0, 2000)))).toBe(whole);
});

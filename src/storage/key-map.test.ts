import { expect, test } from "bun:test";
import { KEY_MAP_ENTRY_OVERHEAD_BYTES, KeyMap } from "./key-map.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

test("the key map holds the latest offset per key within its budget; a known key still updates when full", () => {
  const map = new KeyMap(2 * (3 + KEY_MAP_ENTRY_OVERHEAD_BYTES));
  expect(map.put(bytes("abc"), 1)).toBe(true);
  expect(map.put(bytes("abd"), 2)).toBe(true);
  expect(map.put(bytes("xyz"), 3)).toBe(false); // a third key does not fit
  expect(map.put(bytes("abc"), 4)).toBe(true);
  expect(map.get(bytes("abc"))).toBe(4);
  expect(map.get(bytes("abd"))).toBe(2);
  expect(map.get(bytes("xyz"))).toBeUndefined();
  expect(map.size).toBe(2);
  expect(map.charge(1)).toBe(false);
  // Keys are whole bytes: two keys differing only in a high byte stay apart.
  const binary = new KeyMap(1 << 20);
  binary.put(new Uint8Array([0xc3, 0xa9]), 1);
  binary.put(new Uint8Array([0xe9]), 2);
  expect(binary.get(new Uint8Array([0xc3, 0xa9]))).toBe(1);
  expect(binary.get(new Uint8Array([0xe9]))).toBe(2);
});

/**
 * bun:ffi binding of native/skua_crc32c.c: CRC-32C with the SSE4.2 instruction, about ten
 * times the JS table version. Null where the shim was not built or the CPU lacks SSE4.2.
 */
import { dlopen, FFIType } from "bun:ffi";
import fs from "node:fs";
// Embedded into dist/skua by `bun build --compile`; an empty placeholder when the shim was not built.
import embeddedShimPath from "../../native/build/libskua_crc32c.so" with { type: "file" };
import type { Crc32c } from "../base/crc32c.ts";

export function loadNativeCrc32c(): Crc32c | null {
  if (!fs.existsSync(embeddedShimPath) || fs.statSync(embeddedShimPath).size === 0) return null;
  let shim;
  try {
    shim = dlopen(embeddedShimPath, {
      skua_crc32c_available: { args: [], returns: FFIType.i32 },
      skua_crc32c: { args: [FFIType.u32, FFIType.ptr, FFIType.u64], returns: FFIType.u32 },
    }).symbols;
  } catch {
    return null;
  }
  if (shim.skua_crc32c_available() !== 1) return null;
  const compute = shim.skua_crc32c;
  return (data, initial = 0) => (data.length === 0 ? initial >>> 0 : compute(initial, data, data.length));
}

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka record batches use.
 * Slice-by-8: eight 256-entry tables let the main loop consume 8 bytes per step.
 */

const POLY_REFLECTED = 0x82f63b78;
const TABLE_COUNT = 8;

function buildTables(): Uint32Array {
  const tables = new Uint32Array(256 * TABLE_COUNT);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    tables[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let t = 1; t < TABLE_COUNT; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c >>> 0;
    }
  }
  return tables;
}

const T = buildTables();

export type Crc32c = (data: Uint8Array, initial?: number) => number;

/** Below this many bytes the JS loop beats the cost of a native call. */
const NATIVE_MIN_BYTES = 256;
let native: Crc32c | null = null;

/**
 * Installs a native CRC-32C (src/native/crc32c.ts) for this thread. base may not import
 * native code itself, so the shard that owns the thread hands it in.
 */
export function useNativeCrc32c(implementation: Crc32c | null): void {
  native = implementation;
}

/** Unsigned CRC-32C of `data`. Pass a previous result as `initial` to continue a running CRC. */
export function crc32c(data: Uint8Array, initial = 0): number {
  return native !== null && data.length >= NATIVE_MIN_BYTES ? native(data, initial) : crc32cJs(data, initial);
}

/** The portable slice-by-8 version. */
export function crc32cJs(data: Uint8Array, initial = 0): number {
  let crc = ~initial;
  let i = 0;
  const end8 = data.length - (data.length & 7);
  while (i < end8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      T[1792 + (lo & 0xff)]! ^
      T[1536 + ((lo >>> 8) & 0xff)]! ^
      T[1280 + ((lo >>> 16) & 0xff)]! ^
      T[1024 + (lo >>> 24)]! ^
      T[768 + data[i + 4]!]! ^
      T[512 + data[i + 5]!]! ^
      T[256 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < data.length) {
    crc = T[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}

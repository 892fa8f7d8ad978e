/**
 * Record batches of a chosen size for the benchmarks, built from fixed-size records.
 * Built once per run: the hot loops only copy or reference these bytes.
 */
import { buildBatch } from "../src/storage/batch-builder.ts";

/** Bytes a ~1 KiB record spends around its value on the wire (length, attributes, deltas, key, headers). */
const RECORD_FRAMING_BYTES = 9;

export interface BatchOfSize {
  bytes: Uint8Array;
  records: number;
}

/**
 * One uncompressed magic-v2 batch of `records = max(1, floor(batchBytes / recordBytes))`
 * records, each about `recordBytes` on the wire. Values are a fixed pseudo-random pattern
 * so nothing downstream can shortcut on zeros.
 */
export function batchOfSize(batchBytes: number, recordBytes = 1024): BatchOfSize {
  const records = Math.max(1, Math.floor(batchBytes / recordBytes));
  const value = patternBytes(Math.max(1, recordBytes - RECORD_FRAMING_BYTES));
  const bytes = buildBatch({
    baseTimestamp: Date.now(),
    records: Array.from({ length: records }, (_, i) => ({ value, timestampDelta: i })),
  });
  return { bytes, records };
}

export function patternBytes(sizeBytes: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = seed >>> 0;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

export function formatBytes(sizeBytes: number): string {
  if (sizeBytes >= MiB) return `${+(sizeBytes / MiB).toFixed(2)} MiB`;
  if (sizeBytes >= KiB) return `${+(sizeBytes / KiB).toFixed(1)} KiB`;
  return `${sizeBytes} B`;
}

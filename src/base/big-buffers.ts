/**
 * Large byte buffers (request frames, disk reads, buffers another shard moved here) live for
 * milliseconds and are then garbage, but JavaScriptCore schedules its collections by the growth
 * of its own heap, which these buffers barely move: producing or consuming at 1 GB/s the broker
 * held 1.4–1.7 GB, most of it such garbage (bench/memory.ts). So they are counted here, and every
 * `limits.collectEveryBigBytes` of them the thread runs a full collection. (An eden collection, or
 * Bun.gc(false), freed none of it in the same measurement.)
 */
import { fullGC } from "bun:jsc";
import { limits } from "./limits.ts";

let countedBytes = 0;
/** This thread's collections run here, and their time: for /metrics. */
export const collections = { count: 0, seconds: 0 };

/** A zeroed buffer of `sizeBytes`, counted towards this thread's next collection. */
export function bigBuffer(sizeBytes: number): Uint8Array<ArrayBuffer> {
  countBigBytes(sizeBytes);
  return new Uint8Array(sizeBytes);
}

/** Counts bytes that became this thread's without `bigBuffer` (buffers another thread transferred here). */
export function countBigBytes(sizeBytes: number): void {
  countedBytes += sizeBytes;
  if (countedBytes < limits.collectEveryBigBytes) return;
  countedBytes = 0;
  const startedMs = performance.now();
  fullGC();
  collections.count++;
  collections.seconds += (performance.now() - startedMs) / 1000;
}

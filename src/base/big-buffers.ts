/**
 * Large byte buffers (request frames, disk reads, buffers another shard moved here) live for
 * milliseconds and are then garbage, but JavaScriptCore schedules its collections by the growth
 * of its own heap, which these buffers barely move: producing or consuming at 1 GB/s the broker
 * held 1.4–1.7 GB, most of it such garbage (bench/memory.ts). So they are counted here, and every
 * `limits.collectEveryBigBytes` of them the thread runs a full collection. (An eden collection, or
 * Bun.gc(false), freed none of it in the same measurement.) A thread that went quiet with less
 * than that counted, or with its heap grown (thousands of logs just opened), collects on its
 * next idle check, so an idle broker does not keep the garbage of its last burst. Only a quiet
 * thread does: a full collection stops the thread for tens of milliseconds, which a steady
 * stream of small requests would otherwise take every check interval.
 */
import { fullGC, heapSize } from "bun:jsc";
import { limits } from "./limits.ts";
import type { Timers } from "./timers.ts";

let countedBytes = 0;
/** Never reset: how much was counted between two idle checks. */
let countedTotalBytes = 0;
/** This thread's collections run here, and their time: for /metrics. */
export const collections = { count: 0, seconds: 0 };

/** A zeroed buffer of `sizeBytes`, counted towards this thread's next collection. */
export function bigBuffer(sizeBytes: number): Uint8Array<ArrayBuffer> {
  countBigBytes(sizeBytes);
  return new Uint8Array(sizeBytes);
}

/**
 * Like `bigBuffer`, in memory every thread can see. For bytes nobody writes once another thread
 * may hold them (a request frame once read, a disk read once done): the channel hands another
 * shard a view of such a buffer as it is, without a copy (Seastar's foreign pointer).
 */
export function sharedBigBuffer(sizeBytes: number): Uint8Array<SharedArrayBuffer> {
  countBigBytes(sizeBytes);
  return new Uint8Array(new SharedArrayBuffer(sizeBytes));
}

/** Counts bytes that became this thread's without `bigBuffer` (buffers another thread moved or shared here). */
export function countBigBytes(sizeBytes: number): void {
  countedBytes += sizeBytes;
  countedTotalBytes += sizeBytes;
  if (countedBytes < limits.collectEveryBigBytes) return;
  collect(fullGC);
}

let heapAfterCollection = 0;

function collect(how: () => unknown): void {
  countedBytes = 0;
  const startedMs = performance.now();
  how();
  heapAfterCollection = heapSize();
  collections.count++;
  collections.seconds += (performance.now() - startedMs) / 1000;
}

/** Every `limits.idleCollectCheckMs`: collects (and has the allocator return freed pages) if there is garbage to expect. */
export function startCollectionChecks(timers: Timers): () => void {
  let stop = () => {};
  let totalAtLastCheck = countedTotalBytes;
  const check = () => {
    const quiet = countedTotalBytes - totalAtLastCheck < limits.idleCountedBytesMax;
    totalAtLastCheck = countedTotalBytes;
    const grown = heapSize() > heapAfterCollection * 1.25 + limits.idleCollectBytesMin;
    if (quiet && (countedBytes >= limits.idleCollectBytesMin || grown)) collect(() => Bun.gc(true));
    stop = timers.after(limits.idleCollectCheckMs, check);
  };
  stop = timers.after(limits.idleCollectCheckMs, check);
  return () => stop();
}

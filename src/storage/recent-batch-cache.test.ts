import { describe, expect, test } from "bun:test";
import { concatBytes } from "../base/bytes.ts";
import { RecentBatchCache } from "./recent-batch-cache.ts";
import * as rb from "./record-batch.ts";
import { batchOf } from "./test-helpers.ts";

/** One written chunk of `n` single-record batches starting at `base`. */
function chunk(base: number, n: number): Uint8Array {
  const parts = Array.from({ length: n }, (_, i) => {
    const b = batchOf(base + i);
    rb.setBaseOffset(b, base + i);
    return b;
  });
  return concatBytes(parts);
}

function bases(bytes: Uint8Array): number[] {
  const out: number[] = [];
  rb.scanBatches(bytes, 0, (at) => {
    out.push(rb.baseOffset(bytes, at));
  });
  return out;
}

describe("RecentBatchCache", () => {
  test("serves batches across entries, bounded by maxBytes and endOffset", () => {
    const cache = new RecentBatchCache(1 << 20);
    const id = cache.register();
    cache.put(id, 0, 3, chunk(0, 3));
    cache.put(id, 3, 5, chunk(3, 2));
    const one = batchOf(0).length;
    expect(bases(cache.read(id, 1, 1 << 20, 5)!)).toEqual([1, 2, 3, 4]);
    expect(bases(cache.read(id, 1, one * 2, 5)!)).toEqual([1, 2]);
    expect(bases(cache.read(id, 1, 1, 5)!)).toEqual([1]);
    expect(bases(cache.read(id, 2, 1 << 20, 4)!)).toEqual([2, 3]);
    expect(cache.read(id, 5, 100, 5)).toBeNull();
  });

  test("evicts oldest entries across logs to stay under its byte bound", () => {
    const size = chunk(0, 2).length;
    const cache = new RecentBatchCache(size * 3);
    const a = cache.register();
    const b = cache.register();
    cache.put(a, 0, 2, chunk(0, 2));
    cache.put(b, 0, 2, chunk(0, 2));
    cache.put(a, 2, 4, chunk(2, 2));
    cache.put(b, 2, 4, chunk(2, 2));
    expect(cache.sizeBytes).toBeLessThanOrEqual(size * 3);
    expect(cache.read(a, 0, 1000, 4)).toBeNull(); // oldest went first
    expect(bases(cache.read(b, 0, 1 << 20, 4)!)).toEqual([0, 1, 2, 3]);
    cache.unregister(b);
    expect(cache.sizeBytes).toBe(size);
  });

  test("a gap drops the log's older entries", () => {
    const cache = new RecentBatchCache(1 << 20);
    const id = cache.register();
    cache.put(id, 0, 2, chunk(0, 2));
    cache.put(id, 10, 12, chunk(10, 2));
    expect(cache.read(id, 0, 1000, 12)).toBeNull();
    expect(bases(cache.read(id, 10, 1 << 20, 12)!)).toEqual([10, 11]);
  });
});

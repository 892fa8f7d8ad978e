import { describe, expect, test } from "bun:test";
import { SegmentIndex } from "./offset-index.ts";

function sample(): SegmentIndex {
  const index = new SegmentIndex(100);
  // 50 batches of 40 bytes, 2 offsets each, timestamps 10*i.
  for (let i = 0; i < 50; i++) index.onBatch(2 * i, 40 * i, 40, 10 * i);
  return index;
}

describe("SegmentIndex", () => {
  test("sparse offset lookups land on a batch at or before the target", () => {
    const index = sample();
    expect(index.entryCount).toBeGreaterThan(10);
    expect(index.entryCount).toBeLessThan(50);
    for (let rel = 0; rel < 100; rel++) {
      const position = index.lookupPosition(rel);
      expect(position % 40).toBe(0);
      expect((position / 40) * 2).toBeLessThanOrEqual(rel);
      expect(rel - (position / 40) * 2).toBeLessThan(10); // within ~interval of the target
    }
  });

  test("position lookups land on an indexed batch start at or before the position", () => {
    const index = sample();
    for (let position = 0; position < 2000; position += 7) {
      const start = index.batchStartAtMost(position);
      expect(start % 40).toBe(0);
      expect(start).toBeLessThanOrEqual(position);
      expect(position - start).toBeLessThan(200); // within ~interval and a batch
      expect(index.lookupPosition((start / 40) * 2)).toBe(start); // an entry, not just any batch start
    }
  });

  test("time lookups start no later than the first batch reaching the timestamp", () => {
    const index = sample();
    for (let ts = 0; ts <= 500; ts += 7) {
      const firstBatch = Math.ceil(ts / 10);
      expect(index.lookupTimestamp(ts)).toBeLessThanOrEqual(2 * firstBatch);
    }
    expect(index.maxTimestampMs).toBe(490);
  });

  test("encode/decode round trip; torn or inconsistent files are refused", () => {
    const index = sample();
    const offsets = index.encodeOffsetIndex();
    const times = index.encodeTimeIndex(100);
    const decoded = SegmentIndex.decode(100, offsets, times, 2000)!;
    expect(decoded.endRelOffset).toBe(100);
    expect(decoded.index.maxTimestampMs).toBe(490);
    for (let rel = 0; rel < 100; rel += 3) expect(decoded.index.lookupPosition(rel)).toBe(index.lookupPosition(rel));
    expect(SegmentIndex.decode(100, offsets.subarray(1), times, 2000)).toBeNull();
    expect(SegmentIndex.decode(100, offsets, times.subarray(0, times.length - 4), 2000)).toBeNull();
    expect(SegmentIndex.decode(100, offsets, new Uint8Array(0), 2000)).toBeNull();
    expect(SegmentIndex.decode(100, offsets, times, 1000)).toBeNull(); // positions past the log's end
  });
});

import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { concatBytes } from "../base/bytes.ts";
import { buildBatch } from "./batch-builder.ts";
import * as rb from "./record-batch.ts";

// kafkajs's own encoder is a second, independent reading of the spec (its internals ship no types).
const require = createRequire(import.meta.url);
const KafkajsRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/index.js").RecordBatch;
const KafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js");
const Long = require("kafkajs/src/utils/long.js");

const records = [
  { key: "k0", value: "hello", timestampDelta: 0 },
  { key: null, value: "world!", timestampDelta: 5 },
  { key: "k2", value: null, timestampDelta: 300 },
  { key: "k3", value: "x".repeat(200), timestampDelta: 70_000, headers: [{ key: "h", value: "v" }] },
];

describe("batch builder", () => {
  test("byte for byte equal to kafkajs's encoder", async () => {
    const ours = buildBatch({
      baseOffset: 5,
      baseTimestamp: 1_700_000_000_000,
      records,
      producerId: 42,
      producerEpoch: 3,
      baseSequence: 7,
      partitionLeaderEpoch: 9,
    });
    const theirs = await KafkajsRecordBatch({
      firstOffset: Long.fromNumber(5),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_070_000,
      partitionLeaderEpoch: 9,
      lastOffsetDelta: 3,
      producerId: Long.fromNumber(42),
      producerEpoch: 3,
      firstSequence: 7,
      records: records.map((r, i) =>
        KafkajsRecord({
          offsetDelta: i,
          timestampDelta: r.timestampDelta,
          key: r.key === null ? null : Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
          headers: r.headers ? { h: Buffer.from("v") } : {},
        }),
      ),
    });
    expect(Buffer.compare(Buffer.from(ours), theirs.buffer)).toBe(0);
  });
});

describe("record batch helpers", () => {
  test("reads header fields", () => {
    const b = buildBatch({ baseOffset: 2 ** 40 + 3, baseTimestamp: 1000, records, producerId: -1 });
    expect(rb.baseOffset(b)).toBe(2 ** 40 + 3);
    expect(rb.batchSizeBytes(b)).toBe(b.length);
    expect(rb.magic(b)).toBe(2);
    expect(rb.lastOffsetDelta(b)).toBe(3);
    expect(rb.recordsCount(b)).toBe(4);
    expect(rb.baseTimestamp(b)).toBe(1000);
    expect(rb.maxTimestamp(b)).toBe(71_000);
    expect(rb.producerId(b)).toBe(-1);
    expect(rb.lastOffset(b)).toBe(2 ** 40 + 6);
    expect(rb.crc(b)).toBe(rb.computeCrc(b));
  });

  test("setBaseOffset patches in place and keeps the CRC valid", () => {
    const b = buildBatch({ records });
    rb.setBaseOffset(b, 123_456_789_012);
    expect(rb.baseOffset(b)).toBe(123_456_789_012);
    expect(rb.validateBatches(b).ok).toBe(true);
  });

  test("validates concatenated batches", () => {
    const big = buildBatch({ records });
    const payload = concatBytes([big, buildBatch({ records: records.slice(0, 1) })]);
    expect(rb.validateBatches(payload)).toEqual({
      ok: true,
      batches: 2,
      records: 5,
      maxTimestampMs: 70_000,
      largestBatchBytes: big.length,
    });
  });

  test("gzip batch validates", () => {
    const b = buildBatch({ records, compression: 1 });
    expect(rb.attributes(b) & rb.ATTR_COMPRESSION_MASK).toBe(1);
    expect(rb.validateBatches(b).ok).toBe(true);
  });

  test("rejects a flipped payload byte (crc)", () => {
    const b = buildBatch({ records });
    b[b.length - 3]! ^= 0x40;
    expect(rb.validateBatches(b)).toEqual({ ok: false, reason: "crc", batchIndex: 0 });
  });

  test("rejects truncation, bad length, bad magic, bad counts, empty", () => {
    const good = buildBatch({ records });
    expect(rb.validateBatches(good.subarray(0, good.length - 1))).toMatchObject({ ok: false, reason: "length" });
    expect(rb.validateBatches(good.subarray(0, 30))).toMatchObject({ ok: false, reason: "length" });
    expect(rb.validateBatches(new Uint8Array(0))).toMatchObject({ ok: false });
    const short = good.slice();
    new DataView(short.buffer).setInt32(rb.Field.batchLength, 10);
    expect(rb.validateBatches(short)).toMatchObject({ ok: false, reason: "length" });
    const m = good.slice();
    m[rb.Field.magic] = 1;
    expect(rb.validateBatches(m)).toMatchObject({ ok: false, reason: "magic" });
    const c = good.slice();
    new DataView(c.buffer).setInt32(rb.Field.lastOffsetDelta, 7);
    expect(rb.validateBatches(c)).toMatchObject({ ok: false, reason: "count" });
    const empty = buildBatch({ records: [] });
    expect(rb.validateBatches(empty)).toMatchObject({ ok: false, reason: "empty" });
    expect(rb.validateBatches(good, good.length - 1)).toMatchObject({ ok: false, reason: "length" });
    const two = concatBytes([good, m]);
    expect(rb.validateBatches(two)).toMatchObject({ ok: false, reason: "magic", batchIndex: 1 });
  });

  test("scanBatches walks whole batches and stops at a partial one", () => {
    const a = buildBatch({ records });
    const b = buildBatch({ records: records.slice(1) });
    const payload = concatBytes([a, b, b.subarray(0, 20)]);
    const seen: number[] = [];
    const end = rb.scanBatches(payload, 0, (at, size) => {
      seen.push(at, size);
    });
    expect(seen).toEqual([0, a.length, a.length, b.length]);
    expect(end).toBe(a.length + b.length);
    expect(rb.scanBatches(payload, 0, () => false)).toBe(0);
  });
});

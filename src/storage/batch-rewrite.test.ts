import { describe, expect, test } from "bun:test";
import { crc32c } from "../base/crc32c.ts";
import { setInt64 } from "../base/bytes.ts";
import { decodeBatches } from "../../test/helpers/records.ts";
import { buildBatch, type BuildRecord } from "./batch-builder.ts";
import { applyAppendPolicy, PRODUCER_POLICY, type AppendPolicy } from "./batch-rewrite.ts";
import { Codec, type CodecId, decompress } from "./compression.ts";
import * as rb from "./record-batch.ts";

const BASE_MS = 1_700_000_000_000;
const NOW_MS = BASE_MS + 60_000;
const records: BuildRecord[] = [0, 40, 15, 90, 3].map((delta, i) => ({ key: `k${i}`, value: `value-${i}-${"x".repeat(200)}`, timestampDelta: delta }));
const policy = (p: Partial<AppendPolicy>): AppendPolicy => ({ ...PRODUCER_POLICY, ...p });
const inflate = (codec: number, payload: Uint8Array) => decompress(codec as CodecId, payload);

/** Header fields besides the ones a rewrite may change. */
function stableFields(b: Uint8Array, at = 0) {
  return [rb.baseOffset(b, at), rb.partitionLeaderEpoch(b, at), rb.lastOffsetDelta(b, at), rb.baseTimestamp(b, at), rb.producerId(b, at), rb.producerEpoch(b, at), rb.baseSequence(b, at), rb.recordsCount(b, at)];
}

function expectSound(payload: Uint8Array): void {
  const check = rb.validateBatches(payload);
  expect(check).toMatchObject({ ok: true });
}

const ok = (result: ReturnType<typeof applyAppendPolicy>) => {
  if (!result.ok) throw new Error(`rewrite refused: ${result.message}`);
  return result.records;
};

describe("fast path", () => {
  test("a sound batch under the producer policy is the same buffer, untouched", () => {
    const batch = buildBatch({ baseTimestamp: BASE_MS, records, compression: Codec.lz4 });
    const copy = batch.slice();
    const out = ok(applyAppendPolicy(batch, PRODUCER_POLICY, NOW_MS));
    expect(out).toBe(batch);
    expect(out).toEqual(copy);
  });

  test("a batch already in the topic's codec is not recompressed", () => {
    const batch = buildBatch({ baseTimestamp: BASE_MS, records, compression: Codec.zstd });
    const copy = batch.slice();
    expect(ok(applyAppendPolicy(batch, policy({ compression: Codec.zstd }), NOW_MS))).toEqual(copy);
  });
});

describe("missing max timestamp", () => {
  for (const codec of [Codec.none, Codec.gzip, Codec.snappy, Codec.lz4, Codec.zstd]) {
    test(`codec ${codec}: -1 (sarama) is computed from the records, CRC rewritten, records unchanged`, () => {
      const batch = buildBatch({ baseTimestamp: BASE_MS, records, compression: codec, maxTimestamp: -1, producerId: 7, producerEpoch: 1, baseSequence: 10 });
      const before = stableFields(batch);
      const section = batch.slice(rb.BATCH_HEADER_BYTES);
      const out = ok(applyAppendPolicy(batch, PRODUCER_POLICY, NOW_MS));
      expect(rb.maxTimestamp(out)).toBe(BASE_MS + 90);
      expect(stableFields(out)).toEqual(before);
      expect(rb.attributes(out)).toBe(codec);
      expect(out.slice(rb.BATCH_HEADER_BYTES)).toEqual(section);
      expect(rb.crc(out)).toBe(crc32c(out.subarray(rb.Field.attributes)));
      expectSound(out);
    });
  }

  test("a max below the first timestamp is recomputed too; a later sound batch keeps its header", () => {
    const low = buildBatch({ baseTimestamp: BASE_MS, records, maxTimestamp: BASE_MS - 5 });
    const sound = buildBatch({ baseTimestamp: BASE_MS + 1000, records });
    const payload = new Uint8Array([...low, ...sound]);
    const out = ok(applyAppendPolicy(payload, PRODUCER_POLICY, NOW_MS));
    expect(rb.maxTimestamp(out, 0)).toBe(BASE_MS + 90);
    expect(out.subarray(low.length)).toEqual(sound);
    expectSound(out);
  });
});

describe("LogAppendTime", () => {
  test("sets the timestamp-type bit and the append time as max timestamp; first timestamp and records stay", () => {
    const batch = buildBatch({ baseTimestamp: BASE_MS, records, compression: Codec.gzip });
    const before = stableFields(batch);
    const section = batch.slice(rb.BATCH_HEADER_BYTES);
    const out = ok(applyAppendPolicy(batch, policy({ logAppendTime: true }), NOW_MS));
    expect(rb.attributes(out)).toBe(Codec.gzip | rb.ATTR_TIMESTAMP_LOG_APPEND);
    expect(rb.maxTimestamp(out)).toBe(NOW_MS);
    expect(stableFields(out)).toEqual(before);
    expect(out.slice(rb.BATCH_HEADER_BYTES)).toEqual(section);
    expectSound(out);
  });

  test("with recompression, the new batch carries both", () => {
    const batch = buildBatch({ baseTimestamp: BASE_MS, records });
    const out = ok(applyAppendPolicy(batch, policy({ logAppendTime: true, compression: Codec.snappy }), NOW_MS));
    expect(rb.attributes(out)).toBe(Codec.snappy | rb.ATTR_TIMESTAMP_LOG_APPEND);
    expect(rb.maxTimestamp(out)).toBe(NOW_MS);
    expectSound(out);
    expect(decodeBatches(out, inflate).map((r) => r.value)).toEqual(records.map((r) => r.value as string));
  });
});

describe("CreateTime bounds", () => {
  test("a record older than before.max.ms is refused with its index across the payload", () => {
    const first = buildBatch({ baseTimestamp: NOW_MS - 10, records: [{ value: "a" }, { value: "b" }] });
    const second = buildBatch({ baseTimestamp: NOW_MS - 1000, records: [{ value: "c", timestampDelta: 995 }, { value: "d" }], compression: Codec.zstd });
    const payload = new Uint8Array([...first, ...second]);
    const result = applyAppendPolicy(payload, policy({ timestampBeforeMaxMs: 100 }), NOW_MS);
    expect(result).toMatchObject({ ok: false, reason: "timestamp", recordIndex: 3 });
    expect((result as { message: string }).message).toContain(`Timestamp ${NOW_MS - 1000} of record 3 is out of range`);
  });

  test("a record past after.max.ms is refused; records within both bounds pass with headers unchanged", () => {
    const future = buildBatch({ baseTimestamp: NOW_MS, records: [{ value: "a" }, { value: "b", timestampDelta: 5000 }] });
    expect(applyAppendPolicy(future, policy({ timestampAfterMaxMs: 1000 }), NOW_MS)).toMatchObject({ ok: false, reason: "timestamp", recordIndex: 1 });
    const fine = buildBatch({ baseTimestamp: NOW_MS - 50, records: [{ value: "a" }, { value: "b", timestampDelta: 500 }] });
    const copy = fine.slice();
    expect(ok(applyAppendPolicy(fine, policy({ timestampBeforeMaxMs: 100, timestampAfterMaxMs: 1000 }), NOW_MS))).toEqual(copy);
  });

  test("LogAppendTime topics do not check producer timestamps", () => {
    const old = buildBatch({ baseTimestamp: 0, records });
    expect(applyAppendPolicy(old, policy({ logAppendTime: true, timestampBeforeMaxMs: 1 }), NOW_MS).ok).toBe(true);
  });
});

describe("topic compression.type", () => {
  for (const [from, to] of [[Codec.none, Codec.zstd], [Codec.gzip, Codec.none], [Codec.snappy, Codec.lz4], [Codec.lz4, Codec.gzip], [Codec.zstd, Codec.snappy]] as const) {
    test(`codec ${from} → ${to}: records the same, length and CRC new, other fields kept`, () => {
      const batch = buildBatch({ baseTimestamp: BASE_MS, records, compression: from, producerId: 3, producerEpoch: 0, baseSequence: 0, partitionLeaderEpoch: 4 });
      const before = stableFields(batch);
      const out = ok(applyAppendPolicy(batch, policy({ compression: to }), NOW_MS));
      expect(rb.attributes(out) & rb.ATTR_COMPRESSION_MASK).toBe(to);
      expect(stableFields(out)).toEqual(before);
      expect(rb.maxTimestamp(out)).toBe(BASE_MS + 90);
      expectSound(out);
      expect(decodeBatches(out, inflate)).toEqual(decodeBatches(batch, inflate));
    });
  }

  test("several batches: each recompressed, boundaries kept", () => {
    const a = buildBatch({ baseTimestamp: BASE_MS, records });
    const b = buildBatch({ baseTimestamp: BASE_MS + 5, records: records.slice(0, 2), compression: Codec.gzip });
    const out = ok(applyAppendPolicy(new Uint8Array([...a, ...b]), policy({ compression: Codec.zstd }), NOW_MS));
    const check = rb.validateBatches(out);
    expect(check).toMatchObject({ ok: true, batches: 2, records: 7 });
    expect(rb.attributes(out, rb.batchSizeBytes(out, 0)) & 7).toBe(Codec.zstd);
  });

  test("a control batch keeps its form", () => {
    const control = buildBatch({ baseTimestamp: BASE_MS, records: [{ key: new Uint8Array([0, 0, 0, 0]), value: new Uint8Array([0, 0, 0, 0, 0, 0]) }], transactional: true });
    const dv = new DataView(control.buffer);
    dv.setInt16(rb.Field.attributes, dv.getInt16(rb.Field.attributes) | rb.ATTR_CONTROL);
    dv.setUint32(rb.Field.crc, rb.computeCrc(control));
    const copy = control.slice();
    expect(ok(applyAppendPolicy(control, policy({ compression: Codec.gzip }), NOW_MS))).toEqual(copy);
  });
});

describe("records that do not parse", () => {
  function withCrc(b: Uint8Array): Uint8Array {
    new DataView(b.buffer, b.byteOffset).setUint32(rb.Field.crc, rb.computeCrc(b));
    return b;
  }
  test("a records count larger than the records: corrupt", () => {
    const batch = buildBatch({ baseTimestamp: BASE_MS, records, maxTimestamp: -1 });
    const dv = new DataView(batch.buffer);
    dv.setInt32(rb.Field.recordsCount, 6);
    dv.setInt32(rb.Field.lastOffsetDelta, 5);
    expect(applyAppendPolicy(withCrc(batch), PRODUCER_POLICY, NOW_MS)).toMatchObject({ ok: false, reason: "corrupt" });
  });
  test("a compressed section that does not decode: corrupt", () => {
    const batch = buildBatch({ baseTimestamp: BASE_MS, records, compression: Codec.zstd });
    batch.fill(0x55, rb.BATCH_HEADER_BYTES + 4);
    setInt64(new DataView(batch.buffer), rb.Field.maxTimestamp, -1);
    expect(applyAppendPolicy(withCrc(batch), PRODUCER_POLICY, NOW_MS)).toMatchObject({ ok: false, reason: "corrupt" });
  });
});

/**
 * Legacy message sets against kafkajs's own encoder and decoder of message formats v0/v1 (a
 * second, independent reading of the spec): what a producer sends becomes one valid v2 batch
 * with the same records, and what an old consumer is sent decodes to the stored records.
 */
import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { mulberry32 } from "../base/random.ts";
import { buildBatch } from "./batch-builder.ts";
import { compress, type CodecId } from "./compression.ts";
import { downConvert, isLegacyMessageSet, legacyToBatch } from "./message-set.ts";
import * as rb from "./record-batch.ts";

const require = createRequire(import.meta.url);
const MessageSet = require("kafkajs/src/protocol/messageSet/index.js");
const decodeMessageSet = require("kafkajs/src/protocol/messageSet/decoder.js");
const decodeRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js");
const Message = require("kafkajs/src/protocol/message/index.js");
const Encoder = require("kafkajs/src/protocol/encoder.js");
const Decoder = require("kafkajs/src/protocol/decoder.js");

const PLAIN_MAX = 1 << 20;

const entries = [
  { key: Buffer.from("k0"), value: Buffer.from("hello"), timestamp: 1_700_000_000_000 },
  { key: null, value: Buffer.from("world"), timestamp: 1_700_000_000_005 },
  { key: Buffer.from("k2"), value: null, timestamp: 1_699_999_999_000 },
];

function legacySet(magic: 0 | 1, list = entries): Uint8Array {
  return new Uint8Array(MessageSet({ messageVersion: magic, compression: 0, entries: list }).buffer);
}

/**
 * A wrapper message around an inner message set compressed with `codec`, as a magic-1 (relative
 * inner offsets) or magic-0 producer writes it; `attributes` overrides the wrapper's (CRC redone).
 */
function wrapper(magic: 0 | 1, codec: CodecId = 1, attributes: number = codec): Uint8Array {
  const inner = new Uint8Array(MessageSet({ messageVersion: magic, compression: codec, entries }).buffer);
  const message = Message({ version: magic })({ compression: 1, timestamp: 1_700_000_000_005, key: null, value: Buffer.from(compress(codec, inner)) });
  const bytes = new Uint8Array(new Encoder().writeInt64(entries.length - 1).writeInt32(message.size()).writeEncoder(message).buffer);
  bytes[17] = attributes;
  new DataView(bytes.buffer).setUint32(12, Bun.hash.crc32(bytes.subarray(16)));
  return bytes;
}

async function recordsOf(batch: Uint8Array) {
  const decoded = await decodeRecordBatch(new Decoder(Buffer.from(batch)));
  return decoded.records.map((r: any) => ({ offset: Number(r.offset), timestamp: Number(r.timestamp), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null }));
}

async function decoded(bytes: Uint8Array) {
  const messages = await decodeMessageSet(new Decoder(Buffer.from(bytes)), bytes.length);
  return messages.map((m: any) => ({ offset: Number(m.offset), magic: m.magicByte, timestamp: m.timestamp === undefined ? undefined : Number(m.timestamp), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null }));
}

function convert(payload: Uint8Array) {
  const result = legacyToBatch(payload, PLAIN_MAX);
  if (!result.ok) throw new Error(`refused: ${result.problem.reason}`);
  expect(rb.validateBatches(result.batch).ok).toBe(true);
  return result.batch;
}

const expected = (timestamps: number[]) => entries.map((e, i) => ({ offset: i, timestamp: timestamps[i], key: e.key?.toString() ?? null, value: e.value?.toString() ?? null }));

describe("produce: legacy message set → one v2 batch", () => {
  test("magic 0: no timestamps (-1), keys and nulls kept, offsets from 0", async () => {
    const payload = legacySet(0);
    expect(isLegacyMessageSet(payload)).toBe(true);
    const batch = convert(payload);
    expect(rb.maxTimestamp(batch)).toBe(-1);
    expect(await recordsOf(batch)).toEqual(expected([-1, -1, -1]));
  });

  test("magic 1: CreateTime timestamps carried, max timestamp computed", async () => {
    const batch = convert(legacySet(1));
    expect(rb.maxTimestamp(batch)).toBe(1_700_000_000_005);
    expect(rb.attributes(batch) & rb.ATTR_TIMESTAMP_LOG_APPEND).toBe(0);
    expect(await recordsOf(batch)).toEqual(expected(entries.map((e) => e.timestamp)));
  });

  for (const [codec, name] of [[1, "gzip"], [2, "snappy"], [3, "lz4"]] as const) {
    test(`${name} wrappers of magic 0 and 1 become one ${name} batch of the inner records`, async () => {
      for (const magic of [0, 1] as const) {
        const batch = convert(wrapper(magic, codec));
        expect(rb.attributes(batch) & rb.ATTR_COMPRESSION_MASK).toBe(codec);
        const timestamps = magic === 1 ? entries.map((e) => e.timestamp) : [-1, -1, -1];
        expect(await decoded(downConvert(batch, 1, 0, 1 << 20, PLAIN_MAX)!)).toEqual(
          expected(timestamps).map((r) => ({ ...r, magic: 1, timestamp: r.timestamp })),
        );
      }
    });
  }

  test("LogAppendTime set by a producer is refused (INVALID_TIMESTAMP), as Kafka does", () => {
    const r = legacyToBatch(wrapper(1, 1, 1 | 0x08), PLAIN_MAX);
    expect(r.ok ? "accepted" : r.problem.kind).toBe("timestamp");
  });

  test("a v2 batch is not a legacy message set", () => {
    expect(isLegacyMessageSet(buildBatch({ records: [{ value: "v" }] }))).toBe(false);
  });

  test("a flipped bit fails the CRC-32; a cut message and bad lengths are corrupt", () => {
    const payload = legacySet(1);
    const flipped = payload.slice();
    flipped[flipped.length - 1] ^= 1;
    const refusal = (p: Uint8Array) => {
      const r = legacyToBatch(p, PLAIN_MAX);
      return r.ok ? "accepted" : r.problem.kind;
    };
    expect(refusal(flipped)).toBe("corrupt");
    expect(refusal(payload.subarray(0, payload.length - 3))).toBe("corrupt");
    const badSize = payload.slice();
    new DataView(badSize.buffer).setInt32(8, 4);
    expect(refusal(badSize)).toBe("corrupt");
    const hugeKey = legacySet(0, [{ key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 0 }]);
    new DataView(hugeKey.buffer).setInt32(18, 1 << 30);
    new DataView(hugeKey.buffer).setUint32(12, Bun.hash.crc32(hugeKey.subarray(16)));
    expect(refusal(hugeKey)).toBe("corrupt");
  });

  test("zstd and unknown codecs are unsupported in these formats; compression inside compression is invalid", () => {
    const kind = (p: Uint8Array) => {
      const r = legacyToBatch(p, PLAIN_MAX);
      return r.ok ? "accepted" : r.problem.kind;
    };
    expect(kind(wrapper(1, 4))).toBe("compression");
    expect(kind(wrapper(1, 1, 6))).toBe("compression");
    const outer = Message({ version: 1 })({ compression: 1, timestamp: 1, key: null, value: gzipSync(Buffer.from(wrapper(1))) });
    expect(kind(new Uint8Array(new Encoder().writeInt64(0).writeInt32(outer.size()).writeEncoder(outer).buffer))).toBe("invalid");
    const mixed = Message({ version: 1 })({ compression: 1, timestamp: 1, key: null, value: gzipSync(Buffer.from(legacySet(0))) });
    expect(kind(new Uint8Array(new Encoder().writeInt64(0).writeInt32(mixed.size()).writeEncoder(mixed).buffer))).toBe("invalid");
  });

  test("decompression is bounded, across all wrappers of a set together", () => {
    const half = Message({ version: 1 })({ compression: 1, timestamp: 1, key: null, value: gzipSync(MessageSet({ messageVersion: 1, compression: 1, entries: [{ key: null, value: Buffer.alloc(PLAIN_MAX * 0.6), timestamp: 1 }] }).buffer) });
    const one = new Encoder().writeInt64(0).writeInt32(half.size()).writeEncoder(half).buffer;
    expect(legacyToBatch(new Uint8Array(one), PLAIN_MAX).ok).toBe(true);
    const two = legacyToBatch(new Uint8Array(Buffer.concat([one, one])), PLAIN_MAX);
    expect(two.ok ? "accepted" : two.problem.kind).toBe("corrupt");
    const big = Message({ version: 1 })({ compression: 1, timestamp: 1, key: null, value: gzipSync(Buffer.alloc(PLAIN_MAX * 2)) });
    const bomb = new Uint8Array(new Encoder().writeInt64(0).writeInt32(big.size()).writeEncoder(big).buffer);
    const r = legacyToBatch(bomb, PLAIN_MAX);
    expect(r.ok ? "accepted" : r.problem.kind).toBe("corrupt");
  });
});

describe("fetch: stored v2 batches → legacy messages", () => {
  const stored = Buffer.concat([
    buildBatch({ baseOffset: 10, baseTimestamp: 5000, records: [{ key: "a", value: "1" }, { key: null, value: "2", timestampDelta: 7, headers: [{ key: "h", value: "x" }] }] }),
    buildBatch({ baseOffset: 12, baseTimestamp: 6000, compression: 1, records: [{ key: "c", value: null }, { key: "d", value: "4", timestampDelta: 1 }] }),
    buildBatch({ baseOffset: 14, baseTimestamp: 9000, logAppendTime: true, records: [{ key: "e", value: "5" }] }),
  ]);


  test("magic 1: offsets, keys, values and timestamps (LogAppendTime: the batch's), headers dropped, uncompressed", async () => {
    expect(await decoded(downConvert(stored, 1, 0, 1 << 20, PLAIN_MAX)!)).toEqual([
      { offset: 10, magic: 1, timestamp: 5000, key: "a", value: "1" },
      { offset: 11, magic: 1, timestamp: 5007, key: null, value: "2" },
      { offset: 12, magic: 1, timestamp: 6000, key: "c", value: null },
      { offset: 13, magic: 1, timestamp: 6001, key: "d", value: "4" },
      { offset: 14, magic: 1, timestamp: 9000, key: "e", value: "5" },
    ]);
  });

  test("magic 0 has no timestamps; records before the fetch offset are left out", async () => {
    const out = await decoded(downConvert(stored, 0, 13, 1 << 20, PLAIN_MAX)!);
    expect(out).toEqual([
      { offset: 13, magic: 0, timestamp: undefined, key: "d", value: "4" },
      { offset: 14, magic: 0, timestamp: undefined, key: "e", value: "5" },
    ]);
  });

  test("whole messages within the byte limit, and always the first", async () => {
    expect((await decoded(downConvert(stored, 1, 0, 80, PLAIN_MAX)!)).map((m: any) => m.offset)).toEqual([10, 11]);
    expect((await decoded(downConvert(stored, 1, 0, 1, PLAIN_MAX)!)).map((m: any) => m.offset)).toEqual([10]);
  });

  test("control batches are dropped", () => {
    const control = buildBatch({ baseOffset: 0, records: [{ key: "x", value: "y" }] });
    new DataView(control.buffer).setInt16(rb.Field.attributes, rb.ATTR_CONTROL);
    expect(downConvert(control, 1, 0, 1 << 20, PLAIN_MAX)!.length).toBe(0);
  });

  test("a zstd batch cannot be down-converted (null: UNSUPPORTED_COMPRESSION_TYPE)", () => {
    expect(downConvert(buildBatch({ compression: 4, records: [{ value: "z" }] }), 1, 0, 1 << 20, PLAIN_MAX)).toBeNull();
  });

  test("a converted message set converts back to the same records", async () => {
    const batch = convert(legacySet(1));
    rb.setBaseOffset(batch, 100);
    const back = await decoded(downConvert(batch, 1, 0, 1 << 20, PLAIN_MAX)!);
    expect(back).toEqual(entries.map((e, i) => ({ offset: 100 + i, magic: 1, timestamp: e.timestamp, key: e.key?.toString() ?? null, value: e.value?.toString() ?? null })));
  });
});

describe("hostile message sets", () => {
  const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
  console.log(`message-set fuzz seed: ${SEED} (set SEED to reproduce)`);

  test("random byte flips and cuts are refused with a reason, never thrown; what passes is a sound batch", () => {
    const random = mulberry32(SEED);
    const seeds = [legacySet(0), legacySet(1), wrapper(0, 1), wrapper(1, 2), wrapper(1, 3)];
    for (let round = 0; round < 3000; round++) {
      const bytes = seeds[round % seeds.length]!.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      if (random() < 0.5) fixCrcs(bytes); // so that parsing goes past the CRC check
      const cut = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      const result = legacyToBatch(cut, PLAIN_MAX); // throws on any escape
      if (result.ok) expect(rb.validateBatches(result.batch).ok).toBe(true);
    }
  });
});

/** Recomputes the CRC-32 of every top-level message whose size still fits. */
function fixCrcs(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; bytes.length - at >= 17; ) {
    const end = at + 12 + view.getInt32(at + 8);
    if (end <= at + 16 || end > bytes.length) return;
    view.setUint32(at + 12, Bun.hash.crc32(bytes.subarray(at + 16, end)));
    at = end;
  }
}

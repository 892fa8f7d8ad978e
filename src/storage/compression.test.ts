import { describe, expect, test } from "bun:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { decodeBatches } from "../../test/helpers/records.ts";
import { hash as xxh32 } from "lz4js/xxh32.js";
import { Codec, type CodecId, compress, decompress, DecompressionError, lz4FrameCompress } from "./compression.ts";
import { FIXTURE_RECORDS, fixtureValue } from "./testdata/kcat-fixtures.ts";

const codecs: CodecId[] = [Codec.gzip, Codec.snappy, Codec.lz4, Codec.zstd];
const text = new TextEncoder().encode("skua record value ".repeat(5000));
function randomBytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

describe("compression round trips", () => {
  for (const codec of codecs) {
    test(`codec ${codec}: text, random, empty and multi-block inputs`, () => {
      for (const input of [text, randomBytes(100_000), new Uint8Array(0), randomBytes(5 * 1024 * 1024 + 17)]) {
        const packed = compress(codec, input);
        if (input.length === text.length) expect(packed.length).toBeLessThan(input.length / 4);
        expect(decompress(codec, packed)).toEqual(input);
      }
    });
  }

  test("gzip and zstd levels change the output, which still decodes", () => {
    const varied = new TextEncoder().encode(Array.from({ length: 20000 }, (_, i) => `r${(i * 7919) % 1013}`).join(","));
    for (const [codec, fast, strong] of [[Codec.gzip, 1, 9], [Codec.zstd, -5, 19]] as const) {
      const [small, large] = [compress(codec, varied, strong), compress(codec, varied, fast)];
      expect(small.length).toBeLessThan(large.length);
      expect(decompress(codec, small)).toEqual(varied);
      expect(decompress(codec, large)).toEqual(varied);
    }
  });

  test("snappy is written with the xerial framing the Java client uses", () => {
    const packed = compress(Codec.snappy, text);
    expect([...packed.subarray(0, 8)]).toEqual([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
  });

  test("lz4 frames are written as Kafka's Java client writes them: independent 64 KiB blocks", () => {
    const input = randomBytes(200_000).map((b, i) => (i % 3 === 0 ? b : 7));
    const frame = compress(Codec.lz4, input);
    expect([frame[4], frame[5]]).toEqual([0x60, 0x40]); // FLG: version 1, independent blocks; BD: 64 KiB
    expect(frame[6]).toBe((xxh32(0, frame, 4, 2) >>> 8) & 0xff);
    // The second block alone, in a frame of its own, decodes to the second 64 KiB: nothing reaches back.
    const dv = new DataView(frame.buffer, frame.byteOffset);
    const firstSize = dv.getUint32(7, true) & 0x7fffffff;
    const secondAt = 7 + 4 + firstSize;
    const secondSize = dv.getUint32(secondAt, true) & 0x7fffffff;
    const alone = new Uint8Array([...frame.subarray(0, 7), ...frame.subarray(secondAt, secondAt + 4 + secondSize), 0, 0, 0, 0]);
    expect(decompress(Codec.lz4, alone)).toEqual(input.subarray(65536, 131072));
  });

  test("lz4 with magic 0's broken header checksum (over the magic number too) is written on request and read", () => {
    const frame = lz4FrameCompress(text, true);
    expect(frame[6]).toBe((xxh32(0, frame, 0, 6) >>> 8) & 0xff);
    expect(frame[6]).not.toBe((xxh32(0, frame, 4, 2) >>> 8) & 0xff);
    expect(decompress(Codec.lz4, frame)).toEqual(text);
  });

  test("raw snappy (librdkafka) decodes too", async () => {
    const { compress: raw } = await import("snappyjs");
    expect(decompress(Codec.snappy, raw(text))).toEqual(text);
  });
});

describe("decompression bombs are refused", () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);
  for (const codec of codecs) {
    test(`codec ${codec}: output past the limit throws naming the limit`, () => {
      const packed = compress(codec, zeros);
      expect(decompress(codec, packed, zeros.length)).toEqual(zeros);
      expect(() => decompress(codec, packed, 1024 * 1024)).toThrow(/decompressedBatchBytesMax \(1048576 bytes\)/);
    });
  }
  test("node's own gzip and zstd frames obey the limit", () => {
    expect(() => decompress(Codec.gzip, new Uint8Array(gzipSync(zeros)), 1000)).toThrow(DecompressionError);
    expect(() => decompress(Codec.zstd, new Uint8Array(zstdCompressSync(zeros)), 1000)).toThrow(DecompressionError);
  });
});

describe("corrupt input is a DecompressionError", () => {
  for (const codec of codecs) {
    test(`codec ${codec}`, () => {
      const packed = compress(codec, randomBytes(10_000)).slice();
      const cut = packed.subarray(0, packed.length >> 1);
      expect(() => decompress(codec, cut)).toThrow(DecompressionError);
      expect(() => decompress(codec, randomBytes(300, 3))).toThrow(DecompressionError);
    });
  }
});

describe("batches compressed by librdkafka (kcat) decode", () => {
  for (const name of ["gzip", "snappy", "lz4", "zstd"]) {
    test(`${name}: every record of the fixture batch comes back`, async () => {
      const bytes = new Uint8Array(await Bun.file(`${import.meta.dir}/testdata/kcat-${name}.batch`).arrayBuffer());
      expect(bytes[22]! & 7).toBe(codecs[["gzip", "snappy", "lz4", "zstd"].indexOf(name)]!);
      const records = decodeBatches(bytes, (codec, payload) => decompress(codec as CodecId, payload));
      expect(records.map((r) => r.value)).toEqual(Array.from({ length: FIXTURE_RECORDS }, (_, i) => fixtureValue(i)));
    });
  }
});

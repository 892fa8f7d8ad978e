import { describe, expect, test } from "bun:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { decodeBatches } from "../../test/helpers/records.ts";
import { Codec, type CodecId, compress, decompress, DecompressionError } from "./compression.ts";
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

  test("snappy is written with the xerial framing the Java client uses", () => {
    const packed = compress(Codec.snappy, text);
    expect([...packed.subarray(0, 8)]).toEqual([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
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

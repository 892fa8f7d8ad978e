/**
 * Where message formats v0/v1 meet the handlers: which Produce versions may carry a message set
 * and the error codes of a refused one; which Fetch versions get which magic, and a topic with
 * message.downconversion.enable=false answering old fetches UNSUPPORTED_VERSION.
 */
import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { MetadataTable } from "../cluster/metadata.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import { downConvertFetch, producePayload } from "./legacy-formats.ts";

const require = createRequire(import.meta.url);
const MessageSet = require("kafkajs/src/protocol/messageSet/index.js");
const set = (magic: 0 | 1) => new Uint8Array(MessageSet({ messageVersion: magic, entries: [{ key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 5 }] }).buffer);

describe("producePayload", () => {
  test("v0–2 turn a message set into one v2 batch; v2 batches pass as they are on every version", () => {
    for (const version of [0, 1, 2]) {
      const r = producePayload(set(1), version);
      expect(r.ok && rb.validateBatches(r.records).ok).toBe(true);
    }
    const batch = buildBatch({ records: [{ value: "v" }] });
    for (const version of [0, 2, 3, 9, 11]) expect(producePayload(batch, version)).toEqual({ ok: true, records: batch });
  });

  test("refusals carry Kafka's codes: v3+ INVALID_RECORD, bad CRC CORRUPT_MESSAGE, producer LogAppendTime INVALID_TIMESTAMP", () => {
    const code = (records: Uint8Array, version: number) => {
      const r = producePayload(records, version);
      return r.ok ? ErrorCode.NONE : r.errorCode;
    };
    expect(code(set(0), 3)).toBe(ErrorCode.INVALID_RECORD);
    const bad = set(0);
    bad[bad.length - 1] ^= 1;
    expect(code(bad, 0)).toBe(ErrorCode.CORRUPT_MESSAGE);
    const logAppend = set(1);
    logAppend[17] = 0x08;
    new DataView(logAppend.buffer).setUint32(12, Bun.hash.crc32(logAppend.subarray(16)));
    expect(code(logAppend, 2)).toBe(ErrorCode.INVALID_TIMESTAMP);
  });

  test("zstd batches only from Produce v7 (KIP-110)", () => {
    const zstd = Buffer.concat([buildBatch({ records: [{ value: "a" }] }), buildBatch({ compression: 4, records: [{ value: "z" }] })]);
    for (const version of [0, 3, 6]) expect(producePayload(zstd, version)).toMatchObject({ ok: false, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE });
    expect(producePayload(zstd, 7).ok).toBe(true);
  });
});

describe("downConvertFetch", () => {
  const stored = buildBatch({ baseOffset: 0, baseTimestamp: 7, records: [{ key: "k", value: "v" }] });
  const request = { topics: [{ partitions: [{ fetchOffset: 0, partitionMaxBytes: 1 << 20 }, { fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] };
  const answer = () => [{ topic: "t", partitions: [{ errorCode: 0, records: stored }, { errorCode: 0, records: new Uint8Array(0) }] }];
  const metadata = (configs: Record<string, string>) =>
    MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "t", id: crypto.randomUUID(), shards: [0, 0], configs }] });

  test("v4+ get the stored batches untouched; v0–1 magic 0, v2–3 magic 1", () => {
    const untouched = answer();
    expect(downConvertFetch(4, request, untouched, metadata({}))).toBe(untouched);
    for (const [version, magic] of [[0, 0], [1, 0], [2, 1], [3, 1]]) {
      const records = downConvertFetch(version!, request, answer(), metadata({}))[0]!.partitions[0]!.records!;
      expect(records[16]).toBe(magic!);
    }
  });

  test("message.downconversion.enable=false: every partition of the topic answers UNSUPPORTED_VERSION to v0–3, not to v4", () => {
    const off = metadata({ "message.downconversion.enable": "false" });
    const partitions = downConvertFetch(2, request, answer(), off)[0]!.partitions;
    expect(partitions.map((p) => [p.errorCode, p.records!.length])).toEqual([[ErrorCode.UNSUPPORTED_VERSION, 0], [ErrorCode.UNSUPPORTED_VERSION, 0]]);
    expect(downConvertFetch(4, request, answer(), off)[0]!.partitions[0]!.records).toBe(stored);
  });
});

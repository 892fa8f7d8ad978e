/**
 * Micro benchmarks for the byte-heavy hot paths, each grouped with a baseline measured
 * in the same run so the printed summary is a ratio, not a machine-dependent time:
 *   codec       — decode a Produce v9 request / encode a Fetch v12 response, against a
 *                 plain memcpy (Uint8Array.set) of the same number of bytes.
 *   validation  — CRC-32C in JS (baseline) against the native SSE4.2 CRC-32C the shards use
 *                 (native/skua_crc32c.c), native CRC-32/IEEE (Bun.hash.crc32, node:zlib crc32:
 *                 another polynomial, shown for the speed of native code) and validateBatches
 *                 over a produce payload.
 *   append policy — storage/batch-rewrite.ts on a 64 KiB produce payload against
 *                 validateBatches of the same payload (which every produce already pays): the
 *                 fast path (sound header, topic compression.type=producer) and the slow paths
 *                 (max timestamp -1, LogAppendTime, recompression to zstd).
 * Run: npm run bench   (or: bun run bench/micro.ts [name-regex])
 */
import * as zlib from "node:zlib";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { crc32cJs, useNativeCrc32c } from "../src/base/crc32c.ts";
import { loadNativeCrc32c } from "../src/native/crc32c.ts";
import { decodeRequestBody, decodeRequestHeader, encodeRequestFrame, encodeResponseFrame } from "../src/protocol/frame.ts";
import type { FetchResponse, PartitionData, ProduceRequest } from "../src/protocol/messages/index.ts";
import { Writer } from "../src/protocol/writer.ts";
import { setInt64 } from "../src/base/bytes.ts";
import { applyAppendPolicy, PRODUCER_POLICY } from "../src/storage/batch-rewrite.ts";
import { Codec } from "../src/storage/compression.ts";
import { Field, validateBatches } from "../src/storage/record-batch.ts";
import { batchOfSize, formatBytes, KiB, MiB } from "./payload.ts";

const PRODUCE_KEY = 0;
const FETCH_KEY = 1;
const TOPIC = "bench-topic";

const batch16k = batchOfSize(16 * KiB).bytes;
const batch1m = batchOfSize(1 * MiB).bytes;

function produceFrame(records: Uint8Array): Uint8Array {
  const body: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  };
  // The broker sees the frame after the int32 size prefix.
  return encodeRequestFrame(PRODUCE_KEY, 9, 1, "bench", body).slice(4);
}

function fetchResponse(partitionCount: number, records: Uint8Array): FetchResponse {
  const partitions: PartitionData[] = Array.from({ length: partitionCount }, (_, i) => ({
    partitionIndex: i,
    errorCode: 0,
    highWatermark: 1_000_000,
    lastStableOffset: 1_000_000,
    logStartOffset: 0,
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  }));
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{ topic: TOPIC, topicId: "00000000-0000-0000-0000-000000000000", partitions }],
    nodeEndpoints: [],
  };
}

function decodeProduce(frame: Uint8Array): unknown {
  return decodeRequestBody(frame, decodeRequestHeader(frame));
}

/** Baseline: copy `source` into a preallocated buffer, the least any encoder must do. */
function memcpyInto(target: Uint8Array, source: Uint8Array): Uint8Array {
  target.set(source);
  return target;
}

function codecGroup(label: string, sizeBytes: number, add: () => void): void {
  const source = new Uint8Array(sizeBytes).fill(7);
  const target = new Uint8Array(sizeBytes);
  group(`codec, ${label} (${formatBytes(sizeBytes)})`, () => {
    summary(() => {
      bench(`memcpy ${formatBytes(sizeBytes)} (baseline)`, () => do_not_optimize(memcpyInto(target, source))).baseline(true);
      add();
    });
  });
}

function registerCodec(): void {
  const produce16k = produceFrame(batch16k);
  const produce1m = produceFrame(batch1m);
  const fetch1 = fetchResponse(1, batch16k);
  const fetch100 = fetchResponse(100, batch16k);
  const reused = new Writer(4 * MiB);
  const encodeFetch = (body: FetchResponse, writer: Writer) => encodeResponseFrame(FETCH_KEY, 12, 1, body, writer);

  codecGroup("1 × 16 KiB", produce16k.length, () => {
    bench("decode Produce v9, one 16 KiB batch", () => do_not_optimize(decodeProduce(produce16k)));
    bench("encode Fetch v12, 1 partition × 16 KiB (new Writer)", () => do_not_optimize(encodeFetch(fetch1, new Writer())));
    bench("encode Fetch v12, 1 partition × 16 KiB (reused Writer)", () => {
      reused.offset = 0;
      do_not_optimize(encodeFetch(fetch1, reused));
    });
  });
  codecGroup("1 × 1 MiB", produce1m.length, () => {
    bench("decode Produce v9, one 1 MiB batch", () => do_not_optimize(decodeProduce(produce1m)));
  });
  const fetch100Bytes = encodeFetch(fetch100, new Writer()).length;
  codecGroup("100 × 16 KiB", fetch100Bytes, () => {
    bench("encode Fetch v12, 100 partitions × 16 KiB (new Writer)", () => do_not_optimize(encodeFetch(fetch100, new Writer())));
    bench("encode Fetch v12, 100 partitions × 16 KiB (reused Writer)", () => {
      reused.offset = 0;
      do_not_optimize(encodeFetch(fetch100, reused));
    });
  });
}

const nativeCrc32c = loadNativeCrc32c();
useNativeCrc32c(nativeCrc32c); // validateBatches below runs as it does on a shard

type ZlibWithCrc = { crc32?: (data: Uint8Array, value?: number) => number };
const zlibCrc32 = (zlib as unknown as ZlibWithCrc).crc32;

function registerValidation(): void {
  for (const [label, bytes] of [["16 KiB", batch16k], ["1 MiB", batch1m]] as const) {
    const crcRange = bytes.subarray(21); // what a batch CRC covers: attributes to the end
    group(`batch validation, ${label}`, () => {
      summary(() => {
        bench(`crc32c JS slice-by-8, ${label} (baseline)`, () => do_not_optimize(crc32cJs(crcRange))).baseline(true);
        if (nativeCrc32c !== null) {
          bench(`crc32c native SSE4.2 (what shards use), ${label}`, () => do_not_optimize(nativeCrc32c(crcRange)));
        }
        bench(`Bun.hash.crc32 — CRC-32/IEEE, native, other polynomial, ${label}`, () =>
          do_not_optimize(Bun.hash.crc32(crcRange)));
        if (zlibCrc32 !== undefined) {
          bench(`node:zlib crc32 — CRC-32/IEEE, native, other polynomial, ${label}`, () =>
            do_not_optimize(zlibCrc32(crcRange)));
        }
        bench(`validateBatches (headers + crc32c${nativeCrc32c ? " native" : " JS"}), ${label}`, () => do_not_optimize(validateBatches(bytes)));
      });
    });
  }
}

function registerAppendPolicy(): void {
  const payload = batchOfSize(64 * KiB).bytes;
  const missingMax = payload.slice();
  const missingView = new DataView(missingMax.buffer);
  const now = Date.now();
  group("append policy, 64 KiB payload", () => {
    summary(() => {
      bench("validateBatches, 64 KiB (baseline: every produce pays it)", () => do_not_optimize(validateBatches(payload))).baseline(true);
      bench("applyAppendPolicy fast path (sound header, compression.type=producer)", () => do_not_optimize(applyAppendPolicy(payload, PRODUCER_POLICY, now)));
      bench("applyAppendPolicy max timestamp -1: walk records, CRC again", () => {
        setInt64(missingView, Field.maxTimestamp, -1);
        do_not_optimize(applyAppendPolicy(missingMax, PRODUCER_POLICY, now));
      });
      bench("applyAppendPolicy LogAppendTime: header, CRC again", () =>
        do_not_optimize(applyAppendPolicy(missingMax, { ...PRODUCER_POLICY, logAppendTime: true }, now)));
      bench("applyAppendPolicy compression.type=zstd: walk, compress, CRC", () =>
        do_not_optimize(applyAppendPolicy(payload, { ...PRODUCER_POLICY, compression: Codec.zstd }, now)));
    });
  });
}

function checkInputs(): void {
  const result = validateBatches(batch1m);
  if (!result.ok) throw new Error(`bench batch invalid: ${result.reason}`);
  const frame = produceFrame(batch16k);
  const decoded = decodeProduce(frame) as ProduceRequest;
  const records = decoded.topicData[0]!.partitionData[0]!.records!;
  if (records.length !== batch16k.length) throw new Error("Produce decode lost bytes");
}

checkInputs();
console.log(
  "Baselines: codec groups compare against a plain Uint8Array.set memcpy of the same byte count; " +
    "validation groups against skua's JS CRC-32C (src/base/crc32c.ts). " +
    `node:zlib crc32 ${zlibCrc32 === undefined ? "is not available here" : "is available"}. ` +
    "CRC-32/IEEE rows use a different polynomial than Kafka's CRC-32C: they show what native code costs, not a drop-in.",
);
registerCodec();
registerValidation();
registerAppendPolicy();
const filter = process.argv[2];
await run({ colors: process.stdout.isTTY === true, filter: filter === undefined ? undefined : new RegExp(filter, "i") });

/**
 * What the request version allows of a payload, at the edge of the broker: Produce v0–2 payloads
 * in a legacy message set (formats v0/v1) become one v2 batch before they are checked and written,
 * Produce v3–6 may not carry zstd; Fetch v0–3 answers have their stored v2 batches turned back
 * into messages of magic 0 (v0–1) or 1 (v2–3). Newer versions pass with a version compare (and on
 * produce a look at the magic byte), so their paths stay as they are.
 */
import { limits } from "../base/limits.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { Codec } from "../storage/compression.ts";
import { downConvert, isLegacyMessageSet, legacyToBatch, type MessageSetProblem } from "../storage/message-set.ts";
import { ATTR_COMPRESSION_MASK, attributes, scanBatches } from "../storage/record-batch.ts";

/** The first Produce version that may only carry v2 batches (Kafka answers INVALID_RECORD otherwise). */
const PRODUCE_V2_ONLY_VERSION = 3;
/** The first Produce version that may carry zstd (KIP-110; UNSUPPORTED_COMPRESSION_TYPE before). */
const PRODUCE_ZSTD_VERSION = 7;
/** The first Fetch version whose clients read v2 batches; below it, magic 1 from Fetch v2 and magic 0 before. */
const FETCH_V2_VERSION = 4;
const FETCH_MAGIC1_VERSION = 2;

const PROBLEM_ERROR_CODES: Record<MessageSetProblem["kind"], number> = {
  corrupt: ErrorCode.CORRUPT_MESSAGE,
  invalid: ErrorCode.INVALID_RECORD,
  timestamp: ErrorCode.INVALID_TIMESTAMP,
  compression: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
};

export type ProducePayload = { ok: true; records: Uint8Array } | { ok: false; errorCode: number; errorMessage: string };

/**
 * The payload to check and write for a Produce of `version`: v2 batches as they came, a legacy
 * message set as one v2 batch, or the error Kafka gives.
 */
export function producePayload(records: Uint8Array, version: number): ProducePayload {
  if (!isLegacyMessageSet(records)) {
    if (version < PRODUCE_ZSTD_VERSION && holdsZstd(records)) {
      return { ok: false, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, errorMessage: `Produce v${version} may not carry zstd batches (v7+)` };
    }
    return { ok: true, records };
  }
  if (version >= PRODUCE_V2_ONLY_VERSION) {
    return { ok: false, errorCode: ErrorCode.INVALID_RECORD, errorMessage: `Produce v${version} carries only message format v2 (magic 2)` };
  }
  const converted = legacyToBatch(records, limits.decompressedBatchBytesMax);
  if (converted.ok) return { ok: true, records: converted.batch };
  const errorCode = PROBLEM_ERROR_CODES[converted.problem.kind];
  return { ok: false, errorCode, errorMessage: `invalid message set: ${converted.problem.reason}` };
}

const NO_RECORDS = new Uint8Array(0);

/** Whether a batch header says zstd (headers only; the batches are validated after this). */
function holdsZstd(batches: Uint8Array): boolean {
  let zstd = false;
  scanBatches(batches, 0, (at) => !(zstd = (attributes(batches, at) & ATTR_COMPRESSION_MASK) === Codec.zstd));
  return zstd;
}

interface FetchedPartition {
  errorCode: number;
  records: Uint8Array | null;
}

/** The topic config that turns down-conversion off (Kafka's default: on). */
const DOWN_CONVERSION_CONFIG = "message.downconversion.enable";

/**
 * The Fetch response of an old `version` with every partition's records down-converted; the
 * request's partitions and the response's are in the same order (no fetch sessions before v7).
 * A topic with message.downconversion.enable=false answers UNSUPPORTED_VERSION, as Kafka does.
 */
export function downConvertFetch<T extends { topic: string; partitions: FetchedPartition[] }>(
  version: number,
  request: { topics: Array<{ partitions: Array<{ fetchOffset: number; partitionMaxBytes: number }> }> },
  responses: T[],
  metadata: MetadataTable,
): T[] {
  if (version >= FETCH_V2_VERSION) return responses;
  const magic = version >= FETCH_MAGIC1_VERSION ? 1 : 0;
  return responses.map((topic, t) => {
    const refused = metadata.topic(topic.topic)?.configs[DOWN_CONVERSION_CONFIG] === "false";
    return {
      ...topic,
      partitions: topic.partitions.map((p, i) => {
        if (refused) return { ...p, errorCode: ErrorCode.UNSUPPORTED_VERSION, records: NO_RECORDS };
        if (p.records === null || p.records.length === 0) return p;
        const asked = request.topics[t]!.partitions[i]!;
        return downConvertPartition(p, magic, asked.fetchOffset, asked.partitionMaxBytes);
      }),
    };
  });
}

function downConvertPartition<P extends FetchedPartition>(p: P, magic: 0 | 1, fetchOffset: number, bytesMax: number): P {
  const records = downConvert(p.records!, magic, fetchOffset, bytesMax, limits.decompressedBatchBytesMax);
  // zstd batches: an old client could not read them; Kafka answers this error for Fetch < v10.
  if (records === null) return { ...p, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, records: NO_RECORDS };
  return { ...p, records };
}

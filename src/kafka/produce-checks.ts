/**
 * What the partition's owner checks and changes in a produced payload before it is written,
 * the same for a single-node log (shard/local-partitions.ts) and a replicated one
 * (replication/): the topic's append policy (timestamps, codec), keyless records on compacted
 * topics (Kafka's INVALID_RECORD with per-record errors, KIP-467), the batch size against the
 * topic's current max.message.bytes, and the Kafka error of an idempotent-sequence refusal.
 */
import { assert } from "../base/assert.ts";
import type { EffectiveTopicConfig } from "../cluster/topic-config.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { applyAppendPolicy, type AppendPolicy } from "../storage/batch-rewrite.ts";
import { Codec, DecompressionError, type CodecId } from "../storage/compression.ts";
import type { SequenceVerdict } from "../storage/producer-state.ts";
import * as rb from "../storage/record-batch.ts";
import { keylessRecordIndexes, RecordFormatError } from "../storage/records.ts";
import type { PartitionRef, ProduceResult } from "./ops.ts";

function refusal(errorCode: number, errorMessage: string, recordErrors?: ProduceResult["recordErrors"]): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors };
}

/**
 * The payload as it is to be written (policy applied), or the refusal. `maxMessageBytes` is
 * checked again here: the topic's limit may have shrunk since the receiving shard checked the batch.
 */
export function prepareProduced(
  ref: PartitionRef,
  records: Uint8Array,
  config: { maxMessageBytes: number; compact: boolean },
  policy: AppendPolicy,
  nowMs: number,
): { ok: true; records: Uint8Array } | { ok: false; result: ProduceResult } {
  const rewritten = applyAppendPolicy(records, policy, nowMs);
  if (!rewritten.ok) return { ok: false, result: rewriteRefusal(rewritten) };
  const keyless = config.compact ? keylessRefusal(ref, rewritten.records) : null;
  if (keyless) return { ok: false, result: keyless };
  const oversized = oversizedBatchRefusal(rewritten.records, config.maxMessageBytes);
  if (oversized) return { ok: false, result: oversized };
  return { ok: true, records: rewritten.records };
}

const errorOfVerdict = {
  outOfOrder: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  // Produce answers an old epoch with INVALID_PRODUCER_EPOCH in every version (KIP-588).
  fenced: ErrorCode.INVALID_PRODUCER_EPOCH,
  unknownProducer: ErrorCode.UNKNOWN_PRODUCER_ID,
} as const;

export function sequenceRefusal(verdict: Exclude<SequenceVerdict, { kind: "append" } | { kind: "duplicate" }>): ProduceResult {
  return refusal(errorOfVerdict[verdict.kind], verdict.message);
}

export function oversizedBatchRefusal(records: Uint8Array, maxMessageBytes: number): ProduceResult | null {
  let largestBytes = 0;
  rb.scanBatches(records, 0, (_at, sizeBytes) => void (largestBytes = Math.max(largestBytes, sizeBytes)));
  if (largestBytes <= maxMessageBytes) return null;
  return refusal(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${largestBytes} bytes exceeds max.message.bytes ${maxMessageBytes}`);
}

/** Record errors listed per partition; the rest are counted in the message (Kafka shows three). */
const RECORD_ERRORS_MAX = 100;
const RECORD_ERRORS_IN_MESSAGE = 3;

/** On a compacted topic, the refusal of a payload holding a record without a key, else null. */
export function keylessRefusal(ref: PartitionRef, records: Uint8Array): ProduceResult | null {
  let indexes: number[];
  try {
    indexes = keylessRecordIndexes(records, RECORD_ERRORS_MAX);
  } catch (error) {
    if (!(error instanceof RecordFormatError || error instanceof DecompressionError)) throw error;
    return refusal(ErrorCode.CORRUPT_MESSAGE, `invalid records: ${error.message}`, []);
  }
  if (indexes.length === 0) return null;
  const message = `Compacted topic cannot accept message without key in topic partition ${ref.topic}-${ref.partition}.`;
  const recordErrors = indexes.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: message }));
  const shown = recordErrors.slice(0, RECORD_ERRORS_IN_MESSAGE).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${message}')`);
  const summary = `One or more records have been rejected due to ${indexes.length} record errors in total, and only showing the first ${RECORD_ERRORS_IN_MESSAGE} errors at most: [${shown.join(", ")}]`;
  return refusal(ErrorCode.INVALID_RECORD, summary, recordErrors);
}

const topicCodecs: Record<string, CodecId | null> = {
  producer: null,
  uncompressed: Codec.none,
  none: Codec.none, // the cluster property's name for it (Redpanda)
  gzip: Codec.gzip,
  snappy: Codec.snappy,
  lz4: Codec.lz4,
  zstd: Codec.zstd,
};

export function appendPolicyOf(config: EffectiveTopicConfig): AppendPolicy {
  const compression = topicCodecs[config.compressionType];
  assert(compression !== undefined, `compression.type '${config.compressionType}' passed validation`);
  // As Kafka 3.9: a before/after bound that is set wins, else the older difference.max.ms applies.
  const bound = (ms: number) => (unbounded(ms) ? unboundedOr(config.messageTimestampDifferenceMaxMs) : ms);
  const levels: Partial<Record<CodecId, number>> = { [Codec.gzip]: config.compressionGzipLevel, [Codec.zstd]: config.compressionZstdLevel };
  return {
    compression,
    compressionLevel: compression === null ? undefined : levels[compression],
    logAppendTime: config.messageTimestampType === "LogAppendTime",
    timestampBeforeMaxMs: bound(config.messageTimestampBeforeMaxMs),
    timestampAfterMaxMs: bound(config.messageTimestampAfterMaxMs),
  };
}

/** Kafka's default for the timestamp bounds is Long.MAX_VALUE: no bound (as a JS number, past 2^53). */
const unbounded = (ms: number) => !Number.isSafeInteger(ms);
const unboundedOr = (ms: number) => (unbounded(ms) ? Infinity : ms);

function rewriteRefusal(problem: Extract<ReturnType<typeof applyAppendPolicy>, { ok: false }>): ProduceResult {
  const errorCode = problem.reason === "timestamp" ? ErrorCode.INVALID_TIMESTAMP : ErrorCode.CORRUPT_MESSAGE;
  return refusal(errorCode, problem.message, [{ batchIndex: problem.recordIndex, batchIndexErrorMessage: problem.message }]);
}

/**
 * The owning shard's answers for idempotent produce: a retried batch gets its original offsets,
 * a refused one the Kafka error a client expects. Runs on the owning shard's thread.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { Flusher } from "../storage/flusher.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { RememberedBatch, SequenceVerdict } from "../storage/producer-state.ts";
import * as rb from "../storage/record-batch.ts";
import type { ProduceResult } from "../kafka/ops.ts";

function refusal(errorCode: number, errorMessage: string): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

const errorOfVerdict = {
  outOfOrder: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  // Produce answers an old epoch with INVALID_PRODUCER_EPOCH in every version (KIP-588).
  fenced: ErrorCode.INVALID_PRODUCER_EPOCH,
  unknownProducer: ErrorCode.UNKNOWN_PRODUCER_ID,
  invalidTxnState: ErrorCode.INVALID_TXN_STATE,
} as const;

export function sequenceRefusal(verdict: Exclude<SequenceVerdict, { kind: "append" } | { kind: "duplicate" }>): ProduceResult {
  return refusal(errorOfVerdict[verdict.kind], verdict.message);
}

/**
 * The topic's max.message.bytes may have shrunk since the receiving shard checked the batch;
 * the log asserts the limit, so it is checked again here.
 */
export function oversizedBatchRefusal(records: Uint8Array, maxMessageBytes: number): ProduceResult | null {
  let largestBytes = 0;
  rb.scanBatches(records, 0, (_at, sizeBytes) => void (largestBytes = Math.max(largestBytes, sizeBytes)));
  if (largestBytes <= maxMessageBytes) return null;
  return refusal(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${largestBytes} bytes exceeds max.message.bytes ${maxMessageBytes}`);
}

/**
 * A retry of a batch already appended: not written again, answered with its original base
 * offset once the original is visible (and synced for acks=-1), as the first answer would have been.
 */
export async function answerDuplicate(log: PartitionLog, batch: RememberedBatch, acks: number, flusher: Flusher): Promise<ProduceResult> {
  try {
    if (batch.visible) await batch.visible;
    if (acks === -1) await flusher.requestFlush(log);
  } catch (error) {
    rethrowIfBroken(error);
    return refusal(ErrorCode.KAFKA_STORAGE_ERROR, String(error));
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: batch.baseOffset, logAppendTimeMs: -1, logStartOffset: log.logStartOffset };
}

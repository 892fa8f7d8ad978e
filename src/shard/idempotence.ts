/**
 * The owning shard's answer to a retried idempotent batch: its original offsets (the refusals
 * are in kafka/produce-checks.ts, shared with replicated partitions). Runs on the owning shard's thread.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { Flusher } from "../storage/flusher.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { RememberedBatch } from "../storage/producer-state.ts";
import type { ProduceResult } from "../kafka/ops.ts";

function refusal(errorCode: number, errorMessage: string): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
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

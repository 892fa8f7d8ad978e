/**
 * What the shard adds for compacted topics: the produce check that every record has a key
 * (Kafka's INVALID_RECORD with per-record errors, KIP-467), and the compaction pass of one log
 * beside retention in housekeeping.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { compactLog } from "../storage/compaction.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import { keylessRecordIndexes, RecordFormatError } from "../storage/records.ts";
import { DecompressionError } from "../storage/compression.ts";
import type { PartitionRef, ProduceResult } from "../kafka/ops.ts";

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

function refusal(errorCode: number, errorMessage: string, recordErrors: ProduceResult["recordErrors"]): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors };
}

/** One compaction pass over a log when it is due; logs what it did (readers need no wake: nothing they can see changed). */
export async function compactInHousekeeping(k: string, log: PartitionLog, keyMapBudgetBytes: number, nowMs: number, stableOffset: number, logger: Logger): Promise<boolean> {
  try {
    const stats = await compactLog(log, { nowMs, keyMapBudgetBytes, stableOffset });
    if (stats === null || stats.segmentsIn === 0) return false;
    logger.info("compacted", { partition: k, ...stats });
    return true;
  } catch (error) {
    rethrowIfBroken(error);
    logger.error("compaction failed", { partition: k, error: String(error) });
    return false;
  }
}

/**
 * KIP-890 part 1 on the partition side, as Kafka 3.9 does it (transaction.partition.verification):
 * before a transactional batch that would open a producer's transaction in a partition (the
 * partition has none open for that producer) is appended, the transaction coordinator is asked
 * whether the producer's ongoing transaction holds the partition (AddPartitionsToTxn verifyOnly).
 * A batch that arrives after its transaction ended (a late retry) would otherwise open a
 * transaction no coordinator knows of, holding the last stable offset forever.
 * Runs on the owning shard; the question goes to the coordinator's shard.
 */
import { ErrorCode } from "../protocol/errors.ts";
import type { ProduceResult } from "./ops.ts";
import type { ProducerState } from "../storage/producer-state.ts";
import * as rb from "../storage/record-batch.ts";

/** Asks the coordinator owning `transactionalId`: NONE when the producer's ongoing transaction holds the partition. */
export type VerifyTxnPartition = (transactionalId: string, producerId: number, producerEpoch: number, partition: { topic: string; partition: number }) => Promise<number>;

/** The producer of the payload's transactional batch that would open a transaction here, or null when none would. */
export function transactionToVerify(records: Uint8Array, producers: ProducerState): { producerId: number; producerEpoch: number } | null {
  let found: { producerId: number; producerEpoch: number } | null = null;
  rb.scanBatches(records, 0, (at) => {
    const producerId = rb.producerId(records, at);
    if ((rb.attributes(records, at) & rb.ATTR_TRANSACTIONAL) === 0 || producerId < 0) return true;
    if (producers.openTxnFirstOffset(producerId) >= 0) return true;
    found = { producerId, producerEpoch: rb.producerEpoch(records, at) };
    return false;
  });
  return found;
}

/**
 * Produce's answer to a failed verification, as Kafka maps them: a fenced producer gets
 * INVALID_PRODUCER_EPOCH; a coordinator that is busy (markers of the previous transaction still
 * out) or elsewhere gets the retriable NOT_ENOUGH_REPLICAS; the rest (INVALID_TXN_STATE: the
 * transaction does not hold the partition) as they came.
 */
export function verificationRefusal(errorCode: number): ProduceResult {
  const retriable = [ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR] as number[];
  const code = errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : retriable.includes(errorCode) ? ErrorCode.NOT_ENOUGH_REPLICAS : errorCode;
  return { errorCode: code, errorMessage: `transaction verification failed with error ${errorCode}`, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

/** Error codes transaction handlers share. */
import { ErrorCode } from "../../protocol/errors.ts";

/**
 * AddPartitionsToTxn, AddOffsetsToTxn and EndTxn learned PRODUCER_FENCED in v2; before it Kafka
 * answers INVALID_PRODUCER_EPOCH.
 */
export function fencedForVersion(errorCode: number, apiVersion: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

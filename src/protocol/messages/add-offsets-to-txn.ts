// AddOffsetsToTxn (API key 25). Written from the Apache Kafka message definitions (Apache
// License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0. Version 2 adds the support for new error code PRODUCER_FENCED.
 * Version 3 enables flexible versions. Version 4 adds support for new error code TRANSACTION_ABORTABLE (KIP-890).
 */
export const AddOffsetsToTxnRequest = message<AddOffsetsToTxnRequest>("request", "AddOffsetsToTxnRequest", 25, "0-4", "3+", [
  f("TransactionalId", "string", "0+"),
  f("ProducerId", "int64", "0+"),
  f("ProducerEpoch", "int16", "0+"),
  f("GroupId", "string", "0+"),
]);

export const AddOffsetsToTxnResponse = message<AddOffsetsToTxnResponse>("response", "AddOffsetsToTxnResponse", 25, "0-4", "3+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
]);

export interface AddOffsetsToTxnRequest extends TaggedFields {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
}

// InitProducerId (API key 22). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 *
 * Version 2 is the first flexible version.
 *
 * Version 3 adds ProducerId and ProducerEpoch, allowing producers to try to resume after an INVALID_PRODUCER_EPOCH error
 *
 * Version 4 adds the support for new error code PRODUCER_FENCED.
 *
 * Verison 5 adds support for new error code TRANSACTION_ABORTABLE (KIP-890).
 */
export const InitProducerIdRequest = message<InitProducerIdRequest>("request", "InitProducerIdRequest", 22, "0-5", "2+", [
  f("TransactionalId", "string", "0+", { nullable: "0+" }),
  f("TransactionTimeoutMs", "int32", "0+"),
  f("ProducerId", "int64", "3+", { default: "-1" }),
  f("ProducerEpoch", "int16", "3+", { default: "-1" }),
]);

/**
 * Starting in version 1, on quota violation, brokers send out responses before throttling.
 *
 * Version 2 is the first flexible version.
 *
 * Version 3 is the same as version 2.
 *
 * Version 4 adds the support for new error code PRODUCER_FENCED.
 *
 * Version 5 adds support for new error code TRANSACTION_ABORTABLE (KIP-890).
 */
export const InitProducerIdResponse = message<InitProducerIdResponse>("response", "InitProducerIdResponse", 22, "0-5", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("ProducerId", "int64", "0+", { default: "-1" }),
  f("ProducerEpoch", "int16", "0+"),
]);

export interface InitProducerIdRequest extends TaggedFields {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

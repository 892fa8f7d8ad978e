// EndTxn (API key 26). Written from the Apache Kafka message definitions (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0. Version 2 adds the support for new error code PRODUCER_FENCED.
 * Version 3 enables flexible versions. Version 4 adds support for new error code TRANSACTION_ABORTABLE
 * (KIP-890). Version 5 enables bumping epoch on every transaction (KIP-890 Part 2); it is unstable in
 * Kafka 3.9 (not offered), so the definition stops at 4 (v5's ProducerId and ProducerEpoch in the response are left out).
 */
export const EndTxnRequest = message<EndTxnRequest>("request", "EndTxnRequest", 26, "0-4", "3+", [
  f("TransactionalId", "string", "0+"),
  f("ProducerId", "int64", "0+"),
  f("ProducerEpoch", "int16", "0+"),
  f("Committed", "bool", "0+"),
]);

export const EndTxnResponse = message<EndTxnResponse>("response", "EndTxnResponse", 26, "0-4", "3+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
]);

export interface EndTxnRequest extends TaggedFields {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
}

export interface EndTxnResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
}

// ListTransactions (API key 66). Written from the Apache Kafka message definitions (Apache
// License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

/** Version 1: adds DurationFilter to list transactions running longer than this duration. */
export const ListTransactionsRequest = message<ListTransactionsRequest>("request", "ListTransactionsRequest", 66, "0-1", "0+", [
  f("StateFilters", "[]string", "0+"),
  f("ProducerIdFilters", "[]int64", "0+"),
  f("DurationFilter", "int64", "1+", { default: "-1" }),
]);

export const ListTransactionsResponse = message<ListTransactionsResponse>("response", "ListTransactionsResponse", 66, "0-1", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("UnknownStateFilters", "[]string", "0+"),
  f("TransactionStates", "[]TransactionState", "0+", { fields: [
    f("TransactionalId", "string", "0+"),
    f("ProducerId", "int64", "0+"),
    f("TransactionState", "string", "0+"),
  ] }),
]);

export interface ListTransactionsRequest extends TaggedFields {
  stateFilters: string[];
  producerIdFilters: number[];
  durationFilter: number;
}

export interface ListedTransactionState extends TaggedFields {
  transactionalId: string;
  producerId: number;
  transactionState: string;
}

export interface ListTransactionsResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: ListedTransactionState[];
}

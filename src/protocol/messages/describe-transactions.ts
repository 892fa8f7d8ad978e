// DescribeTransactions (API key 65). Written from the Apache Kafka message definitions (Apache
// License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

export const DescribeTransactionsRequest = message<DescribeTransactionsRequest>("request", "DescribeTransactionsRequest", 65, "0", "0+", [
  f("TransactionalIds", "[]string", "0+"),
]);

export const DescribeTransactionsResponse = message<DescribeTransactionsResponse>("response", "DescribeTransactionsResponse", 65, "0", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("TransactionStates", "[]TransactionState", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("TransactionalId", "string", "0+"),
    f("TransactionState", "string", "0+"),
    f("TransactionTimeoutMs", "int32", "0+"),
    f("TransactionStartTimeMs", "int64", "0+"),
    f("ProducerId", "int64", "0+"),
    f("ProducerEpoch", "int16", "0+"),
    f("Topics", "[]TopicData", "0+", { fields: [
      f("Topic", "string", "0+"),
      f("Partitions", "[]int32", "0+"),
    ] }),
  ] }),
]);

export interface DescribeTransactionsRequest extends TaggedFields {
  transactionalIds: string[];
}

export interface DescribedTransactionTopic extends TaggedFields {
  topic: string;
  partitions: number[];
}

export interface DescribedTransactionState extends TaggedFields {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: number;
  producerEpoch: number;
  topics: DescribedTransactionTopic[];
}

export interface DescribeTransactionsResponse extends TaggedFields {
  throttleTimeMs: number;
  transactionStates: DescribedTransactionState[];
}

// AddPartitionsToTxn (API key 24). Written from the Apache Kafka message definitions (Apache
// License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

const topicFields = () => [f("Name", "string", "0+"), f("Partitions", "[]int32", "0+")];

/**
 * Version 1 is the same as version 0. Version 2 adds the support for new error code PRODUCER_FENCED.
 * Version 3 enables flexible versions. Version 4 adds VerifyOnly field to check if partitions are
 * already in transaction and adds support to batch multiple transactions. Version 5 adds support for
 * new error code TRANSACTION_ABORTABLE (KIP-890). Versions 3 and below will be exclusively used by
 * clients and versions 4 and above will be used by brokers.
 */
export const AddPartitionsToTxnRequest = message<AddPartitionsToTxnRequest>("request", "AddPartitionsToTxnRequest", 24, "0-5", "3+", [
  f("Transactions", "[]AddPartitionsToTxnTransaction", "4+", { fields: [
    f("TransactionalId", "string", "4+"),
    f("ProducerId", "int64", "4+"),
    f("ProducerEpoch", "int16", "4+"),
    f("VerifyOnly", "bool", "4+", { default: "false" }),
    f("Topics", "[]AddPartitionsToTxnTopic", "4+", { fields: topicFields() }),
  ] }),
  f("V3AndBelowTransactionalId", "string", "0-3"),
  f("V3AndBelowProducerId", "int64", "0-3"),
  f("V3AndBelowProducerEpoch", "int16", "0-3"),
  f("V3AndBelowTopics", "[]AddPartitionsToTxnTopic", "0-3", { fields: topicFields() }),
]);

const topicResultFields = () => [
  f("Name", "string", "0+"),
  f("ResultsByPartition", "[]AddPartitionsToTxnPartitionResult", "0+", { fields: [
    f("PartitionIndex", "int32", "0+"),
    f("PartitionErrorCode", "int16", "0+"),
  ] }),
];

/** Version 4 adds a top level error code and results by transaction. */
export const AddPartitionsToTxnResponse = message<AddPartitionsToTxnResponse>("response", "AddPartitionsToTxnResponse", 24, "0-5", "3+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "4+"),
  f("ResultsByTransaction", "[]AddPartitionsToTxnResult", "4+", { fields: [
    f("TransactionalId", "string", "4+"),
    f("TopicResults", "[]AddPartitionsToTxnTopicResult", "4+", { fields: topicResultFields() }),
  ] }),
  f("ResultsByTopicV3AndBelow", "[]AddPartitionsToTxnTopicResult", "0-3", { fields: topicResultFields() }),
]);

export interface AddPartitionsToTxnTopic extends TaggedFields {
  name: string;
  partitions: number[];
}

export interface AddPartitionsToTxnTransaction extends TaggedFields {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: AddPartitionsToTxnTopic[];
}

export interface AddPartitionsToTxnRequest extends TaggedFields {
  transactions: AddPartitionsToTxnTransaction[];
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: number;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: AddPartitionsToTxnTopic[];
}

export interface AddPartitionsToTxnPartitionResult extends TaggedFields {
  partitionIndex: number;
  partitionErrorCode: number;
}

export interface AddPartitionsToTxnTopicResult extends TaggedFields {
  name: string;
  resultsByPartition: AddPartitionsToTxnPartitionResult[];
}

export interface AddPartitionsToTxnResult extends TaggedFields {
  transactionalId: string;
  topicResults: AddPartitionsToTxnTopicResult[];
}

export interface AddPartitionsToTxnResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  resultsByTransaction: AddPartitionsToTxnResult[];
  resultsByTopicV3AndBelow: AddPartitionsToTxnTopicResult[];
}

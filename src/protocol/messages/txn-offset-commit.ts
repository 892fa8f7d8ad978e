// TxnOffsetCommit (API key 28). Written from the Apache Kafka message definitions (Apache
// License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0. Version 2 adds the committed leader epoch. Version 3 adds the
 * member.id, group.instance.id and generation.id, and is the first flexible version. Version 4 adds
 * support for new error code TRANSACTION_ABORTABLE (KIP-890).
 */
export const TxnOffsetCommitRequest = message<TxnOffsetCommitRequest>("request", "TxnOffsetCommitRequest", 28, "0-4", "3+", [
  f("TransactionalId", "string", "0+"),
  f("GroupId", "string", "0+"),
  f("ProducerId", "int64", "0+"),
  f("ProducerEpoch", "int16", "0+"),
  f("GenerationId", "int32", "3+", { default: "-1" }),
  f("MemberId", "string", "3+", { default: "" }),
  f("GroupInstanceId", "string", "3+", { nullable: "3+", default: "null" }),
  f("Topics", "[]TxnOffsetCommitRequestTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]TxnOffsetCommitRequestPartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("CommittedOffset", "int64", "0+"),
      f("CommittedLeaderEpoch", "int32", "2+", { default: "-1" }),
      f("CommittedMetadata", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
]);

export const TxnOffsetCommitResponse = message<TxnOffsetCommitResponse>("response", "TxnOffsetCommitResponse", 28, "0-4", "3+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Topics", "[]TxnOffsetCommitResponseTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]TxnOffsetCommitResponsePartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
    ] }),
  ] }),
]);

export interface TxnOffsetCommitRequestPartition extends TaggedFields {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface TxnOffsetCommitRequestTopic extends TaggedFields {
  name: string;
  partitions: TxnOffsetCommitRequestPartition[];
}

export interface TxnOffsetCommitRequest extends TaggedFields {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: TxnOffsetCommitRequestTopic[];
}

export interface TxnOffsetCommitResponsePartition extends TaggedFields {
  partitionIndex: number;
  errorCode: number;
}

export interface TxnOffsetCommitResponseTopic extends TaggedFields {
  name: string;
  partitions: TxnOffsetCommitResponsePartition[];
}

export interface TxnOffsetCommitResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: TxnOffsetCommitResponseTopic[];
}

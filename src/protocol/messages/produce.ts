// Produce (API key 0). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 and 2 are the same as version 0.
 *
 * Version 3 adds the transactional ID, which is used for authorization when attempting to write
 * transactional data.  Version 3 also adds support for Kafka Message Format v2.
 *
 * Version 4 is the same as version 3, but the requester must be prepared to handle a
 * KAFKA_STORAGE_ERROR.
 *
 * Version 5 and 6 are the same as version 3.
 *
 * Starting in version 7, records can be produced using ZStandard compression.  See KIP-110.
 *
 * Starting in Version 8, response has RecordErrors and ErrorMessage. See KIP-467.
 *
 * Version 9 enables flexible versions.
 *
 * Version 10 is the same as version 9 (KIP-951).
 *
 * Version 11 adds support for new error code TRANSACTION_ABORTABLE (KIP-890).
 */
export const ProduceRequest = message<ProduceRequest>("request", "ProduceRequest", 0, "0-11", "9+", [
  f("TransactionalId", "string", "3+", { nullable: "3+", default: "null" }),
  f("Acks", "int16", "0+"),
  f("TimeoutMs", "int32", "0+"),
  f("TopicData", "[]TopicProduceData", "0+", { fields: [
    f("Name", "string", "0+"),
    f("PartitionData", "[]PartitionProduceData", "0+", { fields: [
      f("Index", "int32", "0+"),
      f("Records", "records", "0+", { nullable: "0+" }),
    ] }),
  ] }),
]);

/**
 * Version 1 added the throttle time.
 *
 * Version 2 added the log append time.
 *
 * Version 3 is the same as version 2.
 *
 * Version 4 added KAFKA_STORAGE_ERROR as a possible error code.
 *
 * Version 5 added LogStartOffset to filter out spurious
 * OutOfOrderSequenceExceptions on the client.
 *
 * Version 8 added RecordErrors and ErrorMessage to include information about
 * records that cause the whole batch to be dropped.  See KIP-467 for details.
 *
 * Version 9 enables flexible versions.
 *
 * Version 10 adds 'CurrentLeader' and 'NodeEndpoints' as tagged fields (KIP-951)
 *
 * Version 11 adds support for new error code TRANSACTION_ABORTABLE (KIP-890).
 */
export const ProduceResponse = message<ProduceResponse>("response", "ProduceResponse", 0, "0-11", "9+", [
  f("Responses", "[]TopicProduceResponse", "0+", { fields: [
    f("Name", "string", "0+"),
    f("PartitionResponses", "[]PartitionProduceResponse", "0+", { fields: [
      f("Index", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
      f("BaseOffset", "int64", "0+"),
      f("LogAppendTimeMs", "int64", "2+", { default: "-1" }),
      f("LogStartOffset", "int64", "5+", { default: "-1" }),
      f("RecordErrors", "[]BatchIndexAndErrorMessage", "8+", { fields: [
        f("BatchIndex", "int32", "8+"),
        f("BatchIndexErrorMessage", "string", "8+", { nullable: "8+", default: "null" }),
      ] }),
      f("ErrorMessage", "string", "8+", { nullable: "8+", default: "null" }),
      f("CurrentLeader", "LeaderIdAndEpoch", "10+", { tag: 0, tagged: "10+", fields: [
        f("LeaderId", "int32", "10+", { default: "-1" }),
        f("LeaderEpoch", "int32", "10+", { default: "-1" }),
      ] }),
    ] }),
  ] }),
  f("ThrottleTimeMs", "int32", "1+", { default: "0" }),
  f("NodeEndpoints", "[]NodeEndpoint", "10+", { tag: 0, tagged: "10+", fields: [
    f("NodeId", "int32", "10+"),
    f("Host", "string", "10+"),
    f("Port", "int32", "10+"),
    f("Rack", "string", "10+", { nullable: "10+", default: "null" }),
  ] }),
]);

export interface ProduceRequest extends TaggedFields {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: TopicProduceData[];
}

export interface TopicProduceData extends TaggedFields {
  name: string;
  partitionData: PartitionProduceData[];
}

export interface PartitionProduceData extends TaggedFields {
  index: number;
  records: Uint8Array | null;
}

export interface ProduceResponse extends TaggedFields {
  responses: TopicProduceResponse[];
  throttleTimeMs: number;
  nodeEndpoints: ProduceResponseNodeEndpoint[];
}

export interface TopicProduceResponse extends TaggedFields {
  name: string;
  partitionResponses: PartitionProduceResponse[];
}

export interface PartitionProduceResponse extends TaggedFields {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: BatchIndexAndErrorMessage[];
  errorMessage: string | null;
  currentLeader: ProduceResponseLeaderIdAndEpoch;
}

export interface BatchIndexAndErrorMessage extends TaggedFields {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface ProduceResponseLeaderIdAndEpoch extends TaggedFields {
  leaderId: number;
  leaderEpoch: number;
}

export interface ProduceResponseNodeEndpoint extends TaggedFields {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

// DescribeProducers (API key 61). Written from the Apache Kafka message definitions (Apache
// License 2.0); this file is the source.
import { f, message, type TaggedFields } from "../schema.ts";

export const DescribeProducersRequest = message<DescribeProducersRequest>("request", "DescribeProducersRequest", 61, "0", "0+", [
  f("Topics", "[]TopicRequest", "0+", { fields: [
    f("Name", "string", "0+"),
    f("PartitionIndexes", "[]int32", "0+"),
  ] }),
]);

export const DescribeProducersResponse = message<DescribeProducersResponse>("response", "DescribeProducersResponse", 61, "0", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Topics", "[]TopicResponse", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]PartitionResponse", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
      f("ErrorMessage", "string", "0+", { nullable: "0+", default: "null" }),
      f("ActiveProducers", "[]ProducerState", "0+", { fields: [
        f("ProducerId", "int64", "0+"),
        f("ProducerEpoch", "int32", "0+"),
        f("LastSequence", "int32", "0+", { default: "-1" }),
        f("LastTimestamp", "int64", "0+", { default: "-1" }),
        f("CoordinatorEpoch", "int32", "0+"),
        f("CurrentTxnStartOffset", "int64", "0+", { default: "-1" }),
      ] }),
    ] }),
  ] }),
]);

export interface DescribeProducersRequest extends TaggedFields {
  topics: DescribeProducersTopicRequest[];
}

export interface DescribeProducersTopicRequest extends TaggedFields {
  name: string;
  partitionIndexes: number[];
}

export interface DescribeProducersResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: DescribeProducersTopicResponse[];
}

export interface DescribeProducersTopicResponse extends TaggedFields {
  name: string;
  partitions: DescribeProducersPartitionResponse[];
}

export interface DescribeProducersPartitionResponse extends TaggedFields {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
  activeProducers: DescribeProducersProducerState[];
}

export interface DescribeProducersProducerState extends TaggedFields {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnStartOffset: number;
}

// DescribeTopicPartitions (API key 75). Written from the Apache Kafka message definitions
// (Apache License 2.0), one line per field.
import { f, message, type TaggedFields } from "../schema.ts";

/** The request's Cursor and the response's NextCursor: the first topic and partition to describe. */
const cursorFields = [
  f("TopicName", "string", "0+"),
  f("PartitionIndex", "int32", "0+"),
];

/** Topics by name (none: every topic), at most ResponsePartitionLimit partitions, from Cursor on. */
export const DescribeTopicPartitionsRequest = message<DescribeTopicPartitionsRequest>("request", "DescribeTopicPartitionsRequest", 75, "0", "0+", [
  f("Topics", "[]TopicRequest", "0+", { fields: [
    f("Name", "string", "0+"),
  ] }),
  f("ResponsePartitionLimit", "int32", "0+", { default: "2000" }),
  f("Cursor", "Cursor", "0+", { nullable: "0+", default: "null", fields: cursorFields }),
]);

/** NextCursor is where the next page starts, or null when this page ends the answer. */
export const DescribeTopicPartitionsResponse = message<DescribeTopicPartitionsResponse>("response", "DescribeTopicPartitionsResponse", 75, "0", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Topics", "[]DescribeTopicPartitionsResponseTopic", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("Name", "string", "0+", { nullable: "0+" }),
    f("TopicId", "uuid", "0+"),
    f("IsInternal", "bool", "0+", { default: "false" }),
    f("Partitions", "[]DescribeTopicPartitionsResponsePartition", "0+", { fields: [
      f("ErrorCode", "int16", "0+"),
      f("PartitionIndex", "int32", "0+"),
      f("LeaderId", "int32", "0+"),
      f("LeaderEpoch", "int32", "0+", { default: "-1" }),
      f("ReplicaNodes", "[]int32", "0+"),
      f("IsrNodes", "[]int32", "0+"),
      f("EligibleLeaderReplicas", "[]int32", "0+", { nullable: "0+", default: "null" }),
      f("LastKnownElr", "[]int32", "0+", { nullable: "0+", default: "null" }),
      f("OfflineReplicas", "[]int32", "0+"),
    ] }),
    f("TopicAuthorizedOperations", "int32", "0+", { default: "-2147483648" }),
  ] }),
  f("NextCursor", "Cursor", "0+", { nullable: "0+", default: "null", fields: cursorFields }),
]);

export interface DescribeTopicPartitionsRequest extends TaggedFields {
  topics: DescribeTopicPartitionsTopicRequest[];
  responsePartitionLimit: number;
  cursor: DescribeTopicPartitionsCursor | null;
}

export interface DescribeTopicPartitionsTopicRequest extends TaggedFields {
  name: string;
}

export interface DescribeTopicPartitionsCursor extends TaggedFields {
  topicName: string;
  partitionIndex: number;
}

export interface DescribeTopicPartitionsResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: DescribeTopicPartitionsResponseTopic[];
  nextCursor: DescribeTopicPartitionsCursor | null;
}

export interface DescribeTopicPartitionsResponseTopic extends TaggedFields {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: DescribeTopicPartitionsResponsePartition[];
  topicAuthorizedOperations: number;
}

export interface DescribeTopicPartitionsResponsePartition extends TaggedFields {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  eligibleLeaderReplicas: number[] | null;
  lastKnownElr: number[] | null;
  offlineReplicas: number[];
}

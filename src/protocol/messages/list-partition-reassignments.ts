// ListPartitionReassignments (API key 46). Written from the Apache Kafka message definitions
// (Apache License 2.0), in the same form as the generated files.
import { f, message, type TaggedFields } from "../schema.ts";

/** Version 0 is the first and flexible. */
export const ListPartitionReassignmentsRequest = message<ListPartitionReassignmentsRequest>("request", "ListPartitionReassignmentsRequest", 46, "0", "0+", [
  f("TimeoutMs", "int32", "0+", { default: "60000" }),
  // null lists every ongoing reassignment.
  f("Topics", "[]ListPartitionReassignmentsTopics", "0+", { nullable: "0+", default: "null", fields: [
    f("Name", "string", "0+"),
    f("PartitionIndexes", "[]int32", "0+"),
  ] }),
]);

export const ListPartitionReassignmentsResponse = message<ListPartitionReassignmentsResponse>("response", "ListPartitionReassignmentsResponse", 46, "0", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  f("Topics", "[]OngoingTopicReassignment", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]OngoingPartitionReassignment", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("Replicas", "[]int32", "0+"),
      f("AddingReplicas", "[]int32", "0+"),
      f("RemovingReplicas", "[]int32", "0+"),
    ] }),
  ] }),
]);

export interface ListPartitionReassignmentsRequest extends TaggedFields {
  timeoutMs: number;
  topics: ListPartitionReassignmentsTopics[] | null;
}

export interface ListPartitionReassignmentsTopics extends TaggedFields {
  name: string;
  partitionIndexes: number[];
}

export interface ListPartitionReassignmentsResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  topics: OngoingTopicReassignment[];
}

export interface OngoingTopicReassignment extends TaggedFields {
  name: string;
  partitions: OngoingPartitionReassignment[];
}

export interface OngoingPartitionReassignment extends TaggedFields {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

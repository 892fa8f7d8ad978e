// The consumer group protocol's member metadata (JoinGroup) and assignment (SyncGroup) blobs. Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message } from "../schema.ts";

/**
 * Subscription part of the Consumer Protocol.
 *
 * The current implementation assumes that future versions will not break compatibility. When
 * it encounters a newer version, it parses it using the current format. This basically means
 * that new versions cannot remove or reorder any of the existing fields.
 * Version 1 added the "OwnedPartitions" field to allow assigner know what partitions each member owned
 * Version 2 added a new field "GenerationId" to indicate if the member has out-of-date ownedPartitions.
 * Version 3 adds rack id to enable rack-aware assignment.
 */
export const ConsumerProtocolSubscription = message<ConsumerProtocolSubscription>("data", "ConsumerProtocolSubscription", -1, "0-3", "none", [
  f("Topics", "[]string", "0+"),
  f("UserData", "bytes", "0+", { nullable: "0+", default: "null" }),
  f("OwnedPartitions", "[]TopicPartition", "1+", { fields: [
    f("Topic", "string", "1+"),
    f("Partitions", "[]int32", "1+"),
  ] }),
  f("GenerationId", "int32", "2+", { default: "-1" }),
  f("RackId", "string", "3+", { nullable: "3+", default: "null" }),
]);

/**
 * Assignment part of the Consumer Protocol.
 *
 * The current implementation assumes that future versions will not break compatibility. When
 * it encounters a newer version, it parses it using the current format. This basically means
 * that new versions cannot remove or reorder any of the existing fields.
 *
 * Version 2 is to support a new field "GenerationId" in ConsumerProtocolSubscription.
 * Version 3 adds rack id to ConsumerProtocolSubscription.
 */
export const ConsumerProtocolAssignment = message<ConsumerProtocolAssignment>("data", "ConsumerProtocolAssignment", -1, "0-3", "none", [
  f("AssignedPartitions", "[]TopicPartition", "0+", { fields: [
    f("Topic", "string", "0+"),
    f("Partitions", "[]int32", "0+"),
  ] }),
  f("UserData", "bytes", "0+", { nullable: "0+", default: "null" }),
]);

export interface ConsumerProtocolSubscription {
  topics: string[];
  userData: Uint8Array | null;
  ownedPartitions: ConsumerProtocolSubscriptionTopicPartition[];
  generationId: number;
  rackId: string | null;
}

export interface ConsumerProtocolSubscriptionTopicPartition {
  topic: string;
  partitions: number[];
}

export interface ConsumerProtocolAssignment {
  assignedPartitions: ConsumerProtocolAssignmentTopicPartition[];
  userData: Uint8Array | null;
}

export interface ConsumerProtocolAssignmentTopicPartition {
  topic: string;
  partitions: number[];
}

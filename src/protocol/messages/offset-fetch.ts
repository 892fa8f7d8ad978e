// OffsetFetch (API key 9). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * In version 0, the request read offsets from ZK.
 *
 * Starting in version 1, the broker supports fetching offsets from the internal __consumer_offsets topic.
 *
 * Starting in version 2, the request can contain a null topics array to indicate that offsets
 * for all topics should be fetched. It also returns a top level error code
 * for group or coordinator level errors.
 *
 * Version 3, 4, and 5 are the same as version 2.
 *
 * Version 6 is the first flexible version.
 *
 * Version 7 is adding the require stable flag.
 *
 * Version 8 is adding support for fetching offsets for multiple groups at a time.
 *
 * Version 9 is the first version that can be used with the new consumer group protocol (KIP-848). It adds
 * the MemberId and MemberEpoch fields. Those are filled in and validated when the new consumer protocol is used.
 */
export const OffsetFetchRequest = message<OffsetFetchRequest>("request", "OffsetFetchRequest", 9, "0-9", "6+", [
  f("GroupId", "string", "0-7"),
  f("Topics", "[]OffsetFetchRequestTopic", "0-7", { nullable: "2-7", fields: [
    f("Name", "string", "0-7"),
    f("PartitionIndexes", "[]int32", "0-7"),
  ] }),
  f("Groups", "[]OffsetFetchRequestGroup", "8+", { fields: [
    f("GroupId", "string", "8+"),
    f("MemberId", "string", "9+", { nullable: "9+", default: "null" }),
    f("MemberEpoch", "int32", "9+", { default: "-1" }),
    f("Topics", "[]OffsetFetchRequestTopics", "8+", { nullable: "8+", fields: [
      f("Name", "string", "8+"),
      f("PartitionIndexes", "[]int32", "8+"),
    ] }),
  ] }),
  f("RequireStable", "bool", "7+", { default: "false" }),
]);

/**
 * Version 1 is the same as version 0.
 *
 * Version 2 adds a top-level error code.
 *
 * Version 3 adds the throttle time.
 *
 * Starting in version 4, on quota violation, brokers send out responses before throttling.
 *
 * Version 5 adds the leader epoch to the committed offset.
 *
 * Version 6 is the first flexible version.
 *
 * Version 7 adds pending offset commit as new error response on partition level.
 *
 * Version 8 is adding support for fetching offsets for multiple groups
 *
 * Version 9 is the first version that can be used with the new consumer group protocol (KIP-848). The response is
 * the same as version 8 but can return STALE_MEMBER_EPOCH and UNKNOWN_MEMBER_ID errors when the new consumer group
 * protocol is used.
 * Supported errors:
 * - GROUP_AUTHORIZATION_FAILED (version 0+)
 * - NOT_COORDINATOR (version 0+)
 * - COORDINATOR_NOT_AVAILABLE (version 0+)
 * - COORDINATOR_LOAD_IN_PROGRESS (version 0+)
 * - GROUP_ID_NOT_FOUND (version 0+)
 * - UNSTABLE_OFFSET_COMMIT (version 7+)
 * - UNKNOWN_MEMBER_ID (version 9+)
 * - STALE_MEMBER_EPOCH (version 9+)
 */
export const OffsetFetchResponse = message<OffsetFetchResponse>("response", "OffsetFetchResponse", 9, "0-9", "6+", [
  f("ThrottleTimeMs", "int32", "3+"),
  f("Topics", "[]OffsetFetchResponseTopic", "0-7", { fields: [
    f("Name", "string", "0-7"),
    f("Partitions", "[]OffsetFetchResponsePartition", "0-7", { fields: [
      f("PartitionIndex", "int32", "0-7"),
      f("CommittedOffset", "int64", "0-7"),
      f("CommittedLeaderEpoch", "int32", "5-7", { default: "-1" }),
      f("Metadata", "string", "0-7", { nullable: "0-7" }),
      f("ErrorCode", "int16", "0-7"),
    ] }),
  ] }),
  f("ErrorCode", "int16", "2-7", { default: "0" }),
  f("Groups", "[]OffsetFetchResponseGroup", "8+", { fields: [
    f("GroupId", "string", "8+"),
    f("Topics", "[]OffsetFetchResponseTopics", "8+", { fields: [
      f("Name", "string", "8+"),
      f("Partitions", "[]OffsetFetchResponsePartitions", "8+", { fields: [
        f("PartitionIndex", "int32", "8+"),
        f("CommittedOffset", "int64", "8+"),
        f("CommittedLeaderEpoch", "int32", "8+", { default: "-1" }),
        f("Metadata", "string", "8+", { nullable: "8+" }),
        f("ErrorCode", "int16", "8+"),
      ] }),
    ] }),
    f("ErrorCode", "int16", "8+", { default: "0" }),
  ] }),
]);

export interface OffsetFetchRequest extends TaggedFields {
  groupId: string;
  topics: OffsetFetchRequestTopic[] | null;
  groups: OffsetFetchRequestGroup[];
  requireStable: boolean;
}

export interface OffsetFetchRequestTopic extends TaggedFields {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequestGroup extends TaggedFields {
  groupId: string;
  memberId: string | null;
  memberEpoch: number;
  topics: OffsetFetchRequestTopics[] | null;
}

export interface OffsetFetchRequestTopics extends TaggedFields {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: OffsetFetchResponseTopic[];
  errorCode: number;
  groups: OffsetFetchResponseGroup[];
}

export interface OffsetFetchResponseTopic extends TaggedFields {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponsePartition extends TaggedFields {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseGroup extends TaggedFields {
  groupId: string;
  topics: OffsetFetchResponseTopics[];
  errorCode: number;
}

export interface OffsetFetchResponseTopics extends TaggedFields {
  name: string;
  partitions: OffsetFetchResponsePartitions[];
}

export interface OffsetFetchResponsePartitions extends TaggedFields {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

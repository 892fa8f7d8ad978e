// OffsetCommit (API key 8). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 adds timestamp and group membership information, as well as the commit timestamp.
 *
 * Version 2 adds retention time.  It removes the commit timestamp added in version 1.
 *
 * Version 3 and 4 are the same as version 2.
 *
 * Version 5 removes the retention time, which is now controlled only by a broker configuration.
 *
 * Version 6 adds the leader epoch for fencing.
 *
 * version 7 adds a new field called groupInstanceId to indicate member identity across restarts.
 *
 * Version 8 is the first flexible version.
 *
 * Version 9 is the first version that can be used with the new consumer group protocol (KIP-848). The
 * request is the same as version 8.
 */
export const OffsetCommitRequest = message<OffsetCommitRequest>("request", "OffsetCommitRequest", 8, "0-9", "8+", [
  f("GroupId", "string", "0+"),
  f("GenerationIdOrMemberEpoch", "int32", "1+", { default: "-1" }),
  f("MemberId", "string", "1+"),
  f("GroupInstanceId", "string", "7+", { nullable: "7+", default: "null" }),
  f("RetentionTimeMs", "int64", "2-4", { default: "-1" }),
  f("Topics", "[]OffsetCommitRequestTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]OffsetCommitRequestPartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("CommittedOffset", "int64", "0+"),
      f("CommittedLeaderEpoch", "int32", "6+", { default: "-1" }),
      f("CommitTimestamp", "int64", "1", { default: "-1" }),
      f("CommittedMetadata", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
]);

/**
 * Versions 1 and 2 are the same as version 0.
 *
 * Version 3 adds the throttle time to the response.
 *
 * Starting in version 4, on quota violation, brokers send out responses before throttling.
 *
 * Versions 5 and 6 are the same as version 4.
 *
 * Version 7 offsetCommitRequest supports a new field called groupInstanceId to indicate member identity across restarts.
 *
 * Version 8 is the first flexible version.
 *
 * Version 9 is the first version that can be used with the new consumer group protocol (KIP-848). The response is
 * the same as version 8 but can return STALE_MEMBER_EPOCH when the new consumer group protocol is used and
 * GROUP_ID_NOT_FOUND when the group does not exist for both protocols.
 * Supported errors:
 * - GROUP_AUTHORIZATION_FAILED (version 0+)
 * - NOT_COORDINATOR (version 0+)
 * - COORDINATOR_NOT_AVAILABLE (version 0+)
 * - COORDINATOR_LOAD_IN_PROGRESS (version 0+)
 * - ILLEGAL_GENERATION (version 1+)
 * - UNKNOWN_MEMBER_ID (version 1+)
 * - INVALID_COMMIT_OFFSET_SIZE (version 0+)
 * - FENCED_MEMBER_EPOCH (version 7+)
 * - GROUP_ID_NOT_FOUND (version 9+)
 * - STALE_MEMBER_EPOCH (version 9+)
 */
export const OffsetCommitResponse = message<OffsetCommitResponse>("response", "OffsetCommitResponse", 8, "0-9", "8+", [
  f("ThrottleTimeMs", "int32", "3+"),
  f("Topics", "[]OffsetCommitResponseTopic", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Partitions", "[]OffsetCommitResponsePartition", "0+", { fields: [
      f("PartitionIndex", "int32", "0+"),
      f("ErrorCode", "int16", "0+"),
    ] }),
  ] }),
]);

export interface OffsetCommitRequest extends TaggedFields {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: OffsetCommitRequestTopic[];
}

export interface OffsetCommitRequestTopic extends TaggedFields {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequestPartition extends TaggedFields {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  commitTimestamp: number;
  committedMetadata: string | null;
}

export interface OffsetCommitResponse extends TaggedFields {
  throttleTimeMs: number;
  topics: OffsetCommitResponseTopic[];
}

export interface OffsetCommitResponseTopic extends TaggedFields {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponsePartition extends TaggedFields {
  partitionIndex: number;
  errorCode: number;
}

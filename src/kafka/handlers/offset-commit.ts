/**
 * OffsetCommit (8) v0–9: checked against the group's generation and members, validated per
 * partition (unknown topic or partition, metadata size), answered once the offsets are durable. v0 has no generation or member (-1, ""): it
 * commits for a group that only stores offsets, as Kafka 3.9 does (no longer in ZooKeeper); v1
 * carries a commit time per partition. Needs READ on the group (else every partition answers
 * GROUP_AUTHORIZATION_FAILED) and on each topic (else TOPIC_AUTHORIZATION_FAILED), as Kafka.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetCommitRequest } from "../../protocol/messages/offset-commit.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, topicsAllowed, type BrokerContext } from "../handler.ts";

export const offsetCommitHandler = defineHandler({
  apiKey: 8,
  name: "OffsetCommit",
  minVersion: 0,
  maxVersion: 9,
  async handle(context: BrokerContext, request: OffsetCommitRequest, info) {
    const groupAllowed = context.authorize("READ", "group", request.groupId);
    const readable = groupAllowed ? topicsAllowed(context, "READ", request.topics.map((t) => t.name)) : new Set<string>();
    const partitions = request.topics.filter((t) => readable.has(t.name)).flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.committedMetadata,
        commitTimestampMs: p.commitTimestamp,
      })),
    );
    const denied = groupAllowed ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    const { errorCodes } = partitions.length === 0 ? { errorCodes: [] } : await context.invoke(groupShard(context, request.groupId), "groupCommit", {
      groupId: request.groupId,
      generationId: request.generationIdOrMemberEpoch,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      partitions,
      missingGroupErrorCode: info.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION,
    });
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: readable.has(t.name) ? errorCodes[next++] : denied })),
      })),
    };
  },
});

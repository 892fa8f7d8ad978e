/**
 * OffsetCommit (8) v0–9: checked against the group's generation and members, validated per
 * partition (unknown topic or partition, metadata size), answered once the offsets are durable. v0 has no generation or member (-1, ""): it
 * commits for a group that only stores offsets, as Kafka 3.9 does (no longer in ZooKeeper); v1
 * carries a commit time per partition.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetCommitRequest } from "../../protocol/messages/offset-commit.ts";
import { shardOfGroup } from "../../group/partitioning.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const offsetCommitHandler = defineHandler({
  apiKey: 8,
  name: "OffsetCommit",
  minVersion: 0,
  maxVersion: 9,
  async handle(context: BrokerContext, request: OffsetCommitRequest, info) {
    const partitions = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.committedMetadata,
        commitTimestampMs: p.commitTimestamp,
      })),
    );
    const { errorCodes } = await context.invoke(shardOfGroup(request.groupId, context.shardCount), "groupCommit", {
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
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errorCodes[next++] })),
      })),
    };
  },
});

/**
 * OffsetForLeaderEpoch (23) v0–4. skua has one leader epoch, 0, for every partition: any
 * requested epoch ≥ 0 ends at the high watermark. A client that believes in a later current
 * epoch gets UNKNOWN_LEADER_EPOCH. Each topic needs DESCRIBE (a follower's request, replica id
 * >= 0, CLUSTER_ACTION), else TOPIC_AUTHORIZATION_FAILED.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from "../../protocol/messages/index.ts";
import type { OffsetAnswer } from "../ops.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

const LEADER_EPOCH = 0;
const NO_CURRENT_EPOCH = -1;
const unknownPartition: OffsetAnswer = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestampMs: -1 };
const notAuthorized: OffsetAnswer = { ...unknownPartition, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: 23,
  name: "OffsetForLeaderEpoch",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
    const queries = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, timestampMs: -1 })));
    const follower = request.replicaId >= 0;
    const ends = follower && !context.authorize("CLUSTER_ACTION", "cluster", CLUSTER_RESOURCE_NAME)
      ? queries.map(() => notAuthorized)
      : await invokeOnOwners(context, "listOffsets", queries, unknownPartition, follower ? undefined : { operation: "DESCRIBE", denied: notAuthorized });
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => endOffset(p, ends[next++])),
      })),
    };
  },
});

function endOffset(p: { partition: number; currentLeaderEpoch: number; leaderEpoch: number }, end: OffsetAnswer) {
  const none = { partition: p.partition, leaderEpoch: -1, endOffset: -1 };
  if (end.errorCode !== ErrorCode.NONE) return { ...none, errorCode: end.errorCode };
  if (p.currentLeaderEpoch > LEADER_EPOCH) return { ...none, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
  if (p.currentLeaderEpoch !== NO_CURRENT_EPOCH && p.currentLeaderEpoch < LEADER_EPOCH) return { ...none, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
  if (p.leaderEpoch < 0) return { ...none, errorCode: ErrorCode.NONE };
  return { partition: p.partition, errorCode: ErrorCode.NONE, leaderEpoch: LEADER_EPOCH, endOffset: end.offset };
}

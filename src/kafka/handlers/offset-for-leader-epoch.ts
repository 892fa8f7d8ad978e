/**
 * OffsetForLeaderEpoch (23) v0–4. On one node every partition has one leader epoch, 0: any
 * requested epoch ≥ 0 ends at the high watermark, and a client that believes in a later current
 * epoch gets UNKNOWN_LEADER_EPOCH. A replicated partition's leader answers from its Raft log's
 * term ranges (the leader epoch is the Raft term): the largest epoch at or below the requested
 * one and where it ends (replication/replicated-partition.ts). Each topic needs DESCRIBE (a
 * follower's request, replica id >= 0, CLUSTER_ACTION), else TOPIC_AUTHORIZATION_FAILED.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from "../../protocol/messages/index.ts";
import type { EpochAnswer, OffsetAnswer } from "../ops.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

const LEADER_EPOCH = 0;
const NO_CURRENT_EPOCH = -1;
const unknownPartition: OffsetAnswer = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestampMs: -1 };
const unknownEpoch: EpochAnswer = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1 };
const notAuthorized: OffsetAnswer = { ...unknownPartition, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
const epochNotAuthorized: EpochAnswer = { ...unknownEpoch, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: 23,
  name: "OffsetForLeaderEpoch",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
    const table = context.metadata();
    const asked = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, p })));
    const replicated = asked.filter((a) => table.assignment(a.topic, a.partition) !== undefined);
    const single = asked.filter((a) => table.assignment(a.topic, a.partition) === undefined);
    const follower = request.replicaId >= 0;
    const refused = follower && !context.authorize("CLUSTER_ACTION", "cluster", CLUSTER_RESOURCE_NAME);
    const check = <T>(denied: T) => (follower ? undefined : { operation: "DESCRIBE" as const, denied });
    const [ends, epochs] = refused
      ? [single.map(() => notAuthorized), replicated.map(() => epochNotAuthorized)]
      : await Promise.all([
          invokeOnOwners(context, "listOffsets", single.map((a) => ({ topic: a.topic, partition: a.partition, timestampMs: -1 })), unknownPartition, check(notAuthorized)),
          invokeOnOwners(context, "epochEnds", replicated.map((a) => ({ topic: a.topic, partition: a.partition, currentLeaderEpoch: a.p.currentLeaderEpoch, leaderEpoch: a.p.leaderEpoch })), unknownEpoch, check(epochNotAuthorized)),
        ]);
    const answers = new Map<object, object>();
    single.forEach((a, i) => answers.set(a.p, endOffset(a.p, ends[i])));
    replicated.forEach((a, i) => answers.set(a.p, { partition: a.partition, ...epochs[i] }));
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => answers.get(p)!),
      })),
    } as OffsetForLeaderEpochResponse;
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

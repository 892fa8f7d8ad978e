/**
 * ListOffsets (2) v0–10: earliest (-2), latest (-1), max timestamp (-3), or the first offset at a
 * time; earliest local (-4, v8+) is the earliest here, and latest tiered (-5, v9+) is -1 as Kafka
 * answers without tiered storage. v0 answers a list of up to max_num_offsets offsets: this broker
 * answers the one offset it finds, or none when asked for none. Kafka's v0 lists more when asked
 * (the latest offset, then segment base offsets) and answers a time by segment modification times;
 * that is not kept here, so v0 with a time gets v1's answer, and max_num_offsets > 1 gets one offset.
 * Each topic needs DESCRIBE, else TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetAnswer } from "../ops.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; currentLeaderEpoch: number; timestamp: number; maxNumOffsets: number }> }>;
}

const EARLIEST = -2;
const EARLIEST_LOCAL = -4;
const LATEST = -1;
const LATEST_TIERED = -5;

const unknownPartition: OffsetAnswer = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestampMs: -1 };
const notAuthorized: OffsetAnswer = { ...unknownPartition, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };

export const listOffsetsHandler = defineHandler({
  apiKey: 2,
  name: "ListOffsets",
  minVersion: 0,
  maxVersion: 10,
  async handle(context: BrokerContext, request: ListOffsetsRequest, info) {
    const queries = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, timestampMs: localTimestamp(p.timestamp), currentLeaderEpoch: p.currentLeaderEpoch ?? -1 })),
    );
    const results = await invokeOnOwners(context, "listOffsets", queries, unknownPartition, { operation: "DESCRIBE", denied: notAuthorized });
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => partitionAnswer(p, results[next++], info.apiVersion)),
      })),
    };
  },
});

type Query = ListOffsetsRequest["topics"][number]["partitions"][number];

function partitionAnswer(p: Query, found: OffsetAnswer, version: number) {
  const r = p.timestamp === LATEST_TIERED && found.errorCode === ErrorCode.NONE ? { ...found, offset: -1, timestampMs: -1 } : found;
  const oldStyleOffsets = version === 0 && r.offset >= 0 && p.maxNumOffsets > 0 ? [r.offset] : [];
  // A single node's epoch is 0; a replicated partition's is the Raft term of the offset's entry.
  return { partitionIndex: p.partitionIndex, errorCode: r.errorCode, timestamp: r.timestampMs, offset: r.offset, leaderEpoch: r.leaderEpoch ?? 0, oldStyleOffsets };
}

/** The query the partition's log answers: nothing is tiered, so the local log is the whole log. */
function localTimestamp(timestamp: number): number {
  if (timestamp === EARLIEST_LOCAL) return EARLIEST;
  if (timestamp === LATEST_TIERED) return LATEST; // only to learn whether the partition exists
  return timestamp;
}

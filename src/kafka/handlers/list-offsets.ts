/** ListOffsets (2) v1–7: earliest (-2), latest (-1), max timestamp (-3), or the first offset at a time. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetAnswer } from "../ops.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: number }> }>;
}

const unknownPartition: OffsetAnswer = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestampMs: -1 };

export const listOffsetsHandler = defineHandler({
  apiKey: 2,
  name: "ListOffsets",
  minVersion: 1,
  maxVersion: 7,
  async handle(context: BrokerContext, request: ListOffsetsRequest) {
    const queries = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, timestampMs: p.timestamp })));
    const results = await invokeOnOwners(context, "listOffsets", queries, unknownPartition);
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const r = results[next++];
          return { partitionIndex: p.partitionIndex, errorCode: r.errorCode, timestamp: r.timestampMs, offset: r.offset, leaderEpoch: 0 };
        }),
      })),
    };
  },
});

/** ListOffsets (2) v1–7: earliest (-2), latest (-1), max timestamp (-3), or the first offset at a time. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetAnswer } from "../../shard/ops.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";

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
    const table = context.metadata();
    const queries = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, timestampMs: p.timestamp, shard: table.ownerOf(t.name, p.partitionIndex) })),
    );
    const known = queries.filter((q) => q.shard !== undefined);
    const answers = await scatterByShard(known, (q) => q.shard!, (shard, items) =>
      context.invoke(shard, "listOffsets", { items: items.map(({ shard: _, ...query }) => query) }),
    );
    let k = 0;
    const results = queries.map((q) => (q.shard === undefined ? unknownPartition : answers[k++]));
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

/**
 * DescribeProducers (61) v0: per partition, the producers its owner shard remembers (the
 * idempotent and transactional producer state): epoch, last sequence, last timestamp,
 * coordinator epoch of its last marker, and the first offset of its open transaction (-1: none).
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeProducersRequest } from "../../protocol/messages/index.ts";
import type { OpResponse } from "../ops.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

const unknownPartition: OpResponse<"describeProducers">[number] = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, activeProducers: [] };

export const describeProducersHandler = defineHandler({
  apiKey: 61,
  name: "DescribeProducers",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: DescribeProducersRequest) {
    const items = request.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
    const results = await invokeOnOwners(context, "describeProducers", items, unknownPartition);
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const r = results[next++];
          return { partitionIndex, errorCode: r.errorCode, errorMessage: null, activeProducers: r.activeProducers };
        }),
      })),
    };
  },
});

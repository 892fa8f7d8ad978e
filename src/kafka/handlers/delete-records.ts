/** DeleteRecords (21) v0–2: moves each partition's log start offset forward on its owner shard; each topic needs DELETE. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { DeleteRecordsRequest } from "../../protocol/messages/index.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

const unknownPartition = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
const notAuthorized = { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, lowWatermark: -1 };

export const deleteRecordsHandler = defineHandler({
  apiKey: 21,
  name: "DeleteRecords",
  minVersion: 0,
  maxVersion: 2,
  async handle(context: BrokerContext, request: DeleteRecordsRequest) {
    const items = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.offset })));
    const results = await invokeOnOwners(context, "deleteRecords", items, unknownPartition, { operation: "DELETE", denied: notAuthorized });
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...results[next++] })),
      })),
    };
  },
});

/** OffsetDelete (47) v0: removes committed offsets, except of topics the group's live members subscribe to. */
import type { OffsetDeleteRequest } from "../../protocol/messages/offset-delete.ts";
import { shardOfGroup } from "../../group/partitioning.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const offsetDeleteHandler = defineHandler({
  apiKey: 47,
  name: "OffsetDelete",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: OffsetDeleteRequest) {
    const partitions = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const result = await context.invoke(shardOfGroup(request.groupId, context.shardCount), "groupOffsetDelete", { groupId: request.groupId, partitions });
    let next = 0;
    return {
      errorCode: result.errorCode,
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: result.partitionErrors[next++] })),
      })),
    };
  },
});

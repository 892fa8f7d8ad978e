/**
 * OffsetDelete (47) v0: removes committed offsets, except of topics the group's live members
 * subscribe to. Needs DELETE on the group (else GROUP_AUTHORIZATION_FAILED) and READ on each
 * topic (else TOPIC_AUTHORIZATION_FAILED for its partitions), as Kafka.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetDeleteRequest } from "../../protocol/messages/offset-delete.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, topicsAllowed, type BrokerContext } from "../handler.ts";

export const offsetDeleteHandler = defineHandler({
  apiKey: 47,
  name: "OffsetDelete",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: OffsetDeleteRequest) {
    if (!context.authorize("DELETE", "group", request.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const readable = topicsAllowed(context, "READ", request.topics.map((t) => t.name));
    const partitions = request.topics.filter((t) => readable.has(t.name)).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const result = await context.invoke(groupShard(context, request.groupId), "groupOffsetDelete", { groupId: request.groupId, partitions });
    let next = 0;
    return {
      errorCode: result.errorCode,
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: readable.has(t.name) ? result.partitionErrors[next++] : ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
      })),
    };
  },
});

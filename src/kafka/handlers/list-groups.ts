/** ListGroups (16) v0–5: every group on every shard, filtered by state (v4+) and type (v5+: all are "classic"). */
import type { ListGroupsRequest } from "../../protocol/messages/list-groups.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const listGroupsHandler = defineHandler({
  apiKey: 16,
  name: "ListGroups",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: ListGroupsRequest) {
    const types = request.typesFilter.map((t) => t.toLowerCase());
    if (types.length > 0 && !types.includes("classic")) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [] };
    const shards = Array.from({ length: context.shardCount }, (_, shard) => shard);
    const perShard = await Promise.all(shards.map((shard) => context.invoke(shard, "groupList", { states: request.statesFilter })));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: perShard.flat().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: "classic" })),
    };
  },
});

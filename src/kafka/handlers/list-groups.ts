/**
 * ListGroups (16) v0–5: every group on every shard, filtered by state (v4+) and type (v5+: all
 * are "classic"). With DESCRIBE on the cluster every group, else those the principal may DESCRIBE (as Kafka).
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
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
    const all = context.authorize("DESCRIBE", "cluster", CLUSTER_RESOURCE_NAME);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: perShard.flat().filter((g) => all || context.authorize("DESCRIBE", "group", g.groupId)).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: "classic" })),
    };
  },
});

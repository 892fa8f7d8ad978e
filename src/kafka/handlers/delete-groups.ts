/** DeleteGroups (42) v0–2: an empty group and its offsets go (durably); a group with members is NON_EMPTY_GROUP. */
import type { DeleteGroupsRequest } from "../../protocol/messages/delete-groups.ts";
import { shardOfGroup } from "../../group/partitioning.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";

export const deleteGroupsHandler = defineHandler({
  apiKey: 42,
  name: "DeleteGroups",
  minVersion: 0,
  maxVersion: 2,
  async handle(context: BrokerContext, request: DeleteGroupsRequest) {
    const errorCodes = await scatterByShard(request.groupsNames, (id) => shardOfGroup(id, context.shardCount), (shard, groupIds) =>
      context.invoke(shard, "groupDelete", { groupIds }),
    );
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId, i) => ({ groupId, errorCode: errorCodes[i] })) };
  },
});

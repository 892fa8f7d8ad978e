/** DeleteGroups (42) v0–2: an empty group and its offsets go (durably); a group with members is NON_EMPTY_GROUP. Each needs DELETE, else GROUP_AUTHORIZATION_FAILED. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { DeleteGroupsRequest } from "../../protocol/messages/delete-groups.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";

export const deleteGroupsHandler = defineHandler({
  apiKey: 42,
  name: "DeleteGroups",
  minVersion: 0,
  maxVersion: 2,
  async handle(context: BrokerContext, request: DeleteGroupsRequest) {
    const allowed = request.groupsNames.filter((id) => context.authorize("DELETE", "group", id));
    const errorCodes = await scatterByShard(allowed, (id) => groupShard(context, id), (shard, groupIds) =>
      context.invoke(shard, "groupDelete", { groupIds }),
    );
    return { throttleTimeMs: 0, results: answerInOrder(request.groupsNames, allowed, errorCodes).map(([groupId, errorCode]) => ({ groupId, errorCode })) };
  },
});

/** Each asked group with its answer: the allowed ones' in order, GROUP_AUTHORIZATION_FAILED for the rest. */
function answerInOrder(asked: string[], allowed: string[], errorCodes: number[]): Array<[string, number]> {
  let next = 0;
  return asked.map((id) => [id, allowed[next] === id ? errorCodes[next++] : ErrorCode.GROUP_AUTHORIZATION_FAILED]);
}

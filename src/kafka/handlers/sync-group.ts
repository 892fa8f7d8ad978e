/** SyncGroup (14) v0–5: the leader hands in every member's assignment; each member gets its own. Needs READ on the group. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { SyncGroupRequest } from "../../protocol/messages/sync-group.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const syncGroupHandler = defineHandler({
  apiKey: 14,
  name: "SyncGroup",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: SyncGroupRequest) {
    if (!context.authorize("READ", "group", request.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: new Uint8Array(0) };
    }
    const result = await context.invoke(groupShard(context, request.groupId), "groupSync", {
      groupId: request.groupId,
      memberId: request.memberId,
      generationId: request.generationId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocolName: request.protocolName,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return { throttleTimeMs: 0, ...result };
  },
});

/** Heartbeat (12) v0–4: keeps a member's session alive and tells it when the group rebalances. Needs READ on the group. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { HeartbeatRequest } from "../../protocol/messages/heartbeat.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const heartbeatHandler = defineHandler({
  apiKey: 12,
  name: "Heartbeat",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: HeartbeatRequest) {
    if (!context.authorize("READ", "group", request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const { errorCode } = await context.invoke(groupShard(context, request.groupId), "groupHeartbeat", {
      groupId: request.groupId,
      memberId: request.memberId,
      generationId: request.generationId,
      groupInstanceId: request.groupInstanceId,
    });
    return { throttleTimeMs: 0, errorCode };
  },
});

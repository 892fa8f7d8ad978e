/** LeaveGroup (13) v0–5: one member (v0–2) or a batch of members (v3+, by id or group.instance.id) leave. Needs READ on the group. */
import type { LeaveGroupRequest } from "../../protocol/messages/leave-group.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const leaveGroupHandler = defineHandler({
  apiKey: 13,
  name: "LeaveGroup",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: LeaveGroupRequest, info) {
    if (!context.authorize("READ", "group", request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const batched = info.apiVersion >= 3;
    const members = batched
      ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
      : [{ memberId: request.memberId, groupInstanceId: null }];
    const result = await context.invoke(groupShard(context, request.groupId), "groupLeave", { groupId: request.groupId, members });
    // Before v3 there is only the one member, and its error is the response's.
    const errorCode = !batched && result.errorCode === ErrorCode.NONE ? (result.members[0]?.errorCode ?? ErrorCode.NONE) : result.errorCode;
    return { throttleTimeMs: 0, errorCode, members: result.members };
  },
});

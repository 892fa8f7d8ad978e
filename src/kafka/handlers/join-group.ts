/**
 * JoinGroup (11) v0–9, on the shard that owns the group. The answer waits for the join phase
 * to end (every member rejoined, or the rebalance timeout). From v4 a member without an id is
 * first given one with MEMBER_ID_REQUIRED; from v5 group.instance.id makes it static. Needs
 * READ on the group, else GROUP_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { JoinGroupRequest } from "../../protocol/messages/join-group.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const joinGroupHandler = defineHandler({
  apiKey: 11,
  name: "JoinGroup",
  minVersion: 0,
  maxVersion: 9,
  async handle(context: BrokerContext, request: JoinGroupRequest, info) {
    if (!context.authorize("READ", "group", request.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: info.apiVersion >= 7 ? null : "", leader: "", skipAssignment: false, memberId: request.memberId, members: [] };
    }
    const result = await context.invoke(groupShard(context, request.groupId), "groupJoin", {
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: info.clientId ?? "",
      clientHost: "",
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: info.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs, // v0 has no rebalance timeout
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      requireKnownMemberId: info.apiVersion >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      protocolName: info.apiVersion >= 7 ? result.protocolName : (result.protocolName ?? ""),
      leader: result.leader,
      skipAssignment: false,
      memberId: result.memberId,
      members: result.members,
    };
  },
});

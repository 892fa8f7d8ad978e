/** DescribeGroups (15) v0–5: state, protocol and members of each group, asked of its owner shard; a group the principal may not DESCRIBE: GROUP_AUTHORIZATION_FAILED. */
import type { DescribeGroupsRequest } from "../../protocol/messages/describe-groups.ts";
import { groupShard } from "../group-routing.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";
import { AUTHORIZED_OPERATIONS_OMITTED, authorizedOperations } from "../authorize.ts";
import { ErrorCode } from "../../protocol/errors.ts";

export const describeGroupsHandler = defineHandler({
  apiKey: 15,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: DescribeGroupsRequest) {
    const allowed = request.groups.filter((id) => context.authorize("DESCRIBE", "group", id));
    const described = await scatterByShard(allowed, (id) => groupShard(context, id), (shard, groupIds) =>
      context.invoke(shard, "groupDescribe", { groupIds }),
    );
    const byId = new Map(described.map((g) => [g.groupId, g]));
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((id) => byId.get(id) ?? refused(id)).map((g) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: g.errorCode === ErrorCode.GROUP_AUTHORIZATION_FAILED ? AUTHORIZED_OPERATIONS_OMITTED : authorizedOperations(context.authorize, "group", g.groupId, request.includeAuthorizedOperations),
      })),
    };
  },
});

function refused(groupId: string) {
  return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, state: "", protocolType: "", protocolData: "", members: [] };
}

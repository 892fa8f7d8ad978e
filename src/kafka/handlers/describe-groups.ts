/** DescribeGroups (15) v0–5: state, protocol and members of each group, asked of its owner shard. */
import type { DescribeGroupsRequest } from "../../protocol/messages/describe-groups.ts";
import { shardOfGroup } from "../../group/partitioning.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";
import { authorizedOperations } from "./authorized-operations.ts";

export const describeGroupsHandler = defineHandler({
  apiKey: 15,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: DescribeGroupsRequest) {
    const described = await scatterByShard(request.groups, (id) => shardOfGroup(id, context.shardCount), (shard, groupIds) =>
      context.invoke(shard, "groupDescribe", { groupIds }),
    );
    return {
      throttleTimeMs: 0,
      groups: described.map((g) => ({
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
        authorizedOperations: authorizedOperations("group", request.includeAuthorizedOperations),
      })),
    };
  },
});

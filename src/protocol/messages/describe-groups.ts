// DescribeGroups (API key 15). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Versions 1 and 2 are the same as version 0.
 *
 * Starting in version 3, authorized operations can be requested.
 *
 * Starting in version 4, the response will include group.instance.id info for members.
 *
 * Version 5 is the first flexible version.
 */
export const DescribeGroupsRequest = message<DescribeGroupsRequest>("request", "DescribeGroupsRequest", 15, "0-5", "5+", [
  f("Groups", "[]string", "0+"),
  f("IncludeAuthorizedOperations", "bool", "3+"),
]);

/**
 * Version 1 added throttle time.
 *
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 *
 * Starting in version 3, brokers can send authorized operations.
 *
 * Starting in version 4, the response will optionally include group.instance.id info for members.
 *
 * Version 5 is the first flexible version.
 */
export const DescribeGroupsResponse = message<DescribeGroupsResponse>("response", "DescribeGroupsResponse", 15, "0-5", "5+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("Groups", "[]DescribedGroup", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("GroupId", "string", "0+"),
    f("GroupState", "string", "0+"),
    f("ProtocolType", "string", "0+"),
    f("ProtocolData", "string", "0+"),
    f("Members", "[]DescribedGroupMember", "0+", { fields: [
      f("MemberId", "string", "0+"),
      f("GroupInstanceId", "string", "4+", { nullable: "4+", default: "null" }),
      f("ClientId", "string", "0+"),
      f("ClientHost", "string", "0+"),
      f("MemberMetadata", "bytes", "0+"),
      f("MemberAssignment", "bytes", "0+"),
    ] }),
    f("AuthorizedOperations", "int32", "3+", { default: "-2147483648" }),
  ] }),
]);

export interface DescribeGroupsRequest extends TaggedFields {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export interface DescribeGroupsResponse extends TaggedFields {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

export interface DescribedGroup extends TaggedFields {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations: number;
}

export interface DescribedGroupMember extends TaggedFields {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Uint8Array;
  memberAssignment: Uint8Array;
}

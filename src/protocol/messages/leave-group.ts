// LeaveGroup (API key 13). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 and 2 are the same as version 0.
 *
 * Version 3 defines batch processing scheme with group.instance.id + member.id for identity
 *
 * Version 4 is the first flexible version.
 *
 * Version 5 adds the Reason field (KIP-800).
 */
export const LeaveGroupRequest = message<LeaveGroupRequest>("request", "LeaveGroupRequest", 13, "0-5", "4+", [
  f("GroupId", "string", "0+"),
  f("MemberId", "string", "0-2"),
  f("Members", "[]MemberIdentity", "3+", { fields: [
    f("MemberId", "string", "3+"),
    f("GroupInstanceId", "string", "3+", { nullable: "3+", default: "null" }),
    f("Reason", "string", "5+", { nullable: "5+", default: "null" }),
  ] }),
]);

/**
 * Version 1 adds the throttle time.
 *
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 *
 * Starting in version 3, we will make leave group request into batch mode and add group.instance.id.
 *
 * Version 4 is the first flexible version.
 *
 * Version 5 is the same as version 4.
 */
export const LeaveGroupResponse = message<LeaveGroupResponse>("response", "LeaveGroupResponse", 13, "0-5", "4+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("ErrorCode", "int16", "0+"),
  f("Members", "[]MemberResponse", "3+", { fields: [
    f("MemberId", "string", "3+"),
    f("GroupInstanceId", "string", "3+", { nullable: "3+" }),
    f("ErrorCode", "int16", "3+"),
  ] }),
]);

export interface LeaveGroupRequest extends TaggedFields {
  groupId: string;
  memberId: string;
  members: MemberIdentity[];
}

export interface MemberIdentity extends TaggedFields {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  members: MemberResponse[];
}

export interface MemberResponse extends TaggedFields {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

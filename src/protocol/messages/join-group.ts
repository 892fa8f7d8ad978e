// JoinGroup (API key 11). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 adds RebalanceTimeoutMs.
 *
 * Version 2 and 3 are the same as version 1.
 *
 * Starting from version 4, the client needs to issue a second request to join group
 *
 * Starting from version 5, we add a new field called groupInstanceId to indicate member identity across restarts.
 * with assigned id.
 *
 * Version 6 is the first flexible version.
 *
 * Version 7 is the same as version 6.
 *
 * Version 8 adds the Reason field (KIP-800).
 *
 * Version 9 is the same as version 8.
 */
export const JoinGroupRequest = message<JoinGroupRequest>("request", "JoinGroupRequest", 11, "0-9", "6+", [
  f("GroupId", "string", "0+"),
  f("SessionTimeoutMs", "int32", "0+"),
  f("RebalanceTimeoutMs", "int32", "1+", { default: "-1" }),
  f("MemberId", "string", "0+"),
  f("GroupInstanceId", "string", "5+", { nullable: "5+", default: "null" }),
  f("ProtocolType", "string", "0+"),
  f("Protocols", "[]JoinGroupRequestProtocol", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Metadata", "bytes", "0+"),
  ] }),
  f("Reason", "string", "8+", { nullable: "8+", default: "null" }),
]);

/**
 * Version 1 is the same as version 0.
 *
 * Version 2 adds throttle time.
 *
 * Starting in version 3, on quota violation, brokers send out responses before throttling.
 *
 * Starting in version 4, the client needs to issue a second request to join group
 * with assigned id.
 *
 * Version 5 is bumped to apply group.instance.id to identify member across restarts.
 *
 * Version 6 is the first flexible version.
 *
 * Starting from version 7, the broker sends back the Protocol Type to the client (KIP-559).
 *
 * Version 8 is the same as version 7.
 *
 * Version 9 adds the SkipAssignment field.
 */
export const JoinGroupResponse = message<JoinGroupResponse>("response", "JoinGroupResponse", 11, "0-9", "6+", [
  f("ThrottleTimeMs", "int32", "2+"),
  f("ErrorCode", "int16", "0+"),
  f("GenerationId", "int32", "0+", { default: "-1" }),
  f("ProtocolType", "string", "7+", { nullable: "7+", default: "null" }),
  f("ProtocolName", "string", "0+", { nullable: "7+" }),
  f("Leader", "string", "0+"),
  f("SkipAssignment", "bool", "9+", { default: "false" }),
  f("MemberId", "string", "0+"),
  f("Members", "[]JoinGroupResponseMember", "0+", { fields: [
    f("MemberId", "string", "0+"),
    f("GroupInstanceId", "string", "5+", { nullable: "5+", default: "null" }),
    f("Metadata", "bytes", "0+"),
  ] }),
]);

export interface JoinGroupRequest extends TaggedFields {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
  reason: string | null;
}

export interface JoinGroupRequestProtocol extends TaggedFields {
  name: string;
  metadata: Uint8Array;
}

export interface JoinGroupResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupResponseMember[];
}

export interface JoinGroupResponseMember extends TaggedFields {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

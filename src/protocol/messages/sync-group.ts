// SyncGroup (API key 14). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Versions 1 and 2 are the same as version 0.
 *
 * Starting from version 3, we add a new field called groupInstanceId to indicate member identity across restarts.
 *
 * Version 4 is the first flexible version.
 *
 * Starting from version 5, the client sends the Protocol Type and the Protocol Name
 * to the broker (KIP-559). The broker will reject the request if they are inconsistent
 * with the Type and Name known by the broker.
 */
export const SyncGroupRequest = message<SyncGroupRequest>("request", "SyncGroupRequest", 14, "0-5", "4+", [
  f("GroupId", "string", "0+"),
  f("GenerationId", "int32", "0+"),
  f("MemberId", "string", "0+"),
  f("GroupInstanceId", "string", "3+", { nullable: "3+", default: "null" }),
  f("ProtocolType", "string", "5+", { nullable: "5+", default: "null" }),
  f("ProtocolName", "string", "5+", { nullable: "5+", default: "null" }),
  f("Assignments", "[]SyncGroupRequestAssignment", "0+", { fields: [
    f("MemberId", "string", "0+"),
    f("Assignment", "bytes", "0+"),
  ] }),
]);

/**
 * Version 1 adds throttle time.
 *
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 *
 * Starting from version 3, syncGroupRequest supports a new field called groupInstanceId to indicate member identity across restarts.
 *
 * Version 4 is the first flexible version.
 *
 * Starting from version 5, the broker sends back the Protocol Type and the Protocol Name
 * to the client (KIP-559).
 */
export const SyncGroupResponse = message<SyncGroupResponse>("response", "SyncGroupResponse", 14, "0-5", "4+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("ErrorCode", "int16", "0+"),
  f("ProtocolType", "string", "5+", { nullable: "5+", default: "null" }),
  f("ProtocolName", "string", "5+", { nullable: "5+", default: "null" }),
  f("Assignment", "bytes", "0+"),
]);

export interface SyncGroupRequest extends TaggedFields {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: SyncGroupRequestAssignment[];
}

export interface SyncGroupRequestAssignment extends TaggedFields {
  memberId: string;
  assignment: Uint8Array;
}

export interface SyncGroupResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

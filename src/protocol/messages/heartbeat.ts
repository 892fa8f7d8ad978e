// Heartbeat (API key 12). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 and version 2 are the same as version 0.
 *
 * Starting from version 3, we add a new field called groupInstanceId to indicate member identity across restarts.
 *
 * Version 4 is the first flexible version.
 */
export const HeartbeatRequest = message<HeartbeatRequest>("request", "HeartbeatRequest", 12, "0-4", "4+", [
  f("GroupId", "string", "0+"),
  f("GenerationId", "int32", "0+"),
  f("MemberId", "string", "0+"),
  f("GroupInstanceId", "string", "3+", { nullable: "3+", default: "null" }),
]);

/**
 * Version 1 adds throttle time.
 *
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 *
 * Starting from version 3, heartbeatRequest supports a new field called groupInstanceId to indicate member identity across restarts.
 *
 * Version 4 is the first flexible version.
 */
export const HeartbeatResponse = message<HeartbeatResponse>("response", "HeartbeatResponse", 12, "0-4", "4+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("ErrorCode", "int16", "0+"),
]);

export interface HeartbeatRequest extends TaggedFields {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
}

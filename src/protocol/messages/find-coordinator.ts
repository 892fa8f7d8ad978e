// FindCoordinator (API key 10). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 adds KeyType.
 *
 * Version 2 is the same as version 1.
 *
 * Version 3 is the first flexible version.
 *
 * Version 4 adds support for batching via CoordinatorKeys (KIP-699)
 *
 * Version 5 adds support for new error code TRANSACTION_ABORTABLE (KIP-890).
 *
 * Version 6 adds support for share groups (KIP-932).
 */
export const FindCoordinatorRequest = message<FindCoordinatorRequest>("request", "FindCoordinatorRequest", 10, "0-6", "3+", [
  f("Key", "string", "0-3"),
  f("KeyType", "int8", "1+", { default: "0" }),
  f("CoordinatorKeys", "[]string", "4+"),
]);

/**
 * Version 1 adds throttle time and error messages.
 *
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 *
 * Version 3 is the first flexible version.
 *
 * Version 4 adds support for batching via Coordinators (KIP-699)
 *
 * Version 5 adds support for new error code TRANSACTION_ABORTABLE (KIP-890).
 *
 * Version 6 adds support for share groups (KIP-932).
 */
export const FindCoordinatorResponse = message<FindCoordinatorResponse>("response", "FindCoordinatorResponse", 10, "0-6", "3+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("ErrorCode", "int16", "0-3"),
  f("ErrorMessage", "string", "1-3", { nullable: "1-3" }),
  f("NodeId", "int32", "0-3"),
  f("Host", "string", "0-3"),
  f("Port", "int32", "0-3"),
  f("Coordinators", "[]Coordinator", "4+", { fields: [
    f("Key", "string", "4+"),
    f("NodeId", "int32", "4+"),
    f("Host", "string", "4+"),
    f("Port", "int32", "4+"),
    f("ErrorCode", "int16", "4+"),
    f("ErrorMessage", "string", "4+", { nullable: "4+" }),
  ] }),
]);

export interface FindCoordinatorRequest extends TaggedFields {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

export interface FindCoordinatorResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Coordinator[];
}

export interface Coordinator extends TaggedFields {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

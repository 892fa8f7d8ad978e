// Request and response headers. Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 0 of the RequestHeader is only used by v0 of ControlledShutdownRequest.
 *
 * Version 1 is the first version with ClientId.
 *
 * Version 2 is the first flexible version.
 */
export const RequestHeader = message<RequestHeader>("header", "RequestHeader", -1, "0-2", "2+", [
  f("RequestApiKey", "int16", "0+"),
  f("RequestApiVersion", "int16", "0+"),
  f("CorrelationId", "int32", "0+"),
  f("ClientId", "string", "1+", { nullable: "1+", flexible: "none" }),
]);

/**
 * Version 1 is the first flexible version.
 */
export const ResponseHeader = message<ResponseHeader>("header", "ResponseHeader", -1, "0-1", "1+", [
  f("CorrelationId", "int32", "0+"),
]);

export interface RequestHeader extends TaggedFields {
  requestApiKey: number;
  requestApiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface ResponseHeader extends TaggedFields {
  correlationId: number;
}

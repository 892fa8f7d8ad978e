// SaslHandshake (API key 17). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message } from "../schema.ts";

/**
 * Version 1 supports SASL_AUTHENTICATE.
 * NOTE: Version cannot be easily bumped due to incorrect
 * client negotiation for clients <= 2.4.
 * See https://issues.apache.org/jira/browse/KAFKA-9577
 */
export const SaslHandshakeRequest = message<SaslHandshakeRequest>("request", "SaslHandshakeRequest", 17, "0-1", "none", [
  f("Mechanism", "string", "0+"),
]);

/**
 * Version 1 is the same as version 0.
 * NOTE: Version cannot be easily bumped due to incorrect
 * client negotiation for clients <= 2.4.
 * See https://issues.apache.org/jira/browse/KAFKA-9577
 */
export const SaslHandshakeResponse = message<SaslHandshakeResponse>("response", "SaslHandshakeResponse", 17, "0-1", "none", [
  f("ErrorCode", "int16", "0+"),
  f("Mechanisms", "[]string", "0+"),
]);

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

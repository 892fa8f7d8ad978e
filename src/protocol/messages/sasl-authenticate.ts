// SaslAuthenticate (API key 36). Written from the Apache Kafka message definitions (Apache
// License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

/** Version 1 is the same as version 0. Version 2 adds flexible version support. */
export const SaslAuthenticateRequest = message<SaslAuthenticateRequest>("request", "SaslAuthenticateRequest", 36, "0-2", "2+", [
  f("AuthBytes", "bytes", "0+"),
]);

/** Version 1 adds the session lifetime (KIP-368). Version 2 adds flexible version support. */
export const SaslAuthenticateResponse = message<SaslAuthenticateResponse>("response", "SaslAuthenticateResponse", 36, "0-2", "2+", [
  f("ErrorCode", "int16", "0+"),
  f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  f("AuthBytes", "bytes", "0+"),
  f("SessionLifetimeMs", "int64", "1+", { default: "0" }),
]);

export interface SaslAuthenticateRequest extends TaggedFields {
  authBytes: Uint8Array;
}

export interface SaslAuthenticateResponse extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Uint8Array;
  sessionLifetimeMs: number;
}

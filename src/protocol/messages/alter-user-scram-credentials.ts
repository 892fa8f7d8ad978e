// AlterUserScramCredentials (API key 51). Written from the Apache Kafka message definitions
// (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

export const AlterUserScramCredentialsRequest = message<AlterUserScramCredentialsRequest>("request", "AlterUserScramCredentialsRequest", 51, "0", "0+", [
  f("Deletions", "[]ScramCredentialDeletion", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Mechanism", "int8", "0+"),
  ] }),
  f("Upsertions", "[]ScramCredentialUpsertion", "0+", { fields: [
    f("Name", "string", "0+"),
    f("Mechanism", "int8", "0+"),
    f("Iterations", "int32", "0+"),
    f("Salt", "bytes", "0+"),
    f("SaltedPassword", "bytes", "0+"),
  ] }),
]);

export const AlterUserScramCredentialsResponse = message<AlterUserScramCredentialsResponse>("response", "AlterUserScramCredentialsResponse", 51, "0", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Results", "[]AlterUserScramCredentialsResult", "0+", { fields: [
    f("User", "string", "0+"),
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  ] }),
]);

export interface AlterUserScramCredentialsRequest extends TaggedFields {
  deletions: ScramCredentialDeletion[];
  upsertions: ScramCredentialUpsertion[];
}

export interface ScramCredentialDeletion extends TaggedFields {
  name: string;
  mechanism: number;
}

export interface ScramCredentialUpsertion extends TaggedFields {
  name: string;
  mechanism: number;
  iterations: number;
  salt: Uint8Array;
  saltedPassword: Uint8Array;
}

export interface AlterUserScramCredentialsResponse extends TaggedFields {
  throttleTimeMs: number;
  results: AlterUserScramCredentialsResult[];
}

export interface AlterUserScramCredentialsResult extends TaggedFields {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

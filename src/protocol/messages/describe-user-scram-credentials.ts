// DescribeUserScramCredentials (API key 50). Written from the Apache Kafka message definitions
// (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

export const DescribeUserScramCredentialsRequest = message<DescribeUserScramCredentialsRequest>("request", "DescribeUserScramCredentialsRequest", 50, "0", "0+", [
  f("Users", "[]UserName", "0+", { nullable: "0+", fields: [
    f("Name", "string", "0+"),
  ] }),
]);

export const DescribeUserScramCredentialsResponse = message<DescribeUserScramCredentialsResponse>("response", "DescribeUserScramCredentialsResponse", 50, "0", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  f("Results", "[]DescribeUserScramCredentialsResult", "0+", { fields: [
    f("User", "string", "0+"),
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    f("CredentialInfos", "[]CredentialInfo", "0+", { fields: [
      f("Mechanism", "int8", "0+"),
      f("Iterations", "int32", "0+"),
    ] }),
  ] }),
]);

export interface DescribeUserScramCredentialsRequest extends TaggedFields {
  users: UserName[] | null;
}

export interface UserName extends TaggedFields {
  name: string;
}

export interface DescribeUserScramCredentialsResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  results: DescribeUserScramCredentialsResult[];
}

export interface DescribeUserScramCredentialsResult extends TaggedFields {
  user: string;
  errorCode: number;
  errorMessage: string | null;
  credentialInfos: CredentialInfo[];
}

export interface CredentialInfo extends TaggedFields {
  mechanism: number;
  iterations: number;
}

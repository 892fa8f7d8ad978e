// ApiVersions (API key 18). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Versions 0 through 2 of ApiVersionsRequest are the same.
 *
 * Version 3 is the first flexible version and adds ClientSoftwareName and ClientSoftwareVersion.
 *
 * Version 4 fixes KAFKA-17011, which blocked SupportedFeatures.MinVersion in the response from being 0.
 */
export const ApiVersionsRequest = message<ApiVersionsRequest>("request", "ApiVersionsRequest", 18, "0-4", "3+", [
  f("ClientSoftwareName", "string", "3+"),
  f("ClientSoftwareVersion", "string", "3+"),
]);

/**
 * Version 1 adds throttle time to the response.
 *
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 *
 * Version 3 is the first flexible version. Tagged fields are only supported in the body but
 * not in the header. The length of the header must not change in order to guarantee the
 * backward compatibility.
 *
 * Starting from Apache Kafka 2.4 (KIP-511), ApiKeys field is populated with the supported
 * versions of the ApiVersionsRequest when an UNSUPPORTED_VERSION error is returned.
 *
 * Version 4 fixes KAFKA-17011, which blocked SupportedFeatures.MinVersion from being 0.
 */
export const ApiVersionsResponse = message<ApiVersionsResponse>("response", "ApiVersionsResponse", 18, "0-4", "3+", [
  f("ErrorCode", "int16", "0+"),
  f("ApiKeys", "[]ApiVersion", "0+", { fields: [
    f("ApiKey", "int16", "0+"),
    f("MinVersion", "int16", "0+"),
    f("MaxVersion", "int16", "0+"),
  ] }),
  f("ThrottleTimeMs", "int32", "1+"),
  f("SupportedFeatures", "[]SupportedFeatureKey", "3+", { tag: 0, tagged: "3+", fields: [
    f("Name", "string", "3+"),
    f("MinVersion", "int16", "3+"),
    f("MaxVersion", "int16", "3+"),
  ] }),
  f("FinalizedFeaturesEpoch", "int64", "3+", { tag: 1, tagged: "3+", default: "-1" }),
  f("FinalizedFeatures", "[]FinalizedFeatureKey", "3+", { tag: 2, tagged: "3+", fields: [
    f("Name", "string", "3+"),
    f("MaxVersionLevel", "int16", "3+"),
    f("MinVersionLevel", "int16", "3+"),
  ] }),
  f("ZkMigrationReady", "bool", "3+", { tag: 3, tagged: "3+", default: "false" }),
]);

export interface ApiVersionsRequest extends TaggedFields {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponse extends TaggedFields {
  errorCode: number;
  apiKeys: ApiVersion[];
  throttleTimeMs: number;
  supportedFeatures: SupportedFeatureKey[];
  finalizedFeaturesEpoch: number;
  finalizedFeatures: FinalizedFeatureKey[];
  zkMigrationReady: boolean;
}

export interface ApiVersion extends TaggedFields {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface SupportedFeatureKey extends TaggedFields {
  name: string;
  minVersion: number;
  maxVersion: number;
}

export interface FinalizedFeatureKey extends TaggedFields {
  name: string;
  maxVersionLevel: number;
  minVersionLevel: number;
}

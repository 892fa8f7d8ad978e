// DescribeConfigs (API key 32). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 adds IncludeSynonyms.
 * Version 2 is the same as version 1.
 * Version 4 enables flexible versions.
 */
export const DescribeConfigsRequest = message<DescribeConfigsRequest>("request", "DescribeConfigsRequest", 32, "0-4", "4+", [
  f("Resources", "[]DescribeConfigsResource", "0+", { fields: [
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
    f("ConfigurationKeys", "[]string", "0+", { nullable: "0+" }),
  ] }),
  f("IncludeSynonyms", "bool", "1+", { default: "false" }),
  f("IncludeDocumentation", "bool", "3+", { default: "false" }),
]);

/**
 * Version 1 adds ConfigSource and the synonyms.
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 * Version 4 enables flexible versions.
 */
export const DescribeConfigsResponse = message<DescribeConfigsResponse>("response", "DescribeConfigsResponse", 32, "0-4", "4+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Results", "[]DescribeConfigsResult", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
    f("Configs", "[]DescribeConfigsResourceResult", "0+", { fields: [
      f("Name", "string", "0+"),
      f("Value", "string", "0+", { nullable: "0+" }),
      f("ReadOnly", "bool", "0+"),
      f("IsDefault", "bool", "0"),
      f("ConfigSource", "int8", "1+", { default: "-1" }),
      f("IsSensitive", "bool", "0+"),
      f("Synonyms", "[]DescribeConfigsSynonym", "1+", { fields: [
        f("Name", "string", "1+"),
        f("Value", "string", "1+", { nullable: "0+" }),
        f("Source", "int8", "1+"),
      ] }),
      f("ConfigType", "int8", "3+", { default: "0" }),
      f("Documentation", "string", "3+", { nullable: "0+" }),
    ] }),
  ] }),
]);

export interface DescribeConfigsRequest extends TaggedFields {
  resources: DescribeConfigsResource[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export interface DescribeConfigsResource extends TaggedFields {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

export interface DescribeConfigsResponse extends TaggedFields {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

export interface DescribeConfigsResult extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResourceResult[];
}

export interface DescribeConfigsResourceResult extends TaggedFields {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: DescribeConfigsSynonym[];
  configType: number;
  documentation: string | null;
}

export interface DescribeConfigsSynonym extends TaggedFields {
  name: string;
  value: string | null;
  source: number;
}

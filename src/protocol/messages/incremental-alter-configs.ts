// IncrementalAlterConfigs (API key 44). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the first flexible version.
 */
export const IncrementalAlterConfigsRequest = message<IncrementalAlterConfigsRequest>("request", "IncrementalAlterConfigsRequest", 44, "0-1", "1+", [
  f("Resources", "[]AlterConfigsResource", "0+", { fields: [
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
    f("Configs", "[]AlterableConfig", "0+", { fields: [
      f("Name", "string", "0+"),
      f("ConfigOperation", "int8", "0+"),
      f("Value", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
  f("ValidateOnly", "bool", "0+"),
]);

/**
 * Version 1 is the first flexible version.
 */
export const IncrementalAlterConfigsResponse = message<IncrementalAlterConfigsResponse>("response", "IncrementalAlterConfigsResponse", 44, "0-1", "1+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Responses", "[]AlterConfigsResourceResponse", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
  ] }),
]);

export interface IncrementalAlterConfigsRequest extends TaggedFields {
  resources: IncrementalAlterConfigsRequestAlterConfigsResource[];
  validateOnly: boolean;
}

export interface IncrementalAlterConfigsRequestAlterConfigsResource extends TaggedFields {
  resourceType: number;
  resourceName: string;
  configs: IncrementalAlterConfigsRequestAlterableConfig[];
}

export interface IncrementalAlterConfigsRequestAlterableConfig extends TaggedFields {
  name: string;
  configOperation: number;
  value: string | null;
}

export interface IncrementalAlterConfigsResponse extends TaggedFields {
  throttleTimeMs: number;
  responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponse[];
}

export interface IncrementalAlterConfigsResponseAlterConfigsResourceResponse extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

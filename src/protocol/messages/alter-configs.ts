// AlterConfigs (API key 33). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 * Version 2 enables flexible versions.
 */
export const AlterConfigsRequest = message<AlterConfigsRequest>("request", "AlterConfigsRequest", 33, "0-2", "2+", [
  f("Resources", "[]AlterConfigsResource", "0+", { fields: [
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
    f("Configs", "[]AlterableConfig", "0+", { fields: [
      f("Name", "string", "0+"),
      f("Value", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
  f("ValidateOnly", "bool", "0+"),
]);

/**
 * Starting in version 1, on quota violation brokers send out responses before throttling.
 * Version 2 enables flexible versions.
 */
export const AlterConfigsResponse = message<AlterConfigsResponse>("response", "AlterConfigsResponse", 33, "0-2", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Responses", "[]AlterConfigsResourceResponse", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
  ] }),
]);

export interface AlterConfigsRequest extends TaggedFields {
  resources: AlterConfigsRequestAlterConfigsResource[];
  validateOnly: boolean;
}

export interface AlterConfigsRequestAlterConfigsResource extends TaggedFields {
  resourceType: number;
  resourceName: string;
  configs: AlterConfigsRequestAlterableConfig[];
}

export interface AlterConfigsRequestAlterableConfig extends TaggedFields {
  name: string;
  value: string | null;
}

export interface AlterConfigsResponse extends TaggedFields {
  throttleTimeMs: number;
  responses: AlterConfigsResponseAlterConfigsResourceResponse[];
}

export interface AlterConfigsResponseAlterConfigsResourceResponse extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

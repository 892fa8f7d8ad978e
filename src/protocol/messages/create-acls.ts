// CreateAcls (API key 30). Written from the Apache Kafka message definitions
// (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

export const CreateAclsRequest = message<CreateAclsRequest>("request", "CreateAclsRequest", 30, "0-3", "2+", [
  f("Creations", "[]AclCreation", "0+", { fields: [
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
    f("ResourcePatternType", "int8", "1+", { default: "3" }),
    f("Principal", "string", "0+"),
    f("Host", "string", "0+"),
    f("Operation", "int8", "0+"),
    f("PermissionType", "int8", "0+"),
  ] }),
]);

export const CreateAclsResponse = message<CreateAclsResponse>("response", "CreateAclsResponse", 30, "0-3", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Results", "[]AclCreationResult", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  ] }),
]);

export interface CreateAclsRequest extends TaggedFields {
  creations: AclCreation[];
}

export interface AclCreation extends TaggedFields {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface CreateAclsResponse extends TaggedFields {
  throttleTimeMs: number;
  results: AclCreationResult[];
}

export interface AclCreationResult extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
}

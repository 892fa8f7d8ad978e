// DescribeAcls (API key 29). Written from the Apache Kafka message definitions
// (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

export const DescribeAclsRequest = message<DescribeAclsRequest>("request", "DescribeAclsRequest", 29, "0-3", "2+", [
  f("ResourceTypeFilter", "int8", "0+"),
  f("ResourceNameFilter", "string", "0+", { nullable: "0+" }),
  f("PatternTypeFilter", "int8", "1+", { default: "3" }),
  f("PrincipalFilter", "string", "0+", { nullable: "0+" }),
  f("HostFilter", "string", "0+", { nullable: "0+" }),
  f("Operation", "int8", "0+"),
  f("PermissionType", "int8", "0+"),
]);

export const DescribeAclsResponse = message<DescribeAclsResponse>("response", "DescribeAclsResponse", 29, "0-3", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  f("Resources", "[]DescribeAclsResource", "0+", { fields: [
    f("ResourceType", "int8", "0+"),
    f("ResourceName", "string", "0+"),
    f("PatternType", "int8", "1+", { default: "3" }),
    f("Acls", "[]AclDescription", "0+", { fields: [
      f("Principal", "string", "0+"),
      f("Host", "string", "0+"),
      f("Operation", "int8", "0+"),
      f("PermissionType", "int8", "0+"),
    ] }),
  ] }),
]);

export interface DescribeAclsRequest extends TaggedFields {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

export interface DescribeAclsResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  resources: DescribeAclsResource[];
}

export interface DescribeAclsResource extends TaggedFields {
  resourceType: number;
  resourceName: string;
  patternType: number;
  acls: AclDescription[];
}

export interface AclDescription extends TaggedFields {
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

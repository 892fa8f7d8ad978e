// DeleteAcls (API key 31). Written from the Apache Kafka message definitions
// (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

export const DeleteAclsRequest = message<DeleteAclsRequest>("request", "DeleteAclsRequest", 31, "0-3", "2+", [
  f("Filters", "[]DeleteAclsFilter", "0+", { fields: [
    f("ResourceTypeFilter", "int8", "0+"),
    f("ResourceNameFilter", "string", "0+", { nullable: "0+" }),
    f("PatternTypeFilter", "int8", "1+", { default: "3" }),
    f("PrincipalFilter", "string", "0+", { nullable: "0+" }),
    f("HostFilter", "string", "0+", { nullable: "0+" }),
    f("Operation", "int8", "0+"),
    f("PermissionType", "int8", "0+"),
  ] }),
]);

export const DeleteAclsResponse = message<DeleteAclsResponse>("response", "DeleteAclsResponse", 31, "0-3", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("FilterResults", "[]DeleteAclsFilterResult", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    f("MatchingAcls", "[]DeleteAclsMatchingAcl", "0+", { fields: [
      f("ErrorCode", "int16", "0+"),
      f("ErrorMessage", "string", "0+", { nullable: "0+" }),
      f("ResourceType", "int8", "0+"),
      f("ResourceName", "string", "0+"),
      f("PatternType", "int8", "1+", { default: "3" }),
      f("Principal", "string", "0+"),
      f("Host", "string", "0+"),
      f("Operation", "int8", "0+"),
      f("PermissionType", "int8", "0+"),
    ] }),
  ] }),
]);

export interface DeleteAclsRequest extends TaggedFields {
  filters: DeleteAclsFilter[];
}

export interface DeleteAclsFilter extends TaggedFields {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

export interface DeleteAclsResponse extends TaggedFields {
  throttleTimeMs: number;
  filterResults: DeleteAclsFilterResult[];
}

export interface DeleteAclsFilterResult extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
  matchingAcls: DeleteAclsMatchingAcl[];
}

export interface DeleteAclsMatchingAcl extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

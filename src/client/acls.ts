/** ACLs over the Kafka API: CreateAcls, DescribeAcls, DeleteAcls, with Kafka's codes by name. */
import type { KafkaClient } from "./client.ts";
import { check, errorName } from "./errors.ts";
import { AclOperation, AclPermission, PatternType, ResourceType, type AclBinding, type AclFilter } from "../protocol/acls.ts";

/** Kafka's codes by lower-case name, as the CLI takes and prints them. */
type LowerCaseNames<T extends Record<string, number>> = { readonly [K in Exclude<keyof T, "UNKNOWN"> as Lowercase<K & string>]: T[K] };
function lowerCaseNames<T extends Record<string, number>>(table: T): LowerCaseNames<T> {
  return Object.fromEntries(Object.entries(table).filter(([name]) => name !== "UNKNOWN").map(([name, code]) => [name.toLowerCase(), code])) as LowerCaseNames<T>;
}
export const ACL_RESOURCE_TYPES = lowerCaseNames(ResourceType);
export const ACL_PATTERN_TYPES = lowerCaseNames(PatternType);
export const ACL_OPERATIONS = lowerCaseNames(AclOperation);
export const ACL_PERMISSIONS = lowerCaseNames(AclPermission);
export { CLUSTER_RESOURCE_NAME as CLUSTER_NAME } from "../protocol/acls.ts";
export type Acl = AclBinding;
export type { AclFilter };

/** A code's lower-case name in `table`, or the number. */
export function codeName(table: Record<string, number>, code: number): string {
  return Object.entries(table).find(([, c]) => c === code)?.[0] ?? String(code);
}

export interface AclOutcome {
  acl: Acl;
  /** The Kafka error name, or "OK". */
  status: string;
  message: string | null;
}

export async function createAcls(client: KafkaClient, acls: Acl[]): Promise<AclOutcome[]> {
  const response = await client.call("CreateAcls", {
    creations: acls.map((a) => ({ resourceType: a.resourceType, resourceName: a.resourceName, resourcePatternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permission })),
  });
  return response.results.map((r: any, i: number) => ({ acl: acls[i]!, status: r.errorCode === 0 ? "OK" : errorName(r.errorCode), message: r.errorMessage }));
}

export async function describeAcls(client: KafkaClient, filter: AclFilter): Promise<Acl[]> {
  const response = await client.call("DescribeAcls", {
    resourceTypeFilter: filter.resourceType, resourceNameFilter: filter.resourceName, patternTypeFilter: filter.patternType,
    principalFilter: filter.principal, hostFilter: filter.host, operation: filter.operation, permissionType: filter.permission,
  });
  check(response.errorCode, "DescribeAcls", response.errorMessage);
  return response.resources.flatMap((r: any) => r.acls.map((a: any) => ({
    resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType,
  })));
}

/** The ACLs each filter deleted; a filter the broker refused throws. */
export async function deleteAcls(client: KafkaClient, filters: AclFilter[]): Promise<Acl[][]> {
  const response = await client.call("DeleteAcls", {
    filters: filters.map((f) => ({
      resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
      principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permission,
    })),
  });
  return response.filterResults.map((r: any) => {
    check(r.errorCode, "DeleteAcls", r.errorMessage);
    return r.matchingAcls.map((a: any) => ({
      resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType,
    }));
  });
}

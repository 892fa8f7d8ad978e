/** ACLs over the Kafka API: CreateAcls, DescribeAcls, DeleteAcls, with Kafka's codes by name. */
import type { KafkaClient } from "./client.ts";
import { check, errorName } from "./errors.ts";

export const ACL_RESOURCE_TYPES = { any: 1, topic: 2, group: 3, cluster: 4, transactional_id: 5 } as const;
export const ACL_PATTERN_TYPES = { any: 1, match: 2, literal: 3, prefixed: 4 } as const;
export const ACL_OPERATIONS = {
  any: 1, all: 2, read: 3, write: 4, create: 5, delete: 6, alter: 7, describe: 8, cluster_action: 9,
  describe_configs: 10, alter_configs: 11, idempotent_write: 12, create_tokens: 13, describe_tokens: 14,
} as const;
export const ACL_PERMISSIONS = { any: 1, deny: 2, allow: 3 } as const;
/** The one name of the CLUSTER resource (Kafka's). */
export const CLUSTER_NAME = "kafka-cluster";

export interface Acl {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

/** A filter: ANY codes (and MATCH for patterns), null strings for any. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

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

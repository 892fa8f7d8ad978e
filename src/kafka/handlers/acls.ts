/**
 * DescribeAcls (29), CreateAcls (30) and DeleteAcls (31), v0–3 (v0 has no pattern type: LITERAL).
 * Describing reads this shard's copy of the metadata; creating and deleting go through the
 * controller, which logs the change and applies it on every shard before the answer. Describe
 * needs DESCRIBE on the cluster, create and delete ALTER (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { limits } from "../../base/limits.ts";
import { aclFilterMatches, aclFilterProblem, CLUSTER_RESOURCE_NAME, type AclBinding, type AclFilter } from "../../cluster/acls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type {
  CreateAclsRequest, CreateAclsResponse, DeleteAclsFilter, DeleteAclsRequest, DeleteAclsResponse, DescribeAclsRequest, DescribeAclsResponse, DescribeAclsResource,
} from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

const CLUSTER_DENIED = "not authorized on the cluster";

export const describeAclsHandler = defineHandler({
  apiKey: 29,
  name: "DescribeAcls",
  minVersion: 0,
  maxVersion: 3,
  async handle(context: BrokerContext, request: DescribeAclsRequest): Promise<DescribeAclsResponse> {
    const answer = (errorCode: number, errorMessage: string | null, resources: DescribeAclsResource[] = []) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources });
    if (!context.authorize("DESCRIBE", "cluster", CLUSTER_RESOURCE_NAME)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_DENIED);
    const filter = toFilter(request);
    const problem = aclFilterProblem(filter);
    if (problem) return answer(ErrorCode.INVALID_REQUEST, problem);
    const matched = [...context.metadata().acls.all()].filter((acl) => aclFilterMatches(filter, acl));
    return answer(ErrorCode.NONE, null, byResource(matched));
  },
});

export const createAclsHandler = defineHandler({
  apiKey: 30,
  name: "CreateAcls",
  minVersion: 0,
  maxVersion: 3,
  async handle(context: BrokerContext, request: CreateAclsRequest): Promise<CreateAclsResponse> {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode, errorMessage })) });
    if (!context.authorize("ALTER", "cluster", CLUSTER_RESOURCE_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_DENIED);
    if (request.creations.length > limits.aclsPerRequestMax) return all(ErrorCode.INVALID_REQUEST, `at most ${limits.aclsPerRequestMax} ACLs per request`);
    const acls: AclBinding[] = request.creations.map((c) => ({
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      patternType: c.resourcePatternType,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permission: c.permissionType,
    }));
    const results = acls.length === 0 ? [] : await context.callController("createAcls", { acls });
    return { throttleTimeMs: 0, results };
  },
});

export const deleteAclsHandler = defineHandler({
  apiKey: 31,
  name: "DeleteAcls",
  minVersion: 0,
  maxVersion: 3,
  async handle(context: BrokerContext, request: DeleteAclsRequest): Promise<DeleteAclsResponse> {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!context.authorize("ALTER", "cluster", CLUSTER_RESOURCE_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_DENIED);
    if (request.filters.length > limits.aclsPerRequestMax) return all(ErrorCode.INVALID_REQUEST, `at most ${limits.aclsPerRequestMax} filters per request`);
    const outcomes = request.filters.length === 0 ? [] : await context.callController("deleteAcls", { filters: request.filters.map(toFilter) });
    return {
      throttleTimeMs: 0,
      filterResults: outcomes.map((o) => ({
        errorCode: o.errorCode,
        errorMessage: o.errorMessage,
        matchingAcls: o.deleted.map((acl) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...described(acl), resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType })),
      })),
    };
  },
});

function toFilter(f: DescribeAclsRequest | DeleteAclsFilter): AclFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    patternType: f.patternTypeFilter,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permission: f.permissionType,
  };
}

function described(acl: AclBinding) {
  return { principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permission };
}

/** The bindings grouped under their resource pattern, as DescribeAcls answers. */
function byResource(acls: AclBinding[]): DescribeAclsResource[] {
  const resources = new Map<string, DescribeAclsResource>();
  for (const acl of acls) {
    const key = JSON.stringify([acl.resourceType, acl.resourceName, acl.patternType]);
    let resource = resources.get(key);
    if (!resource) resources.set(key, (resource = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] }));
    resource.acls.push(described(acl));
  }
  return [...resources.values()];
}

// DeleteGroups (API key 42). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 *
 * Version 2 is the first flexible version.
 */
export const DeleteGroupsRequest = message<DeleteGroupsRequest>("request", "DeleteGroupsRequest", 42, "0-2", "2+", [
  f("GroupsNames", "[]string", "0+"),
]);

/**
 * Starting in version 1, on quota violation, brokers send out responses before throttling.
 *
 * Version 2 is the first flexible version.
 */
export const DeleteGroupsResponse = message<DeleteGroupsResponse>("response", "DeleteGroupsResponse", 42, "0-2", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Results", "[]DeletableGroupResult", "0+", { fields: [
    f("GroupId", "string", "0+"),
    f("ErrorCode", "int16", "0+"),
  ] }),
]);

export interface DeleteGroupsRequest extends TaggedFields {
  groupsNames: string[];
}

export interface DeleteGroupsResponse extends TaggedFields {
  throttleTimeMs: number;
  results: DeletableGroupResult[];
}

export interface DeletableGroupResult extends TaggedFields {
  groupId: string;
  errorCode: number;
}

// ListGroups (API key 16). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 and 2 are the same as version 0.
 *
 * Version 3 is the first flexible version.
 *
 * Version 4 adds the StatesFilter field (KIP-518).
 *
 * Version 5 adds the TypesFilter field (KIP-848).
 */
export const ListGroupsRequest = message<ListGroupsRequest>("request", "ListGroupsRequest", 16, "0-5", "3+", [
  f("StatesFilter", "[]string", "4+"),
  f("TypesFilter", "[]string", "5+"),
]);

/**
 * Version 1 adds the throttle time.
 *
 * Starting in version 2, on quota violation, brokers send out
 * responses before throttling.
 *
 * Version 3 is the first flexible version.
 *
 * Version 4 adds the GroupState field (KIP-518).
 *
 * Version 5 adds the GroupType field (KIP-848).
 */
export const ListGroupsResponse = message<ListGroupsResponse>("response", "ListGroupsResponse", 16, "0-5", "3+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("ErrorCode", "int16", "0+"),
  f("Groups", "[]ListedGroup", "0+", { fields: [
    f("GroupId", "string", "0+"),
    f("ProtocolType", "string", "0+"),
    f("GroupState", "string", "4+"),
    f("GroupType", "string", "5+"),
  ] }),
]);

export interface ListGroupsRequest extends TaggedFields {
  statesFilter: string[];
  typesFilter: string[];
}

export interface ListGroupsResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  groups: ListedGroup[];
}

export interface ListedGroup extends TaggedFields {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

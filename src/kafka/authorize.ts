/**
 * The authorization check every handler makes through `context.authorize`: the request's
 * principal and host against the ACLs in the shard's metadata copy. Off (everything allowed)
 * unless authorization is on (kafka_enable_authorization, or with it null, enable_sasl); a
 * superuser is allowed everything (Redpanda's `superusers` names users).
 */
import { AclOperation, OPERATION_NAMES, SUPPORTED_OPERATIONS, type AclOperationName, type AclResourceName, type AclSubject } from "../cluster/acls.ts";
import { isIP } from "node:net";
import type { MetadataTable } from "../cluster/metadata.ts";
import { authorizationEnabled, listValue, type ClusterProperties } from "../cluster/properties.ts";

/**
 * May the request do `operation` on the resource named `name`? `name` null asks whether it may
 * on some resource of that type (Kafka's authorizeByResourceType, as InitProducerId asks WRITE
 * on any topic).
 */
export type Authorize = (operation: AclOperationName, resource: AclResourceName, name: string | null) => boolean;

const allowAll: Authorize = () => true;

/** Builds the check for one connection's requests; `subject` is read at each check (a re-login may change the user). */
export function authorizerFor(props: ClusterProperties, metadata: () => MetadataTable): (subject: AclSubject) => Authorize {
  if (!authorizationEnabled(props)) return () => allowAll;
  const superusers = new Set(listValue(props.superusers).map((name) => `User:${name}`));
  return (subject) => {
    if (superusers.has(subject.principal)) return allowAll;
    return (operation, resource, name) => {
      const acls = metadata().acls;
      const code = AclOperation[operation];
      return name === null ? acls.allowsSomeOfType(subject, code, resource) : acls.allows(subject, code, resource, name);
    };
  };
}

/** The host ACLs match: the client's IP, an IPv4-mapped IPv6 address (a dual-stack listener's) as plain IPv4. */
export function aclHost(remoteAddress: string): string {
  const mapped = remoteAddress.toLowerCase().startsWith("::ffff:") ? remoteAddress.slice(7) : null;
  return mapped !== null && isIP(mapped) === 4 ? mapped : remoteAddress;
}

/** What a client gets when it did not ask for authorized operations (Kafka: Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Kafka's authorized-operations field: bit N set for each AclOperation code N the principal may do on the resource. */
export function authorizedOperations(authorize: Authorize, resource: AclResourceName, name: string, asked: boolean): number {
  if (!asked) return AUTHORIZED_OPERATIONS_OMITTED;
  let bits = 0;
  for (const code of SUPPORTED_OPERATIONS[resource]) if (authorize(OPERATION_NAMES[code] as AclOperationName, resource, name)) bits |= 1 << code;
  return bits;
}

/**
 * ACLs: bindings of (resource pattern, principal, host, operation, allow/deny) as the metadata
 * keeps them, how DescribeAcls and DeleteAcls filters match them, and the decision Kafka's
 * authorizer makes from them. The codes and shapes are protocol/acls.ts's.
 */
import { isIP } from "node:net";
import { limits } from "../base/limits.ts";
import { AclOperation, AclPermission, CLUSTER_RESOURCE_NAME, PatternType, ResourceType, type AclBinding, type AclFilter } from "../protocol/acls.ts";

export { AclOperation, AclPermission, CLUSTER_RESOURCE_NAME, PatternType, ResourceType, type AclBinding, type AclFilter } from "../protocol/acls.ts";

export type AclOperationName = Exclude<keyof typeof AclOperation, "UNKNOWN" | "ANY">;
/** Each code's name (for authorized-operations fields and the CLI). */
export const OPERATION_NAMES = Object.fromEntries(Object.entries(AclOperation).map(([name, code]) => [code, name])) as Record<number, keyof typeof AclOperation>;
/** The resource types a check is made on. */
export type AclResourceName = "topic" | "group" | "cluster" | "transactional_id";
export const RESOURCE_CODE: Record<AclResourceName, number> = { topic: ResourceType.TOPIC, group: ResourceType.GROUP, cluster: ResourceType.CLUSTER, transactional_id: ResourceType.TRANSACTIONAL_ID };

export const WILDCARD = "*";
export const ANONYMOUS_PRINCIPAL = "User:ANONYMOUS";
const PRINCIPAL_WILDCARD = "User:*";

/** The operations Kafka's authorizer knows on each resource type (AclEntry.supportedOperations), ALL aside. */
const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;
export const SUPPORTED_OPERATIONS: Record<AclResourceName, readonly number[]> = {
  topic: [READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS],
  group: [READ, DELETE, DESCRIBE],
  cluster: [CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE],
  transactional_id: [WRITE, DESCRIBE],
};

/** Kafka's implication rules: an allowed READ, WRITE, DELETE or ALTER allows DESCRIBE; ALTER_CONFIGS allows DESCRIBE_CONFIGS. */
const ALLOWED_BY: Record<number, readonly number[]> = {
  [DESCRIBE]: [DESCRIBE, READ, WRITE, DELETE, ALTER],
  [DESCRIBE_CONFIGS]: [DESCRIBE_CONFIGS, ALTER_CONFIGS],
};

export function aclKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission]);
}

function principalProblem(principal: string): string | null {
  const colon = principal.indexOf(":");
  if (colon <= 0 || colon === principal.length - 1) return `principal '${principal}' is not of the form Type:name`;
  if (principal.slice(0, colon) !== "User") return `principal type '${principal.slice(0, colon)}' is not supported (only User)`;
  return null;
}

function lengthProblem(what: string, value: string): string | null {
  return value.length > limits.aclFieldCharsMax ? `${what} is longer than ${limits.aclFieldCharsMax} characters` : null;
}

/** Why a binding cannot be created (Kafka answers INVALID_REQUEST), or null. */
export function aclBindingProblem(b: AclBinding): string | null {
  const { TOPIC, TRANSACTIONAL_ID, CLUSTER, GROUP, DELEGATION_TOKEN, USER } = ResourceType;
  if (b.resourceType === DELEGATION_TOKEN || b.resourceType === USER) return "skua has no delegation tokens: ACLs on DELEGATION_TOKEN and USER resources are not supported";
  if (![TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID].includes(b.resourceType as 2)) return `invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `invalid pattern type ${b.patternType} (LITERAL or PREFIXED)`;
  if (b.operation < AclOperation.ALL || b.operation > AclOperation.DESCRIBE_TOKENS) return `invalid operation ${b.operation}`;
  if (b.permission !== AclPermission.ALLOW && b.permission !== AclPermission.DENY) return `invalid permission type ${b.permission} (ALLOW or DENY)`;
  if (b.resourceName === "") return "resource name is empty";
  if (b.resourceType === CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) return `the only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  if (b.resourceType === CLUSTER && b.patternType !== PatternType.LITERAL) return "a CLUSTER ACL must have a LITERAL pattern";
  if (b.host !== WILDCARD && isIP(b.host) === 0) return `host '${b.host}' is neither '*' nor an IP address`;
  return lengthProblem("resource name", b.resourceName) ?? lengthProblem("principal", b.principal) ?? principalProblem(b.principal);
}

/** Why a filter cannot be used (Kafka: it has UNKNOWN elements), or null. */
export function aclFilterProblem(f: AclFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN || f.resourceType > ResourceType.USER) return `invalid resource type filter ${f.resourceType}`;
  if (f.patternType === PatternType.UNKNOWN || f.patternType > PatternType.PREFIXED) return `invalid pattern type filter ${f.patternType}`;
  if (f.operation === AclOperation.UNKNOWN || f.operation > AclOperation.DESCRIBE_TOKENS) return `invalid operation filter ${f.operation}`;
  if (f.permission === AclPermission.UNKNOWN || f.permission > AclPermission.ALLOW) return `invalid permission type filter ${f.permission}`;
  return null;
}

/** Kafka's ResourcePatternFilter.matches: MATCH finds the patterns that would apply to the named resource. */
function patternMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === b.patternType) return f.resourceName === b.resourceName;
  if (b.patternType === PatternType.LITERAL) return f.resourceName === b.resourceName || b.resourceName === WILDCARD;
  return f.resourceName.startsWith(b.resourceName);
}

export function aclFilterMatches(f: AclFilter, b: AclBinding): boolean {
  return (
    patternMatches(f, b) &&
    (f.principal === null || f.principal === b.principal) &&
    (f.host === null || f.host === b.host) &&
    (f.operation === AclOperation.ANY || f.operation === b.operation) &&
    (f.permission === AclPermission.ANY || f.permission === b.permission)
  );
}

/** Who asks, from where. */
export interface AclSubject {
  principal: string;
  host: string;
}

/**
 * The bindings of one resource type, indexed the way checks look them up: literal ones by name,
 * prefixed ones by prefix with the distinct prefix lengths, so a check looks up the name's
 * prefixes of those lengths only (not every prefixed binding).
 */
class TypeIndex {
  readonly literal = new Map<string, AclBinding[]>();
  readonly prefixed = new Map<string, AclBinding[]>();
  /** Distinct lengths of the prefixes, ascending. */
  prefixLengths: number[] = [];

  add(b: AclBinding): void {
    const map = b.patternType === PatternType.PREFIXED ? this.prefixed : this.literal;
    const list = map.get(b.resourceName);
    if (list) list.push(b);
    else map.set(b.resourceName, [b]);
    if (map === this.prefixed && !list) this.prefixLengths = lengthsOf(this.prefixed);
  }

  remove(b: AclBinding, key: string): void {
    const map = b.patternType === PatternType.PREFIXED ? this.prefixed : this.literal;
    const rest = (map.get(b.resourceName) ?? []).filter((x) => aclKey(x) !== key);
    if (rest.length > 0) return void map.set(b.resourceName, rest);
    map.delete(b.resourceName);
    if (map === this.prefixed) this.prefixLengths = lengthsOf(this.prefixed);
  }

  all(): AclBinding[] {
    return [...[...this.literal.values()].flat(), ...[...this.prefixed.values()].flat()];
  }
}

function lengthsOf(prefixed: Map<string, AclBinding[]>): number[] {
  return [...new Set([...prefixed.keys()].map((prefix) => prefix.length))].sort((a, b) => a - b);
}

/**
 * All ACL bindings (each once), indexed by resource type and literal name so a check looks at
 * the bindings that can apply to its resource, not all of them.
 */
export class AclStore {
  private readonly byKey = new Map<string, AclBinding>();
  private readonly byType = new Map<number, TypeIndex>();

  get size(): number {
    return this.byKey.size;
  }

  all(): IterableIterator<AclBinding> {
    return this.byKey.values();
  }

  has(b: AclBinding): boolean {
    return this.byKey.has(aclKey(b));
  }

  add(b: AclBinding): void {
    const key = aclKey(b);
    if (this.byKey.has(key)) return;
    this.byKey.set(key, b);
    this.index(b.resourceType).add(b);
  }

  remove(b: AclBinding): void {
    const key = aclKey(b);
    if (!this.byKey.delete(key)) return;
    this.index(b.resourceType).remove(b, key);
  }

  private index(resourceType: number): TypeIndex {
    let index = this.byType.get(resourceType);
    if (!index) this.byType.set(resourceType, (index = new TypeIndex()));
    return index;
  }

  /** The bindings whose pattern covers the resource: its literal name, the literal "*", and prefixes of it. */
  private applying(resource: AclResourceName, name: string): AclBinding[] {
    const index = this.byType.get(RESOURCE_CODE[resource]);
    if (!index) return [];
    const out: AclBinding[] = [];
    const push = (list: AclBinding[] | undefined) => {
      if (list) for (const b of list) out.push(b);
    };
    push(index.literal.get(name));
    if (name !== WILDCARD) push(index.literal.get(WILDCARD));
    for (const length of index.prefixLengths) {
      if (length > name.length) break;
      push(index.prefixed.get(name.slice(0, length)));
    }
    return out;
  }

  /**
   * Kafka's decision, with allow.everyone.if.no.acl.found=false (as Redpanda): a matching DENY
   * wins; else a matching ALLOW of the operation (or one implying it, or ALL) allows; no
   * binding allows otherwise. Superusers are the caller's business.
   */
  allows(subject: AclSubject, operation: number, resource: AclResourceName, name: string): boolean {
    let allowed = false;
    for (const b of this.applying(resource, name)) {
      if (!appliesTo(b, subject)) continue;
      if (b.permission === AclPermission.DENY) {
        if (b.operation === operation || b.operation === AclOperation.ALL) return false;
      } else if (!allowed) {
        allowed = b.operation === AclOperation.ALL || (ALLOWED_BY[operation] ?? [operation]).includes(b.operation);
      }
    }
    return allowed;
  }

  /**
   * Whether the subject may do `operation` on some resource of the type (Kafka's
   * authorizeByResourceType, which InitProducerId uses for WRITE on any topic): an ALLOW
   * binding not covered by a DENY one (a literal "*", a prefix of it, or the same literal).
   */
  allowsSomeOfType(subject: AclSubject, operation: number, resource: AclResourceName): boolean {
    const index = this.byType.get(RESOURCE_CODE[resource]);
    if (!index) return false;
    const bindings = index.all().filter(
      (b) => appliesTo(b, subject) && (b.operation === operation || b.operation === AclOperation.ALL),
    );
    const denies = bindings.filter((b) => b.permission === AclPermission.DENY);
    const covered = (allow: AclBinding) =>
      denies.some((deny) =>
        deny.patternType === PatternType.LITERAL
          ? deny.resourceName === WILDCARD || (allow.patternType === PatternType.LITERAL && allow.resourceName === deny.resourceName)
          : allow.resourceName.startsWith(deny.resourceName),
      );
    return bindings.some((b) => b.permission === AclPermission.ALLOW && !covered(b));
  }
}

function appliesTo(b: AclBinding, subject: AclSubject): boolean {
  return (b.principal === subject.principal || b.principal === PRINCIPAL_WILDCARD) && (b.host === WILDCARD || b.host === subject.host);
}

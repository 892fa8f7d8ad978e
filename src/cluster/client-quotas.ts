/**
 * Client quotas as Kafka keeps them: an entity (a user, a client id, or both; each either named
 * or the default) with values for `producer_byte_rate`, `consumer_byte_rate` and
 * `request_percentage`. Held in the metadata (`set_client_quota` changes), so they are logged,
 * applied in order on every shard and survive restarts. Here: checking an AlterClientQuotas
 * entry, matching a DescribeClientQuotas filter, and which quota applies to a connection
 * (Kafka's precedence, plus Redpanda's client-group properties).
 */
import { limits } from "../base/limits.ts";
import { ErrorCode } from "../protocol/errors.ts";

export const QUOTA_KEYS = ["producer_byte_rate", "consumer_byte_rate", "request_percentage"] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

/** A dimension left out is absent; `null` is the default entity of that type (Kafka's `<default>`). */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
}

export interface ClientQuotaRecord {
  entity: QuotaEntity;
  values: Partial<Record<QuotaKey, number>>;
}

/** Kafka's entity type names on the wire. */
export const ENTITY_USER = "user";
export const ENTITY_CLIENT_ID = "client-id";
const ENTITY_IP = "ip";

/** The user of a connection that did not log in, as Kafka names it. */
export const ANONYMOUS_USER = "ANONYMOUS";

export function entityKey(entity: QuotaEntity): string {
  return JSON.stringify([entity.user === undefined ? 0 : entity.user, entity.clientId === undefined ? 0 : entity.clientId]);
}

export interface WireEntity {
  entityType: string;
  entityName: string | null;
}

export function entityToWire(entity: QuotaEntity): WireEntity[] {
  const out: WireEntity[] = [];
  if (entity.user !== undefined) out.push({ entityType: ENTITY_USER, entityName: entity.user });
  if (entity.clientId !== undefined) out.push({ entityType: ENTITY_CLIENT_ID, entityName: entity.clientId });
  return out;
}

type Problem = { errorCode: number; errorMessage: string };
const invalid = (errorMessage: string): Problem => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });

/** The entity an AlterClientQuotas entry names, or why it cannot be used (as Kafka checks it). */
export function entityFromWire(parts: WireEntity[]): QuotaEntity | Problem {
  if (parts.length === 0) return invalid("Invalid empty client quota entity");
  const entity: QuotaEntity = {};
  const seen = new Set<string>();
  for (const { entityType, entityName } of parts) {
    if (seen.has(entityType)) return invalid(`Entity type ${entityType} cannot appear more than once in an entity`);
    seen.add(entityType);
    if (entityType === ENTITY_IP) return invalid("ip quotas (connection_creation_rate) are not supported; use the kafka_connection_rate_limit property");
    if (entityType !== ENTITY_USER && entityType !== ENTITY_CLIENT_ID) return invalid(`Unknown entity type ${entityType}`);
    if (entityName !== null && (entityName.length === 0 || entityName.length > limits.clientQuotaEntityNameCharsMax)) {
      return invalid(`${entityType} name must be 1..${limits.clientQuotaEntityNameCharsMax} characters (null for the default)`);
    }
    if (entityType === ENTITY_USER) entity.user = entityName;
    else entity.clientId = entityName;
  }
  return entity;
}

export interface QuotaOp {
  key: string;
  value: number;
  remove: boolean;
}

/** The values after `ops` (empty: the entity has no quotas left), or why the ops are refused. */
export function planQuotaOps(current: ClientQuotaRecord["values"], ops: QuotaOp[]): ClientQuotaRecord["values"] | Problem {
  const values = { ...current };
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.key)) return invalid(`Quota key ${op.key} appears more than once`);
    seen.add(op.key);
    if (op.key === "controller_mutation_rate") return invalid("controller_mutation_rate quotas are not supported by skua");
    if (!(QUOTA_KEYS as readonly string[]).includes(op.key)) return invalid(`Invalid configuration key ${op.key}`);
    const key = op.key as QuotaKey;
    if (op.remove) {
      delete values[key];
      continue;
    }
    if (!Number.isFinite(op.value) || op.value <= 0) return invalid(`Quota ${key} must be a positive number, got ${op.value}`);
    if (key !== "request_percentage" && !Number.isSafeInteger(op.value)) return invalid(`Quota ${key} must be a whole number of bytes per second, got ${op.value}`);
    values[key] = op.value;
  }
  return values;
}

export interface FilterComponent {
  entityType: string;
  /** 0: exact name, 1: the default, 2: any (named or default). */
  matchType: number;
  match: string | null;
}

export type QuotaFilter = (entity: QuotaEntity) => boolean;

/** A DescribeClientQuotas filter as Kafka's KRaft controller reads it, or why it is refused. */
export function quotaFilter(components: FilterComponent[], strict: boolean): QuotaFilter | Problem {
  const exact = new Map<keyof QuotaEntity, string | null>();
  const any = new Set<keyof QuotaEntity>();
  for (const component of components) {
    if (component.entityType === ENTITY_IP) return invalid("ip quotas are not supported");
    if (component.entityType !== ENTITY_USER && component.entityType !== ENTITY_CLIENT_ID) return invalid(`Unknown entity type ${component.entityType}`);
    const field: keyof QuotaEntity = component.entityType === ENTITY_USER ? "user" : "clientId";
    if (exact.has(field) || any.has(field)) return invalid(`Entity type ${component.entityType} cannot appear more than once in the filter`);
    if (component.matchType === 0) {
      if (component.match === null) return invalid(`Exact match of ${component.entityType} needs a name`);
      exact.set(field, component.match);
    } else if (component.matchType === 1) {
      exact.set(field, null);
    } else if (component.matchType === 2) {
      any.add(field);
    } else {
      return invalid(`Unknown match type ${component.matchType}`);
    }
  }
  return (entity) => {
    const present = (["user", "clientId"] as const).filter((f) => entity[f] !== undefined);
    if (strict && present.length !== exact.size + any.size) return false;
    for (const [field, name] of exact) if (entity[field] === undefined || entity[field] !== name) return false;
    for (const field of any) if (entity[field] === undefined) return false;
    return true;
  };
}

/** Redpanda's kafka_client_group_byte_rate_quota entries: clients whose id starts with the prefix share the quota. */
export interface ClientGroupQuota {
  groupName: string;
  clientsPrefix: string;
  quota: number;
}

/**
 * Reads a client-group property: a JSON list of `{"group_name", "clients_prefix", "quota"}` as
 * rpk writes it. Throws an Error naming what is wrong.
 */
export function parseClientGroupQuotas(raw: string): ClientGroupQuota[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw === "" ? "[]" : raw);
  } catch {
    throw new Error(`expected a JSON list of {"group_name", "clients_prefix", "quota"}, got '${raw}'`);
  }
  if (!Array.isArray(parsed)) throw new Error("expected a JSON list");
  if (parsed.length > limits.clientQuotaGroupsMax) throw new Error(`at most ${limits.clientQuotaGroupsMax} groups`);
  const groups = parsed.map((item: any) => {
    const ok = item && typeof item.group_name === "string" && item.group_name !== "" && typeof item.clients_prefix === "string" && Number.isSafeInteger(item.quota) && item.quota > 0;
    if (!ok) throw new Error(`each group needs a non-empty group_name, a clients_prefix and a positive whole quota, got ${JSON.stringify(item)}`);
    return { groupName: item.group_name as string, clientsPrefix: item.clients_prefix as string, quota: item.quota as number };
  });
  if (new Set(groups.map((g) => g.groupName)).size !== groups.length) throw new Error("a group_name appears twice");
  return groups;
}

export interface QuotaLookup {
  clientQuota(entity: QuotaEntity): ClientQuotaRecord | undefined;
}

/** The quota a connection is held to and the bucket it shares with every connection of the same one. */
export interface AppliedQuota {
  limit: number;
  bucket: string;
}

/**
 * Kafka's precedence, most specific first: (user, client-id), (user, default client-id),
 * user, (default user, client-id), (default user, default client-id), default user,
 * client-id, [Redpanda's client groups, by prefix], default client-id. Each key is resolved on
 * its own. The bucket keeps the connection's real names of the dimensions the entity has, so a
 * default entity gives each user (or client id) a quota of its own, as Kafka does.
 */
export function applicableQuota(quotas: QuotaLookup, key: QuotaKey, user: string, clientId: string, groups: readonly ClientGroupQuota[] = []): AppliedQuota | null {
  const candidates: Array<[QuotaEntity, string]> = [
    [{ user, clientId }, `u:${user}|c:${clientId}`],
    [{ user, clientId: null }, `u:${user}|c:${clientId}`],
    [{ user }, `u:${user}`],
    [{ user: null, clientId }, `u:${user}|c:${clientId}`],
    [{ user: null, clientId: null }, `u:${user}|c:${clientId}`],
    [{ user: null }, `u:${user}`],
    [{ clientId }, `c:${clientId}`],
  ];
  for (const [entity, bucket] of candidates) {
    const limit = quotas.clientQuota(entity)?.values[key];
    if (limit !== undefined) return { limit, bucket };
  }
  const group = groups.find((g) => clientId.startsWith(g.clientsPrefix));
  if (group) return { limit: group.quota, bucket: `g:${group.groupName}` };
  const fallback = quotas.clientQuota({ clientId: null })?.values[key];
  return fallback === undefined ? null : { limit: fallback, bucket: `c:${clientId}` };
}

/** Client quotas over the Kafka API: DescribeClientQuotas and AlterClientQuotas. */
import type { KafkaClient } from "./client.ts";
import { check, errorName } from "./errors.ts";

/** One entity part: a type (`user`, `client-id`) and a name, null for the default. */
export interface EntityPart {
  entityType: string;
  entityName: string | null;
}

export const MatchType = { EXACT: 0, DEFAULT: 1, ANY: 2 } as const;

export interface FilterPart {
  entityType: string;
  matchType: number;
  match: string | null;
}

export interface QuotaEntry {
  entity: EntityPart[];
  values: Record<string, number>;
}

export async function describeClientQuotas(client: KafkaClient, components: FilterPart[], strict: boolean): Promise<QuotaEntry[]> {
  const response = await client.call("DescribeClientQuotas", { components, strict });
  check(response.errorCode, "DescribeClientQuotas", response.errorMessage);
  return (response.entries ?? []).map((e: { entity: EntityPart[]; values: Array<{ key: string; value: number }> }) => ({
    entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }));
}

export interface QuotaAlterOutcome {
  entity: EntityPart[];
  errorCode: number;
  status: string;
  message: string | null;
}

export async function alterClientQuotas(client: KafkaClient, entity: EntityPart[], set: Record<string, number>, remove: string[], validateOnly: boolean): Promise<QuotaAlterOutcome> {
  const ops = [...Object.entries(set).map(([key, value]) => ({ key, value, remove: false })), ...remove.map((key) => ({ key, value: 0, remove: true }))];
  const response = await client.call("AlterClientQuotas", { entries: [{ entity, ops }], validateOnly });
  const r = response.entries[0];
  return { entity, errorCode: r.errorCode, status: r.errorCode === 0 ? "OK" : errorName(r.errorCode), message: r.errorMessage };
}

const TYPE_ORDER = ["user", "client-id"];

/** `user=alice,client-id=<default>`, as rpk prints an entity: users first. */
export function entityText(entity: EntityPart[]): string {
  const rank = (p: EntityPart) => (TYPE_ORDER.indexOf(p.entityType) + TYPE_ORDER.length + 1) % (TYPE_ORDER.length + 1);
  return [...entity].sort((a, b) => rank(a) - rank(b)).map((p) => `${p.entityType}=${p.entityName ?? "<default>"}`).join(",");
}

/**
 * An AlterClientQuotas request planned against the metadata, in the controller's order: each
 * entry checked on its own (one that fails leaves the others), at most
 * `limits.clientQuotaEntitiesMax` entities with quotas.
 */
import { limits } from "../base/limits.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { entityFromWire, entityKey, planQuotaOps, type QuotaOp, type WireEntity } from "./client-quotas.ts";
import type { MetadataChange, MetadataTable } from "./metadata.ts";

export interface ClientQuotaChange {
  entity: WireEntity[];
  ops: QuotaOp[];
}

export interface ClientQuotaOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export function planClientQuotas(table: MetadataTable, requested: ClientQuotaChange[]): { changes: MetadataChange[]; outcomes: ClientQuotaOutcome[] } {
  const changes: MetadataChange[] = [];
  const keys = requested.map((change) => {
    const entity = entityFromWire(change.entity);
    return "errorCode" in entity ? null : entityKey(entity);
  });
  let count = table.clientQuotaCount;
  const outcomes = requested.map((change, index): ClientQuotaOutcome => {
    const entity = entityFromWire(change.entity);
    if ("errorCode" in entity) return entity;
    if (keys.filter((k) => k === keys[index]).length > 1) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "the entity appears more than once in the request" };
    const current = table.clientQuota(entity);
    const values = planQuotaOps(current?.values ?? {}, change.ops);
    if ("errorCode" in values) return values;
    const kept = Object.keys(values).length > 0;
    if (!current && kept && count >= limits.clientQuotaEntitiesMax) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `at most ${limits.clientQuotaEntitiesMax} client-quota entities` };
    }
    if (!current && kept) count++;
    if (current && !kept) count--;
    if (current || kept) changes.push({ kind: "set_client_quota", quota: { entity, values } });
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  });
  return { changes, outcomes };
}

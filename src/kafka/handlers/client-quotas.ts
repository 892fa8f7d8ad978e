/**
 * DescribeClientQuotas (48) and AlterClientQuotas (49), v0–1: the client quotas in the
 * controller's metadata (`cluster/client-quotas.ts`). Entities are users and client ids,
 * named or default; ip entities and controller_mutation_rate are refused as unsupported.
 */
import { entityToWire, quotaFilter } from "../../cluster/client-quotas.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { AlterClientQuotasRequest, AlterClientQuotasResponse, DescribeClientQuotasRequest, DescribeClientQuotasResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const describeClientQuotasHandler = defineHandler({
  apiKey: 48,
  name: "DescribeClientQuotas",
  minVersion: 0,
  maxVersion: 1,
  async handle(context: BrokerContext, request: DescribeClientQuotasRequest): Promise<DescribeClientQuotasResponse> {
    const filter = quotaFilter(request.components, request.strict);
    if ("errorCode" in filter) return { throttleTimeMs: 0, errorCode: filter.errorCode, errorMessage: filter.errorMessage, entries: null };
    const entries = [...context.metadata().clientQuotas()]
      .filter((quota) => filter(quota.entity))
      .map((quota) => ({ entity: entityToWire(quota.entity), values: Object.entries(quota.values).map(([key, value]) => ({ key, value: value! })) }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
});

export const alterClientQuotasHandler = defineHandler({
  apiKey: 49,
  name: "AlterClientQuotas",
  minVersion: 0,
  maxVersion: 1,
  async handle(context: BrokerContext, request: AlterClientQuotasRequest): Promise<AlterClientQuotasResponse> {
    const changes = request.entries.map((entry) => ({
      entity: entry.entity.map((e) => ({ entityType: e.entityType, entityName: e.entityName })),
      ops: entry.ops.map((op) => ({ key: op.key, value: op.value, remove: op.remove })),
    }));
    const outcomes = changes.length > 0 ? await context.callController("alterClientQuotas", { changes, validateOnly: request.validateOnly }) : [];
    const entries = outcomes.map((outcome, i) => ({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, entity: changes[i].entity }));
    return { throttleTimeMs: 0, entries };
  },
});

// AlterClientQuotas (API key 49). Written from the Apache Kafka message definitions
// (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";
import type { ClientQuotaEntityData } from "./describe-client-quotas.ts";

export const AlterClientQuotasRequest = message<AlterClientQuotasRequest>("request", "AlterClientQuotasRequest", 49, "0-1", "1+", [
  f("Entries", "[]EntryData", "0+", { fields: [
    f("Entity", "[]EntityData", "0+", { fields: [
      f("EntityType", "string", "0+"),
      f("EntityName", "string", "0+", { nullable: "0+" }),
    ] }),
    f("Ops", "[]OpData", "0+", { fields: [
      f("Key", "string", "0+"),
      f("Value", "float64", "0+"),
      f("Remove", "bool", "0+"),
    ] }),
  ] }),
  f("ValidateOnly", "bool", "0+"),
]);

export const AlterClientQuotasResponse = message<AlterClientQuotasResponse>("response", "AlterClientQuotasResponse", 49, "0-1", "1+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("Entries", "[]EntryData", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "0+", { nullable: "0+" }),
    f("Entity", "[]EntityData", "0+", { fields: [
      f("EntityType", "string", "0+"),
      f("EntityName", "string", "0+", { nullable: "0+" }),
    ] }),
  ] }),
]);

export interface AlterClientQuotasRequest extends TaggedFields {
  entries: AlterClientQuotasEntry[];
  validateOnly: boolean;
}

export interface AlterClientQuotasEntry extends TaggedFields {
  entity: ClientQuotaEntityData[];
  ops: AlterClientQuotasOp[];
}

export interface AlterClientQuotasOp extends TaggedFields {
  key: string;
  value: number;
  remove: boolean;
}

export interface AlterClientQuotasResponse extends TaggedFields {
  throttleTimeMs: number;
  entries: AlterClientQuotasResult[];
}

export interface AlterClientQuotasResult extends TaggedFields {
  errorCode: number;
  errorMessage: string | null;
  entity: ClientQuotaEntityData[];
}

// DescribeClientQuotas (API key 48). Written from the Apache Kafka message definitions
// (Apache License 2.0).
import { f, message, type TaggedFields } from "../schema.ts";

export const DescribeClientQuotasRequest = message<DescribeClientQuotasRequest>("request", "DescribeClientQuotasRequest", 48, "0-1", "1+", [
  f("Components", "[]ComponentData", "0+", { fields: [
    f("EntityType", "string", "0+"),
    f("MatchType", "int8", "0+"),
    f("Match", "string", "0+", { nullable: "0+" }),
  ] }),
  f("Strict", "bool", "0+"),
]);

export const DescribeClientQuotasResponse = message<DescribeClientQuotasResponse>("response", "DescribeClientQuotasResponse", 48, "0-1", "1+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("ErrorMessage", "string", "0+", { nullable: "0+" }),
  f("Entries", "[]EntryData", "0+", { nullable: "0+", fields: [
    f("Entity", "[]EntityData", "0+", { fields: [
      f("EntityType", "string", "0+"),
      f("EntityName", "string", "0+", { nullable: "0+" }),
    ] }),
    f("Values", "[]ValueData", "0+", { fields: [
      f("Key", "string", "0+"),
      f("Value", "float64", "0+"),
    ] }),
  ] }),
]);

export interface DescribeClientQuotasRequest extends TaggedFields {
  components: DescribeClientQuotasComponent[];
  strict: boolean;
}

export interface DescribeClientQuotasComponent extends TaggedFields {
  entityType: string;
  matchType: number;
  match: string | null;
}

export interface DescribeClientQuotasResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  entries: DescribeClientQuotasEntry[] | null;
}

export interface DescribeClientQuotasEntry extends TaggedFields {
  entity: ClientQuotaEntityData[];
  values: ClientQuotaValueData[];
}

export interface ClientQuotaEntityData extends TaggedFields {
  entityType: string;
  entityName: string | null;
}

export interface ClientQuotaValueData extends TaggedFields {
  key: string;
  value: number;
}

import { expect, test } from "bun:test";
import { applicableQuota, entityFromWire, parseClientGroupQuotas, planQuotaOps, quotaFilter, type ClientQuotaRecord, type QuotaEntity } from "./client-quotas.ts";
import { MetadataTable } from "./metadata.ts";

function tableWith(quotas: ClientQuotaRecord[]): MetadataTable {
  const table = new MetadataTable();
  table.apply({ version: 1, changes: quotas.map((quota) => ({ kind: "set_client_quota" as const, quota })) });
  return table;
}

const q = (entity: QuotaEntity, producer: number): ClientQuotaRecord => ({ entity, values: { producer_byte_rate: producer } });

test("Kafka's precedence: the most specific entity with the key wins, each default giving every name its own bucket", () => {
  const table = tableWith([
    q({ user: "alice", clientId: "app" }, 1),
    q({ user: "alice", clientId: null }, 2),
    q({ user: "alice" }, 3),
    q({ user: null, clientId: "app" }, 4),
    q({ user: null, clientId: null }, 5),
    q({ user: null }, 6),
    q({ clientId: "app" }, 7),
    q({ clientId: null }, 8),
  ]);
  const at = (user: string, clientId: string) => applicableQuota(table, "producer_byte_rate", user, clientId);
  expect(at("alice", "app")).toEqual({ limit: 1, bucket: "u:alice|c:app" });
  expect(at("alice", "other")).toEqual({ limit: 2, bucket: "u:alice|c:other" });
  expect(at("bob", "app")).toEqual({ limit: 4, bucket: "u:bob|c:app" });
  expect(at("bob", "other")).toEqual({ limit: 5, bucket: "u:bob|c:other" });
  expect(applicableQuota(table, "consumer_byte_rate", "alice", "app")).toBeNull();

  const clientsOnly = tableWith([q({ clientId: "app" }, 7), q({ clientId: null }, 8)]);
  expect(applicableQuota(clientsOnly, "producer_byte_rate", "alice", "app")).toEqual({ limit: 7, bucket: "c:app" });
  expect(applicableQuota(clientsOnly, "producer_byte_rate", "bob", "x")).toEqual({ limit: 8, bucket: "c:x" });
  const usersOnly = tableWith([q({ user: "alice" }, 3), q({ user: null }, 6)]);
  expect(applicableQuota(usersOnly, "producer_byte_rate", "alice", "a")).toEqual({ limit: 3, bucket: "u:alice" });
  expect(applicableQuota(usersOnly, "producer_byte_rate", "ANONYMOUS", "a")).toEqual({ limit: 6, bucket: "u:ANONYMOUS" });
});

test("Redpanda's client groups share one bucket by prefix, below an exact client id and above the default one", () => {
  const groups = parseClientGroupQuotas('[{"group_name":"etl","clients_prefix":"etl-","quota":100}]');
  const table = tableWith([q({ clientId: "etl-special" }, 7), q({ clientId: null }, 8)]);
  expect(applicableQuota(table, "producer_byte_rate", "u", "etl-1", groups)).toEqual({ limit: 100, bucket: "g:etl" });
  expect(applicableQuota(table, "producer_byte_rate", "u", "etl-special", groups)).toEqual({ limit: 7, bucket: "c:etl-special" });
  expect(applicableQuota(table, "producer_byte_rate", "u", "web", groups)).toEqual({ limit: 8, bucket: "c:web" });
  expect(() => parseClientGroupQuotas('[{"group_name":"etl","quota":100}]')).toThrow("clients_prefix");
  expect(() => parseClientGroupQuotas("{")).toThrow("JSON list");
});

test("AlterClientQuotas checks: entity types, keys, values", () => {
  expect(entityFromWire([{ entityType: "user", entityName: "a" }, { entityType: "client-id", entityName: null }])).toEqual({ user: "a", clientId: null });
  expect(entityFromWire([])).toMatchObject({ errorCode: 42 });
  expect(entityFromWire([{ entityType: "user", entityName: "a" }, { entityType: "user", entityName: "b" }])).toMatchObject({ errorCode: 42 });
  expect(entityFromWire([{ entityType: "ip", entityName: "1.2.3.4" }])).toMatchObject({ errorMessage: expect.stringContaining("not supported") });
  expect(entityFromWire([{ entityType: "group", entityName: "g" }])).toMatchObject({ errorMessage: "Unknown entity type group" });
  expect(planQuotaOps({ consumer_byte_rate: 5 }, [{ key: "producer_byte_rate", value: 1024, remove: false }, { key: "consumer_byte_rate", value: 0, remove: true }])).toEqual({ producer_byte_rate: 1024 });
  expect(planQuotaOps({}, [{ key: "controller_mutation_rate", value: 1, remove: false }])).toMatchObject({ errorMessage: "controller_mutation_rate quotas are not supported by skua" });
  expect(planQuotaOps({}, [{ key: "producer_byte_rate", value: 1.5, remove: false }])).toMatchObject({ errorCode: 42 });
  expect(planQuotaOps({}, [{ key: "producer_byte_rate", value: -1, remove: false }])).toMatchObject({ errorCode: 42 });
  expect(planQuotaOps({}, [{ key: "request_percentage", value: 12.5, remove: false }])).toEqual({ request_percentage: 12.5 });
  expect(planQuotaOps({}, [{ key: "nope", value: 1, remove: false }])).toMatchObject({ errorMessage: "Invalid configuration key nope" });
});

test("DescribeClientQuotas filters as Kafka's: exact, default, any; strict leaves out entities with more types", () => {
  const entities: QuotaEntity[] = [{ user: "a" }, { user: null }, { user: "a", clientId: "c" }, { clientId: "c" }];
  const pick = (components: Parameters<typeof quotaFilter>[0], strict: boolean) => {
    const filter = quotaFilter(components, strict);
    if ("errorCode" in filter) throw new Error(filter.errorMessage);
    return entities.filter(filter);
  };
  expect(pick([{ entityType: "user", matchType: 0, match: "a" }], false)).toEqual([{ user: "a" }, { user: "a", clientId: "c" }]);
  expect(pick([{ entityType: "user", matchType: 0, match: "a" }], true)).toEqual([{ user: "a" }]);
  expect(pick([{ entityType: "user", matchType: 1, match: null }], false)).toEqual([{ user: null }]);
  expect(pick([{ entityType: "user", matchType: 2, match: null }], true)).toEqual([{ user: "a" }, { user: null }]);
  expect(pick([], false)).toEqual(entities);
  expect(quotaFilter([{ entityType: "user", matchType: 2, match: null }, { entityType: "user", matchType: 1, match: null }], false)).toMatchObject({ errorCode: 42 });
  expect(quotaFilter([{ entityType: "user", matchType: 0, match: null }], false)).toMatchObject({ errorCode: 42 });
});

test("quotas survive a snapshot and an entity with no values left is gone", () => {
  const table = tableWith([q({ clientId: "app" }, 7)]);
  const copy = MetadataTable.fromSnapshot(table.snapshot());
  expect(copy.clientQuota({ clientId: "app" })).toEqual(q({ clientId: "app" }, 7));
  copy.apply({ version: 2, changes: [{ kind: "set_client_quota", quota: { entity: { clientId: "app" }, values: {} } }] });
  expect(copy.clientQuotaCount).toBe(0);
});

import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode } from "../protocol/errors.ts";
import { Controller } from "./controller.ts";
import { ControllerService } from "./controller-calls.ts";
import type { MetadataUpdate } from "./metadata.ts";
import { defaultProperties } from "./properties.ts";
import { cleanUp, disk, tempDir, track } from "./test-helpers.ts";
import { deriveCredential } from "./users.ts";
import type { AclBinding } from "./acls.ts";

afterEach(cleanUp);

async function setup(shardCount = 2) {
  const dataDir = tempDir("skua-calls-");
  const published: MetadataUpdate[] = [];
  const shards = { publish: async (u: MetadataUpdate) => void published.push(u), release: async () => {}, shardBytes: async () => new Array<number>(shardCount).fill(0) };
  const controller = await track(Controller.open({ disk, dataDir, props: defaultProperties(), shardCount, shards, warn: () => {} }));
  return { dataDir, published, controller, service: new ControllerService(controller, disk, dataDir, defaultProperties()) };
}

const create = (controller: Controller, name: string, partitions: number) =>
  controller.createTopics([{ name, partitions, replicationFactor: -1, configs: {}, validateOnly: false }]);

test("deleteTopics removes the topic (by name or id), publishes it, and deletes its directory after", async () => {
  const { dataDir, published, controller, service } = await setup();
  await create(controller, "a", 2);
  await create(controller, "b", 1);
  mkdirSync(join(dataDir, "kafka", "a", "0"), { recursive: true });
  const idOfB = controller.table.topic("b")!.id;
  const outcomes = await service.deleteTopics([{ name: "a", topicId: null }, { name: null, topicId: idOfB }, { name: "c", topicId: null }, { name: null, topicId: crypto.randomUUID() }]);
  expect(outcomes.map((o) => [o.name, o.errorCode])).toEqual([["a", ErrorCode.NONE], ["b", ErrorCode.NONE], ["c", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ["", ErrorCode.UNKNOWN_TOPIC_ID]]);
  expect(published.at(-1)!.changes).toEqual([{ kind: "delete_topic", name: "a" }, { kind: "delete_topic", name: "b" }]);
  expect(controller.table.topic("a")).toBeUndefined();
  expect(existsSync(join(dataDir, "kafka", "a"))).toBe(false);
});

test("createPartitions adds partitions on the least-loaded shards; not increasing or validateOnly changes nothing", async () => {
  const { controller, service } = await setup(2);
  await create(controller, "a", 3); // shards 0,1,0
  expect(await service.createPartitions([{ name: "a", count: 6 }], true)).toEqual([{ name: "a", errorCode: ErrorCode.NONE, errorMessage: null }]);
  expect(controller.table.topic("a")!.shards).toHaveLength(3);
  await service.createPartitions([{ name: "a", count: 6 }], false);
  expect(controller.table.partitionCountByShard(2)).toEqual([3, 3]);
  const [same] = await service.createPartitions([{ name: "a", count: 6 }], false);
  expect(same.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  const [unknown] = await service.createPartitions([{ name: "zz", count: 6 }], false);
  expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test("alterTopicConfigs replaces or merges overrides, validates, and removes", async () => {
  const { controller, service } = await setup();
  await create(controller, "a", 1);
  await service.alterTopicConfigs([{ name: "a", set: { "retention.ms": "1000", "segment.ms": "5000" }, remove: [], replace: false }], false);
  expect(controller.table.topic("a")!.configs).toEqual({ "retention.ms": "1000", "segment.ms": "5000" });
  await service.alterTopicConfigs([{ name: "a", set: {}, remove: ["segment.ms"], replace: false }], false);
  expect(controller.table.topic("a")!.configs).toEqual({ "retention.ms": "1000" });
  await service.alterTopicConfigs([{ name: "a", set: { "max.message.bytes": "2048" }, remove: [], replace: true }], false);
  expect(controller.table.topic("a")!.configs).toEqual({ "max.message.bytes": "2048" });
  const [bad] = await service.alterTopicConfigs([{ name: "a", set: { "retention.ms": "-7" }, remove: [], replace: false }], false);
  expect(bad.errorCode).toBe(ErrorCode.INVALID_CONFIG);
  expect(bad.errorMessage).toContain("retention.ms");
});

test("producer id blocks never overlap; stray topic directories are removed at start", async () => {
  const { dataDir, controller, service } = await setup();
  const first = await service.servers.allocateProducerIds({});
  const second = await service.servers.allocateProducerIds({});
  expect(second).toEqual({ firstId: (first as { firstId: number; count: number }).firstId + (first as { count: number }).count, count: (first as { count: number }).count });
  await create(controller, "kept", 1);
  mkdirSync(join(dataDir, "kafka", "kept", "0"), { recursive: true });
  mkdirSync(join(dataDir, "kafka", "gone", "0"), { recursive: true });
  await service.removeOrphanedTopicDirs(() => {});
  expect(existsSync(join(dataDir, "kafka", "kept"))).toBe(true);
  expect(existsSync(join(dataDir, "kafka", "gone"))).toBe(false);
});

test("alterUsers stores credentials (never passwords) in the metadata log, replays them, and refuses bad changes", async () => {
  const { dataDir, published, controller, service } = await setup();
  const sha256 = deriveCredential("SCRAM-SHA-256", "secret");
  const sha512 = deriveCredential("SCRAM-SHA-512", "secret");
  const change = (name: string, over: object) => ({ name, set: [], remove: [], replace: false, expect: "any" as const, ...over });
  const outcomes = await service.alterUsers([change("u", { set: [sha256], expect: "create" }), change("v", { remove: ["SCRAM-SHA-256"] }), change("", { set: [sha256] })]);
  expect(outcomes.map((o) => o.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.RESOURCE_NOT_FOUND, ErrorCode.UNACCEPTABLE_CREDENTIAL]);
  expect((await service.alterUsers([change("u", { set: [sha256], expect: "create" })]))[0].errorCode).toBe(ErrorCode.DUPLICATE_RESOURCE);
  expect((await service.alterUsers([change("u", { set: [sha512] })]))[0].errorCode).toBe(ErrorCode.NONE);
  expect(controller.table.user("u")!.credentials.map((c) => c.mechanism)).toEqual(["SCRAM-SHA-256", "SCRAM-SHA-512"]);
  expect(JSON.stringify(published)).not.toContain("secret");
  await controller.close();
  const reopened = await track(Controller.open({ disk, dataDir, props: defaultProperties(), shardCount: 2, shards: { publish: async () => {}, release: async () => {}, shardBytes: async () => [0, 0] }, warn: () => {} }));
  expect(reopened.table.user("u")!.credentials).toEqual([sha256, sha512]);
  const again = new ControllerService(reopened, disk, dataDir, defaultProperties());
  expect((await again.alterUsers([change("u", { remove: ["SCRAM-SHA-256", "SCRAM-SHA-512"] })]))[0].errorCode).toBe(ErrorCode.NONE);
  expect(reopened.table.user("u")).toBeUndefined();
});

test("createAcls and deleteAcls are logged, published, replayed after a restart, and refuse bad bindings", async () => {
  const { dataDir, published, controller, service } = await setup();
  const acl = (over: Partial<AclBinding> = {}): AclBinding => ({ resourceType: 2, resourceName: "orders", patternType: 3, principal: "User:alice", host: "*", operation: 3, permission: 3, ...over });
  const created = await service.createAcls([acl(), acl(), acl({ patternType: 4, resourceName: "ord" }), acl({ resourceType: 4, resourceName: "x" }), acl({ resourceType: 6 }), acl({ host: "example.com" })]);
  expect(created.map((o) => o.errorCode)).toEqual([0, 0, 0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  expect(created[4].errorMessage).toContain("DELEGATION_TOKEN");
  expect(controller.table.acls.size).toBe(2);
  expect(published.at(-1)!.changes).toEqual([{ kind: "create_acls", acls: [acl(), acl({ patternType: 4, resourceName: "ord" })] }]);
  await controller.close();
  const reopened = await track(Controller.open({ disk, dataDir, props: defaultProperties(), shardCount: 2, shards: { publish: async () => {}, release: async () => {}, shardBytes: async () => [0, 0] }, warn: () => {} }));
  expect([...reopened.table.acls.all()]).toEqual([acl(), acl({ patternType: 4, resourceName: "ord" })]);
  const again = new ControllerService(reopened, disk, dataDir, defaultProperties());
  const any = { resourceType: 1, resourceName: null, patternType: 1, principal: null, host: null, operation: 1, permission: 1 };
  const [byPrefix, bad] = await again.deleteAcls([{ ...any, patternType: 4 }, { ...any, operation: 0 }]);
  expect(byPrefix.deleted).toEqual([acl({ patternType: 4, resourceName: "ord" })]);
  expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect([...reopened.table.acls.all()]).toEqual([acl()]);
});

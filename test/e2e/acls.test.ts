/**
 * ACLs with SASL SCRAM users, driven by kafkajs (its admin client's createAcls / describeAcls /
 * deleteAcls) and kcat: enable_sasl turns authorization on (kafka_enable_authorization left null,
 * as Redpanda), no ACL denies, deny beats allow, prefixed patterns, group ACLs, the superuser
 * bypasses them all, and the ACLs survive a restart.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Kafka } from "kafkajs";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { kafkaClient, withAdmin } from "../helpers/kafka.ts";
import { kcat } from "../helpers/kcat.ts";
import { WireClient } from "../helpers/wire.ts";
import { skua, skuaOk } from "../helpers/cli.ts";

setDefaultTimeout(60_000);

let broker: Broker;
const USERS = ["root", "reader", "writer", "nobody", "grouper"] as const;
type User = (typeof USERS)[number];

const as = (user: User, overrides = {}): Kafka =>
  kafkaClient(broker, { sasl: { mechanism: "scram-sha-256", username: user, password: `${user}-secret` }, retry: { retries: 0 }, ...overrides });
const kcatAs = (user: User) => ["-b", broker.brokers[0], "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", `sasl.username=${user}`, "-X", `sasl.password=${user}-secret`];

interface Acl {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

const topicAcl = (user: User, topic: string, operation: number, over: Partial<Acl> = {}): Acl => ({
  resourceType: AclResourceTypes.TOPIC, resourceName: topic, resourcePatternType: ResourcePatternTypes.LITERAL,
  principal: `User:${user}`, host: "*", operation, permissionType: AclPermissionTypes.ALLOW, ...over,
});

const createAcls = (acl: Acl[]) => withAdmin(as("root"), (admin) => admin.createAcls({ acl }));

async function produceError(user: User, topic: string, idempotent = false): Promise<string | null> {
  // kafkajs wants retries for an idempotent producer; a refusal is not retriable anyway.
  const producer = as(user).producer({ allowAutoTopicCreation: false, idempotent, ...(idempotent ? { maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 50 } } : {}) });
  try {
    await producer.connect(); // an idempotent producer asks InitProducerId here
    await producer.send({ topic, messages: [{ value: "x" }] });
    return null;
  } catch (error) {
    return (error as { type?: string }).type ?? (error as Error).message;
  } finally {
    await producer.disconnect();
  }
}

beforeAll(async () => {
  broker = await startBroker({ sets: { enable_sasl: "true", sasl_mechanisms: "SCRAM-SHA-256,PLAIN", superusers: "root", group_initial_rebalance_delay: 0 } });
  for (const user of USERS) {
    const response = await fetch(`${broker.adminUrl}/v1/security/users`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: user, password: `${user}-secret`, algorithm: "SCRAM-SHA-256" }),
    });
    expect(response.status).toBe(200);
  }
  await withAdmin(as("root"), (admin) => admin.createTopics({ topics: ["orders", "logs-app", "logs-db", "other", "secret"].map((topic) => ({ topic, numPartitions: 1 })) }));
});

afterAll(async () => {
  await broker?.[Symbol.asyncDispose]();
});

test("with no ACLs a logged-in user sees no topics and may not produce; the superuser sees and does everything", async () => {
  expect(await withAdmin(as("nobody"), (admin) => admin.listTopics())).toEqual([]);
  const listed = await kcat([...kcatAs("nobody"), "-L", "-J"]);
  expect(JSON.parse(listed).topics).toEqual([]);
  expect(await produceError("root", "orders")).toBeNull();
  expect(await produceError("nobody", "orders")).toMatch(/Topic authorization failed/); // kafkajs refuses at Metadata already
  expect((await withAdmin(as("root"), (admin) => admin.listTopics())).sort()).toEqual(["logs-app", "logs-db", "orders", "other", "secret"]);
});

test("a user with only READ sees and consumes the topic but cannot produce: TOPIC_AUTHORIZATION_FAILED (kafkajs and kcat)", async () => {
  await createAcls([topicAcl("reader", "orders", AclOperationTypes.READ), topicAcl("reader", "other", AclOperationTypes.READ, { host: "10.9.9.9" })]);
  expect(await withAdmin(as("reader"), (admin) => admin.listTopics())).toEqual(["orders"]); // the ACL on 'other' is for another host
  expect(await produceError("reader", "orders")).toBe("TOPIC_AUTHORIZATION_FAILED");
  const refused = await kcat([...kcatAs("reader"), "-P", "-t", "orders", "-p", "0"], { stdin: "x\n", timeoutMs: 15_000 }).then(() => "", (e: Error) => e.message);
  expect(refused).toContain("Topic authorization failed");
  const consumed = await kcat([...kcatAs("reader"), "-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e", "-f", "%s\n"]);
  expect(consumed.trim().split("\n")).toEqual(["x"]); // what root produced above
  const denied = await kcat([...kcatAs("nobody"), "-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e"], { timeoutMs: 15_000 }).then(() => "", (e: Error) => e.message);
  expect(denied).toMatch(/authorization failed/i);
});

test("a prefixed WRITE applies to every topic starting with it; a DENY beats an ALLOW of everything", async () => {
  await createAcls([
    topicAcl("writer", "logs-", AclOperationTypes.WRITE, { resourcePatternType: ResourcePatternTypes.PREFIXED }),
    topicAcl("writer", "*", AclOperationTypes.ALL, { resourceName: "*" }),
    topicAcl("writer", "secret", AclOperationTypes.WRITE, { permissionType: AclPermissionTypes.DENY }),
  ]);
  expect(await produceError("writer", "logs-app")).toBeNull();
  expect(await produceError("writer", "other")).toBeNull(); // through the ALL on "*"
  expect(await produceError("writer", "secret")).toBe("TOPIC_AUTHORIZATION_FAILED");
  // InitProducerId: IDEMPOTENT_WRITE on the cluster or WRITE on some topic (Kafka 3.x).
  expect(await produceError("writer", "logs-app", true)).toBeNull();
  expect(await produceError("reader", "orders", true)).toBe("CLUSTER_AUTHORIZATION_FAILED");
  const described = await withAdmin(as("root"), (admin) =>
    admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: "logs-db", resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }),
  );
  const patterns = described.resources.map((r) => `${r.resourceName}/${r.resourcePatternType}`).sort();
  expect(patterns).toEqual([`*/${ResourcePatternTypes.LITERAL}`, `logs-/${ResourcePatternTypes.PREFIXED}`]);
});

test("group ACLs: finding the coordinator needs DESCRIBE on the group, joining READ (GROUP_AUTHORIZATION_FAILED without it)", async () => {
  await createAcls([
    topicAcl("grouper", "orders", AclOperationTypes.READ),
    { ...topicAcl("grouper", "allowed-group", AclOperationTypes.READ), resourceType: AclResourceTypes.GROUP },
    { ...topicAcl("grouper", "described-group", AclOperationTypes.DESCRIBE), resourceType: AclResourceTypes.GROUP },
  ]);
  const consume = async (groupId: string) => {
    const consumer = as("grouper").consumer({ groupId, retry: { retries: 0 } });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      const first = new Promise<string>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }).catch(reject);
      });
      return await first;
    } catch (error) {
      return (error as { type?: string }).type ?? String(error);
    } finally {
      await consumer.disconnect();
    }
  };
  expect(await consume("allowed-group")).toBe("x");
  expect(await consume("described-group")).toBe("GROUP_AUTHORIZATION_FAILED"); // JoinGroup
  expect(await consume("other-group")).toContain("Failed to find group coordinator"); // FindCoordinator answered GROUP_AUTHORIZATION_FAILED
});

test("authorized operations in Metadata, DescribeCluster and DescribeGroups follow the ACLs (READ implies DESCRIBE; a superuser: all); CreateAcls needs ALTER on the cluster", async () => {
  const wire = await WireClient.connect(broker.kafkaPort);
  await wire.request(17, 1, { mechanism: "PLAIN" });
  expect((await wire.request(36, 2, { authBytes: new TextEncoder().encode("\0reader\0reader-secret") })).errorCode).toBe(0);
  const metadata = await wire.request(3, 10, { topics: [{ name: "orders", topicId: "00000000-0000-0000-0000-000000000000" }, { name: "secret", topicId: "00000000-0000-0000-0000-000000000000" }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
  const [orders, secret] = metadata.topics;
  expect(orders.errorCode).toBe(0);
  expect(orders.topicAuthorizedOperations).toBe((1 << AclOperationTypes.READ) | (1 << AclOperationTypes.DESCRIBE));
  expect(secret.errorCode).toBe(29); // TOPIC_AUTHORIZATION_FAILED
  expect(metadata.clusterAuthorizedOperations).toBe(0);
  const cluster = await wire.request(60, 0, { includeClusterAuthorizedOperations: true });
  expect(cluster.clusterAuthorizedOperations).toBe(0);
  const groups = await wire.request(15, 5, { groups: ["allowed-group"], includeAuthorizedOperations: true });
  expect(groups.groups[0].errorCode).toBe(30); // GROUP_AUTHORIZATION_FAILED: reader has no ACL on it
  const created = await wire.request(30, 3, { creations: [topicAcl("reader", "secret", AclOperationTypes.READ)] });
  expect(created.results).toMatchObject([{ errorCode: 31 }]); // CLUSTER_AUTHORIZATION_FAILED
  wire.close();
  const root = await WireClient.connect(broker.kafkaPort);
  await root.request(17, 1, { mechanism: "PLAIN" });
  expect((await root.request(36, 2, { authBytes: new TextEncoder().encode("\0root\0root-secret") })).errorCode).toBe(0);
  const all = (ops: number[]) => ops.reduce((bits, op) => bits | (1 << op), 0);
  const { CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, READ, DELETE } = AclOperationTypes;
  expect((await root.request(60, 0, { includeClusterAuthorizedOperations: true })).clusterAuthorizedOperations).toBe(all([CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE]));
  const described = await root.request(15, 5, { groups: ["allowed-group"], includeAuthorizedOperations: true });
  expect(described.groups[0]).toMatchObject({ errorCode: 0, authorizedOperations: all([READ, DELETE, DESCRIBE]) }); // a superuser
  root.close();
  const grouper = await WireClient.connect(broker.kafkaPort);
  await grouper.request(17, 1, { mechanism: "PLAIN" });
  expect((await grouper.request(36, 2, { authBytes: new TextEncoder().encode("\0grouper\0grouper-secret") })).errorCode).toBe(0);
  const own = await grouper.request(15, 5, { groups: ["allowed-group"], includeAuthorizedOperations: true });
  expect(own.groups[0]).toMatchObject({ errorCode: 0, authorizedOperations: all([READ, DESCRIBE]) }); // READ implies DESCRIBE
  grouper.close();
});

test("CreateAcls, DescribeAcls and DeleteAcls v0 (no pattern type: LITERAL) and v3 (flexible) in raw frames; bad bindings get INVALID_REQUEST", async () => {
  const wire = await WireClient.connect(broker.kafkaPort);
  await wire.request(17, 1, { mechanism: "PLAIN" });
  expect((await wire.request(36, 2, { authBytes: new TextEncoder().encode("\0root\0root-secret") })).errorCode).toBe(0);
  const acl = { resourceType: 3, resourceName: "v0-group", principal: "User:v0", host: "127.0.0.1", operation: AclOperationTypes.DELETE, permissionType: AclPermissionTypes.ALLOW };
  const created = await wire.request(30, 0, { creations: [acl, { ...acl, host: "not-an-ip" }, { ...acl, resourceType: 6 }, { ...acl, resourceType: 4 }] });
  expect(created.results.map((r: { errorCode: number }) => r.errorCode)).toEqual([0, 42, 42, 42]);
  const filter = { resourceTypeFilter: 3, resourceNameFilter: "v0-group", principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
  const v0 = await wire.request(29, 0, filter);
  expect(v0.resources).toMatchObject([{ resourceType: 3, resourceName: "v0-group", acls: [{ principal: "User:v0", host: "127.0.0.1", operation: AclOperationTypes.DELETE, permissionType: AclPermissionTypes.ALLOW }] }]);
  const v3 = await wire.request(29, 3, { ...filter, patternTypeFilter: ResourcePatternTypes.PREFIXED });
  expect(v3.resources).toEqual([]);
  const deleted = await wire.request(31, 3, { filters: [{ ...filter, patternTypeFilter: ResourcePatternTypes.ANY }] });
  expect(deleted.filterResults[0].matchingAcls).toMatchObject([{ errorCode: 0, resourceName: "v0-group", patternType: ResourcePatternTypes.LITERAL, principal: "User:v0" }]);
  wire.close();
});

test("skua acl create|list|delete with rpk's flags, logged in with SCRAM; a user without ALTER on the cluster is refused", async () => {
  const env = { SKUA_USER: "root", SKUA_PASSWORD: "root-secret", SKUA_SASL_MECHANISM: "SCRAM-SHA-256" };
  const created = await skuaOk(broker, ["acl", "create", "--allow-principal", "nobody", "--operation", "read,describe", "--topic", "other", "--format", "json"], { env });
  expect(JSON.parse(created).map((r: { operation: string; error: string }) => [r.operation, r.error])).toEqual([["READ", ""], ["DESCRIBE", ""]]);
  expect(await withAdmin(as("nobody"), (admin) => admin.listTopics())).toEqual(["other"]);
  const listed = JSON.parse(await skuaOk(broker, ["acl", "list", "--topic", "other", "--allow-principal", "User:nobody", "--format", "json"], { env }));
  expect(listed.map((r: { principal: string; operation: string }) => `${r.principal} ${r.operation}`).sort()).toEqual(["User:nobody DESCRIBE", "User:nobody READ"]);
  const table = await skuaOk(broker, ["acl", "list", "--topic", "other", "--resource-pattern-type", "match"], { env });
  expect(table).toContain("RESOURCE-PATTERN-TYPE");
  expect(table).toMatch(/User:writer\s+\*\s+TOPIC\s+\*\s+LITERAL\s+ALL\s+ALLOW/);
  const refused = await skua(broker, ["acl", "create", "--allow-principal", "nobody", "--operation", "all", "--cluster"], { env: { ...env, SKUA_USER: "reader", SKUA_PASSWORD: "reader-secret" } });
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain("CLUSTER_AUTHORIZATION_FAILED");
  expect(JSON.parse(await skuaOk(broker, ["acl", "list", "--topic", "other", "--allow-principal", "nobody", "--format", "json"], { env: { ...env, SKUA_SASL_MECHANISM: "PLAIN" } }))).toHaveLength(2);
  const wrong = await skua(broker, ["acl", "list"], { env: { ...env, SKUA_PASSWORD: "wrong" } });
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toContain("SASL_AUTHENTICATION_FAILED");
  expect((await skua(broker, ["acl", "delete"], { env })).code).toBe(2); // would delete everything without --all
  const deleted = JSON.parse(await skuaOk(broker, ["acl", "delete", "--allow-principal", "nobody", "--topic", "other", "--format", "json"], { env }));
  expect(deleted).toHaveLength(2);
  expect(await withAdmin(as("nobody"), (admin) => admin.listTopics())).toEqual([]);
});

test("deleted ACLs stop applying; ACLs survive a restart", async () => {
  const filter = { resourceType: AclResourceTypes.TOPIC, resourceName: "secret", resourcePatternType: ResourcePatternTypes.LITERAL, principal: "User:writer", host: "*", operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.DENY };
  const deleted = await withAdmin(as("root"), (admin) => admin.deleteAcls({ filters: [filter] }));
  expect(deleted.filterResponses[0].matchingAcls).toHaveLength(1);
  expect(await produceError("writer", "secret")).toBeNull();

  await broker.restart();
  expect(await withAdmin(as("reader"), (admin) => admin.listTopics())).toEqual(["orders"]);
  expect(await produceError("reader", "orders")).toBe("TOPIC_AUTHORIZATION_FAILED");
  expect(await produceError("writer", "logs-db")).toBeNull();
  const all = await withAdmin(as("root"), (admin) =>
    admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }),
  );
  expect(all.resources.flatMap((r) => r.acls)).toHaveLength(7);
});

test("kafka_enable_authorization=true without SASL: a client is User:ANONYMOUS, refused without ACLs, allowed as a superuser", async () => {
  await using plain = await startBroker({ sets: { kafka_enable_authorization: "true" } });
  const wire = await WireClient.connect(plain.kafkaPort);
  const create = { topics: [{ name: "anon", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 };
  expect((await wire.request(19, 0, create)).topics[0].errorCode).toBe(29); // TOPIC_AUTHORIZATION_FAILED
  expect((await wire.request(29, 1, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })).errorCode).toBe(31);
  wire.close();
  await plain.restart({ sets: { kafka_enable_authorization: "true", superusers: "ANONYMOUS" } });
  const again = await WireClient.connect(plain.kafkaPort);
  expect((await again.request(19, 0, create)).topics[0].errorCode).toBe(0);
  again.close();
});

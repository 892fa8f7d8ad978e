import { expect, test } from "bun:test";
import { AclOperation, AclPermission, PatternType, ResourceType } from "../cluster/acls.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties, setProperty } from "../cluster/properties.ts";
import { aclHost, authorizedOperations, authorizerFor, AUTHORIZED_OPERATIONS_OMITTED } from "./authorize.ts";

const alice = { principal: "User:alice", host: "127.0.0.1" };
const table = MetadataTable.fromSnapshot({
  version: 1, shardCount: 1, topics: [],
  acls: [{ resourceType: ResourceType.TOPIC, resourceName: "t", patternType: PatternType.LITERAL, principal: "User:alice", host: "*", operation: AclOperation.WRITE, permission: AclPermission.ALLOW }],
});

function props(sets: Record<string, string>) {
  const p = defaultProperties();
  for (const [name, value] of Object.entries(sets)) setProperty(p, name, value);
  return p;
}

test("off by default; enable_sasl turns it on while kafka_enable_authorization is null; false keeps it off", () => {
  expect(authorizerFor(props({}), () => table)(alice)("READ", "topic", "t")).toBe(true);
  expect(authorizerFor(props({ enable_sasl: "true" }), () => table)(alice)("READ", "topic", "t")).toBe(false);
  expect(authorizerFor(props({ enable_sasl: "true", kafka_enable_authorization: "false" }), () => table)(alice)("READ", "topic", "t")).toBe(true);
  expect(authorizerFor(props({ kafka_enable_authorization: "true" }), () => table)(alice)("READ", "topic", "t")).toBe(false);
});

test("with authorization on: the ACLs decide, a superuser may do everything, null names ask for some resource of the type", () => {
  const on = authorizerFor(props({ kafka_enable_authorization: "true", superusers: "root" }), () => table);
  expect(on(alice)("WRITE", "topic", "t")).toBe(true);
  expect(on(alice)("DESCRIBE", "topic", "t")).toBe(true);
  expect(on(alice)("WRITE", "topic", "u")).toBe(false);
  expect(on(alice)("WRITE", "topic", null)).toBe(true);
  expect(on({ principal: "User:ANONYMOUS", host: "127.0.0.1" })("WRITE", "topic", "t")).toBe(false);
  expect(on({ principal: "User:root", host: "127.0.0.1" })("ALTER", "cluster", "kafka-cluster")).toBe(true);
});

test("authorized operations: one bit per allowed operation Kafka supports on the resource; not asked: the omitted marker", () => {
  const on = authorizerFor(props({ kafka_enable_authorization: "true" }), () => table)(alice);
  expect(authorizedOperations(on, "topic", "t", true)).toBe((1 << AclOperation.WRITE) | (1 << AclOperation.DESCRIBE));
  expect(authorizedOperations(on, "topic", "t", false)).toBe(AUTHORIZED_OPERATIONS_OMITTED);
  const off = authorizerFor(props({}), () => table)(alice);
  expect(authorizedOperations(off, "group", "g", true)).toBe((1 << AclOperation.READ) | (1 << AclOperation.DELETE) | (1 << AclOperation.DESCRIBE));
});

test("an IPv4-mapped IPv6 client address is matched as its IPv4 address; others stay as they are", () => {
  expect(aclHost("::ffff:10.0.0.2")).toBe("10.0.0.2");
  expect(aclHost("::FFFF:127.0.0.1")).toBe("127.0.0.1");
  expect(aclHost("::1")).toBe("::1");
  expect(aclHost("127.0.0.1")).toBe("127.0.0.1");
  expect(aclHost("::ffff:not-an-ip")).toBe("::ffff:not-an-ip");
});

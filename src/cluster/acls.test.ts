import { expect, test } from "bun:test";
import { mulberry32 } from "../base/random.ts";
import { aclFilterMatches, AclOperation as Op, AclPermission, AclStore, PatternType, ResourceType, type AclBinding, type AclFilter } from "./acls.ts";

const alice = { principal: "User:alice", host: "127.0.0.1" };
const bob = { principal: "User:bob", host: "10.0.0.2" };

function binding(over: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: "orders", patternType: PatternType.LITERAL, principal: "User:alice", host: "*", operation: Op.READ, permission: AclPermission.ALLOW, ...over };
}

function store(...bindings: Partial<AclBinding>[]): AclStore {
  const acls = new AclStore();
  for (const b of bindings) acls.add(binding(b));
  return acls;
}

test("no binding denies; an allow applies to its principal, operation and resource only", () => {
  expect(new AclStore().allows(alice, Op.READ, "topic", "orders")).toBe(false);
  const acls = store({});
  expect(acls.allows(alice, Op.READ, "topic", "orders")).toBe(true);
  expect(acls.allows(alice, Op.WRITE, "topic", "orders")).toBe(false);
  expect(acls.allows(bob, Op.READ, "topic", "orders")).toBe(false);
  expect(acls.allows(alice, Op.READ, "topic", "orders2")).toBe(false);
  expect(acls.allows(alice, Op.READ, "group", "orders")).toBe(false);
});

test("Kafka's implications: READ/WRITE/DELETE/ALTER allow DESCRIBE, ALTER_CONFIGS allows DESCRIBE_CONFIGS, ALL allows everything", () => {
  for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) expect(store({ operation: op }).allows(alice, Op.DESCRIBE, "topic", "orders")).toBe(true);
  expect(store({ operation: Op.CREATE }).allows(alice, Op.DESCRIBE, "topic", "orders")).toBe(false);
  expect(store({ operation: Op.ALTER_CONFIGS }).allows(alice, Op.DESCRIBE_CONFIGS, "topic", "orders")).toBe(true);
  expect(store({ operation: Op.DESCRIBE }).allows(alice, Op.READ, "topic", "orders")).toBe(false);
  expect(store({ operation: Op.ALL }).allows(alice, Op.DELETE, "topic", "orders")).toBe(true);
});

test("deny wins over allow, for its operation or ALL; a deny of READ does not deny DESCRIBE", () => {
  expect(store({ operation: Op.ALL }, { operation: Op.WRITE, permission: AclPermission.DENY }).allows(alice, Op.WRITE, "topic", "orders")).toBe(false);
  expect(store({ operation: Op.ALL }, { operation: Op.WRITE, permission: AclPermission.DENY }).allows(alice, Op.READ, "topic", "orders")).toBe(true);
  expect(store({}, { principal: "User:*", operation: Op.ALL, permission: AclPermission.DENY }).allows(alice, Op.READ, "topic", "orders")).toBe(false);
  expect(store({ operation: Op.DESCRIBE }, { operation: Op.READ, permission: AclPermission.DENY }).allows(alice, Op.DESCRIBE, "topic", "orders")).toBe(true);
});

test("wildcards: the literal '*' resource, User:* and host '*'; a host binding applies to that address only", () => {
  expect(store({ resourceName: "*" }).allows(alice, Op.READ, "topic", "anything")).toBe(true);
  expect(store({ principal: "User:*" }).allows(bob, Op.READ, "topic", "orders")).toBe(true);
  const fromHost = store({ host: "127.0.0.1" });
  expect(fromHost.allows(alice, Op.READ, "topic", "orders")).toBe(true);
  expect(fromHost.allows({ ...alice, host: "127.0.0.2" }, Op.READ, "topic", "orders")).toBe(false);
});

test("prefixed patterns apply to names starting with them; removing a binding takes it out of the index", () => {
  const acls = store({ resourceName: "logs-", patternType: PatternType.PREFIXED }, { resourceName: "logs-secret", permission: AclPermission.DENY });
  expect(acls.allows(alice, Op.READ, "topic", "logs-app")).toBe(true);
  expect(acls.allows(alice, Op.READ, "topic", "logs-secret")).toBe(false);
  expect(acls.allows(alice, Op.READ, "topic", "log")).toBe(false);
  acls.remove(binding({ resourceName: "logs-", patternType: PatternType.PREFIXED }));
  expect(acls.allows(alice, Op.READ, "topic", "logs-app")).toBe(false);
  expect(acls.size).toBe(1);
});

test("allowsSomeOfType: WRITE on some topic, unless a deny covers it", () => {
  expect(store({ operation: Op.WRITE }).allowsSomeOfType(alice, Op.WRITE, "topic")).toBe(true);
  expect(store({ operation: Op.READ }).allowsSomeOfType(alice, Op.WRITE, "topic")).toBe(false);
  expect(store({ operation: Op.WRITE, resourceName: "a-1" }, { operation: Op.WRITE, resourceName: "a-", patternType: PatternType.PREFIXED, permission: AclPermission.DENY }).allowsSomeOfType(alice, Op.WRITE, "topic")).toBe(false);
  expect(store({ operation: Op.WRITE, resourceName: "b" }, { operation: Op.ALL, resourceName: "*", permission: AclPermission.DENY }).allowsSomeOfType(alice, Op.WRITE, "topic")).toBe(false);
  expect(store({ operation: Op.WRITE, resourceName: "b" }, { operation: Op.WRITE, resourceName: "c", permission: AclPermission.DENY }).allowsSomeOfType(alice, Op.WRITE, "topic")).toBe(true);
});

test("filters: ANY, MATCH (what applies to a name), exact pattern types, null strings", () => {
  const any: AclFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: AclPermission.ANY };
  const literal = binding({});
  const star = binding({ resourceName: "*" });
  const prefix = binding({ resourceName: "ord", patternType: PatternType.PREFIXED });
  const other = binding({ resourceName: "x", patternType: PatternType.PREFIXED });
  const matching = (f: Partial<AclFilter>) => [literal, star, prefix, other].filter((b) => aclFilterMatches({ ...any, ...f }, b));
  expect(matching({})).toHaveLength(4);
  expect(matching({ resourceName: "orders", patternType: PatternType.MATCH })).toEqual([literal, star, prefix]);
  expect(matching({ resourceName: "orders" })).toEqual([literal]);
  expect(matching({ patternType: PatternType.PREFIXED })).toEqual([prefix, other]);
  expect(matching({ resourceName: "ord", patternType: PatternType.LITERAL })).toEqual([]);
  expect(matching({ principal: "User:bob" })).toEqual([]);
  expect(matching({ resourceType: ResourceType.GROUP })).toEqual([]);
  expect(matching({ operation: Op.READ, permission: AclPermission.ALLOW, host: "*" })).toHaveLength(4);
});

test("prefixes of several lengths: each applies to names it starts; removing one leaves the others", () => {
  const acls = store({ resourceName: "a", patternType: PatternType.PREFIXED }, { resourceName: "abc-", patternType: PatternType.PREFIXED, operation: Op.WRITE }, { resourceName: "abcdefgh", patternType: PatternType.PREFIXED, operation: Op.DELETE });
  expect(acls.allows(alice, Op.WRITE, "topic", "abc-1")).toBe(true);
  expect(acls.allows(alice, Op.WRITE, "topic", "abc")).toBe(false);
  expect(acls.allows(alice, Op.DELETE, "topic", "abcdefghij")).toBe(true);
  expect(acls.allows(alice, Op.READ, "topic", "a")).toBe(true);
  acls.remove(binding({ resourceName: "abc-", patternType: PatternType.PREFIXED, operation: Op.WRITE }));
  expect(acls.allows(alice, Op.WRITE, "topic", "abc-1")).toBe(false);
  expect(acls.allows(alice, Op.DELETE, "topic", "abcdefghij")).toBe(true);
  expect(acls.allows(alice, Op.READ, "topic", "abc-1")).toBe(true);
});

/** Kafka's rule written plainly over every binding: what the store's index must agree with. */
function modelAllows(bindings: AclBinding[], subject: { principal: string; host: string }, operation: number, name: string): boolean {
  const applying = bindings.filter((b) =>
    b.resourceType === ResourceType.TOPIC &&
    (b.patternType === PatternType.LITERAL ? b.resourceName === name || b.resourceName === "*" : name.startsWith(b.resourceName)) &&
    (b.principal === subject.principal || b.principal === "User:*") && (b.host === "*" || b.host === subject.host));
  if (applying.some((b) => b.permission === AclPermission.DENY && (b.operation === operation || b.operation === Op.ALL))) return false;
  const implying = operation === Op.DESCRIBE ? [Op.DESCRIBE, Op.READ, Op.WRITE, Op.DELETE, Op.ALTER] : operation === Op.DESCRIBE_CONFIGS ? [Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS] : [operation];
  return applying.some((b) => b.permission === AclPermission.ALLOW && (b.operation === Op.ALL || (implying as number[]).includes(b.operation)));
}

test("random ACLs added and removed: the indexed store decides as the plain rule over every binding (seeded)", () => {
  const seed = Number(process.env.ACL_SEED ?? 20261202);
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const names = ["a", "ab", "abc", "abd", "b", "*", "ba"];
  const principals = ["User:alice", "User:bob", "User:*"];
  const hosts = ["*", "127.0.0.1", "10.0.0.2"];
  const operations = [Op.ALL, Op.READ, Op.WRITE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS];
  const acls = new AclStore();
  const held = new Map<string, AclBinding>();
  for (let step = 0; step < 3000; step++) {
    const b = binding({
      resourceName: pick(names), patternType: random() < 0.4 ? PatternType.PREFIXED : PatternType.LITERAL, principal: pick(principals),
      host: pick(hosts), operation: pick(operations), permission: random() < 0.3 ? AclPermission.DENY : AclPermission.ALLOW,
    });
    if (random() < 0.35 && held.size > 0) {
      const gone = pick([...held.values()]);
      acls.remove(gone);
      held.delete(JSON.stringify(gone));
    } else {
      acls.add(b);
      held.set(JSON.stringify(b), b);
    }
    const subject = { principal: pick(["User:alice", "User:bob"]), host: pick(["127.0.0.1", "10.0.0.2"]) };
    const operation = pick(operations.slice(1));
    const name = pick([...names.filter((n) => n !== "*"), "abcd", "c"]);
    const expected = modelAllows([...held.values()], subject, operation, name);
    if (acls.allows(subject, operation, "topic", name) !== expected) throw new Error(`seed ${seed}, step ${step}: ${subject.principal}@${subject.host} op ${operation} on '${name}' should be ${expected}`);
  }
  expect(acls.size).toBe(held.size);
});

/**
 * SASL_PLAINTEXT: PLAIN and SCRAM logins by kcat (librdkafka), kafkajs and raw frames; users by the admin API and AlterUserScramCredentials.
 * Authentication only: kafka_enable_authorization=false, else enable_sasl would turn ACL checks on (acls.test.ts covers those).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { adminGet, startBroker, type Broker } from "../helpers/broker.ts";
import { kafkaClient } from "../helpers/kafka.ts";
import { kcat } from "../helpers/kcat.ts";
import { WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

let broker: Broker;

async function admin(method: string, path: string, body?: object): Promise<{ status: number; json: any }> {
  const response = await fetch(`${broker.adminUrl}${path}`, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  return { status: response.status, json: await response.json() };
}

const saslArgs = (mechanism: string, user: string, password: string) => ["-X", "security.protocol=SASL_PLAINTEXT", "-X", `sasl.mechanisms=${mechanism}`, "-X", `sasl.username=${user}`, "-X", `sasl.password=${password}`];

beforeAll(async () => {
  broker = await startBroker({ sets: { enable_sasl: "true", kafka_enable_authorization: "false", sasl_mechanisms: "SCRAM-SHA-256,SCRAM-SHA-512,PLAIN", auto_create_topics_enabled: "true" } });
  expect((await admin("POST", "/v1/security/users", { username: "alice", password: "alice-secret", algorithm: "SCRAM-SHA-512" })).status).toBe(200);
  expect((await admin("POST", "/v1/security/users", { username: "bob", password: "bob-secret", algorithm: "SCRAM-SHA-256" })).status).toBe(200);
});

afterAll(async () => {
  await broker?.[Symbol.asyncDispose]();
});

test("the admin API lists users by name and refuses a second create", async () => {
  expect((await admin("GET", "/v1/security/users")).json).toEqual(["alice", "bob"]);
  expect((await admin("POST", "/v1/security/users", { username: "alice", password: "x", algorithm: "SCRAM-SHA-512" })).status).toBe(409);
  expect((await admin("POST", "/v1/security/users", { username: "carol", password: "x", algorithm: "MD5" })).status).toBe(400);
});

test("kcat produces and consumes with SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN", async () => {
  const brokers = broker.brokers[0];
  await kcat(["-b", brokers, ...saslArgs("SCRAM-SHA-512", "alice", "alice-secret"), "-P", "-t", "sasl-kcat", "-p", "0"], { stdin: "one\ntwo\n" });
  await kcat(["-b", brokers, ...saslArgs("PLAIN", "bob", "bob-secret"), "-P", "-t", "sasl-kcat", "-p", "0"], { stdin: "three\n" });
  const out = await kcat(["-b", brokers, ...saslArgs("SCRAM-SHA-256", "bob", "bob-secret"), "-C", "-t", "sasl-kcat", "-p", "0", "-o", "beginning", "-e", "-f", "%s\n"]);
  expect(out.trim().split("\n")).toEqual(["one", "two", "three"]);
});

test("kcat with a wrong password reports Authentication failed", async () => {
  const failure = await kcat(["-b", broker.brokers[0], ...saslArgs("SCRAM-SHA-512", "alice", "wrong"), "-L"], { timeoutMs: 15_000 }).then(() => "", (e: Error) => e.message);
  expect(failure).toContain("Authentication failed");
  const metrics = await adminGet(broker, "/metrics");
  const failed = [...metrics.text.matchAll(/^skua_kafka_sasl_failed_logins_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  expect(failed).toBeGreaterThan(0);
});

test("kafkajs logs in with scram-sha-256 and plain; a wrong password throws KafkaJSSASLAuthenticationError", async () => {
  for (const mechanism of ["scram-sha-256", "plain"] as const) {
    const kafka = kafkaClient(broker, { sasl: { mechanism, username: "bob", password: "bob-secret" } as { mechanism: "plain"; username: string; password: string } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "sasl-kafkajs", messages: [{ value: mechanism }] });
    await producer.disconnect();
  }
  const bad = kafkaClient(broker, { sasl: { mechanism: "scram-sha-256", username: "bob", password: "nope" }, retry: { retries: 0 } });
  const admin = bad.admin();
  const error = await admin.connect().then(() => null, (e: Error) => e);
  expect(error?.name).toBe("KafkaJSSASLAuthenticationError");
});

test("a Metadata request before logging in closes the connection", async () => {
  const client = await WireClient.connect(broker.kafkaPort);
  const versions = await client.request(18, 0, {});
  expect(versions.errorCode).toBe(0);
  const answer = client.request(3, 1, { topics: null }).then(() => "answered", () => "closed");
  expect(await answer).toBe("closed");
  const other = await WireClient.connect(broker.kafkaPort);
  expect((await other.request(17, 1, { mechanism: "GSSAPI" })).errorCode).toBe(33); // UNSUPPORTED_SASL_MECHANISM
  expect((await other.request(36, 1, { authBytes: new Uint8Array(3) })).errorCode).toBe(34); // ILLEGAL_SASL_STATE: no handshake
  other.close();
});

test("a user made by AlterUserScramCredentials logs in; deleted, it no longer does; users survive a restart", async () => {
  const client = await WireClient.connect(broker.kafkaPort);
  await client.request(17, 1, { mechanism: "PLAIN" });
  expect((await client.request(36, 2, { authBytes: new TextEncoder().encode("\0alice\0alice-secret") })).errorCode).toBe(0);
  const salt = randomBytes(16);
  const saltedPassword = pbkdf2Sync("dave-secret", salt, 4096, 32, "sha256");
  const altered = await client.request(51, 0, { deletions: [], upsertions: [{ name: "dave", mechanism: 1, iterations: 4096, salt, saltedPassword }] });
  expect(altered.results).toMatchObject([{ user: "dave", errorCode: 0 }]);
  const described = await client.request(50, 0, { users: [{ name: "dave" }, { name: "nobody" }] });
  expect(described.results).toMatchObject([{ user: "dave", errorCode: 0, credentialInfos: [{ mechanism: 1, iterations: 4096 }] }, { user: "nobody", errorCode: 91 }]);
  client.close();
  await kcat(["-b", broker.brokers[0], ...saslArgs("SCRAM-SHA-256", "dave", "dave-secret"), "-L"]);

  await broker.restart();
  await kcat(["-b", broker.brokers[0], ...saslArgs("SCRAM-SHA-256", "dave", "dave-secret"), "-L"]);
  await kcat(["-b", broker.brokers[0], ...saslArgs("SCRAM-SHA-512", "alice", "alice-secret"), "-L"]);

  expect((await admin("DELETE", "/v1/security/users/dave")).status).toBe(200);
  const failure = await kcat(["-b", broker.brokers[0], ...saslArgs("SCRAM-SHA-256", "dave", "dave-secret"), "-L"], { timeoutMs: 15_000 }).then(() => "", (e: Error) => e.message);
  expect(failure).toContain("Authentication failed");
});

test("a password changed by PUT: the old one fails, the new one works", async () => {
  expect((await admin("PUT", "/v1/security/users/bob", { password: "bob-new", algorithm: "SCRAM-SHA-256" })).status).toBe(200);
  const old = await kcat(["-b", broker.brokers[0], ...saslArgs("SCRAM-SHA-256", "bob", "bob-secret"), "-L"], { timeoutMs: 15_000 }).then(() => "", (e: Error) => e.message);
  expect(old).toContain("Authentication failed");
  await kcat(["-b", broker.brokers[0], ...saslArgs("SCRAM-SHA-256", "bob", "bob-new"), "-L"]);
});

test("with kafka_sasl_max_reauth_ms, SaslAuthenticate answers the session lifetime and a request after it closes the connection", async () => {
  await using short = await startBroker({ sets: { enable_sasl: "true", kafka_enable_authorization: "false", sasl_mechanisms: "PLAIN", kafka_sasl_max_reauth_ms: "500" } });
  const response = await fetch(`${short.adminUrl}/v1/security/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "eve", password: "eve-secret", algorithm: "SCRAM-SHA-256" }) });
  expect(response.status).toBe(200);
  const client = await WireClient.connect(short.kafkaPort);
  expect((await client.request(17, 1, { mechanism: "PLAIN" })).errorCode).toBe(0);
  const login = await client.request(36, 2, { authBytes: new TextEncoder().encode("\0eve\0eve-secret") });
  expect([login.errorCode, Number(login.sessionLifetimeMs)]).toEqual([0, 500]);
  expect((await client.request(3, 1, { topics: null })).brokers.length).toBe(1);
  await Bun.sleep(600); // the session's lifetime passing is what is tested
  expect(await client.request(3, 1, { topics: null }).then(() => "answered", () => "closed")).toBe("closed");
});

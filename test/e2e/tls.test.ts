/**
 * Named listeners from a redpanda.yaml-style config file: plaintext, SSL, SASL_SSL and mTLS on one
 * broker, driven by kcat (librdkafka) and kafkajs; HTTPS on the admin API; certificates reloaded
 * without a restart; plaintext and garbage on TLS ports closed cleanly (seeded).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { freePort, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { makeCerts, type Certs } from "../helpers/certs.ts";
import { kafkaClient } from "../helpers/kafka.ts";
import { kcat } from "../helpers/kcat.ts";
import { WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);

let broker: Broker;
let certs: Certs;
let alice: { cert: string; key: string };
let bob: { cert: string; key: string };
const ports = { ssl: 0, saslSsl: 0, mtls: 0, https: 0, httpsMtls: 0 };

const tlsEntry = (name: string, extra = "") =>
  `    - name: ${name}\n      enabled: true\n      cert_file: ${certs.serverCert}\n      key_file: ${certs.serverKey}\n${extra}`;

function config({ kafka, admin }: { kafka: number; admin: number }): string {
  return `# the listener section of a redpanda.yaml
redpanda:
  kafka_api:
    - name: internal
      address: 127.0.0.1
      port: ${kafka}
    - name: ssl
      address: 127.0.0.1
      port: ${ports.ssl}
    - name: sasl_ssl
      address: 127.0.0.1
      port: ${ports.saslSsl}
      authentication_method: sasl
    - name: mtls
      address: 127.0.0.1
      port: ${ports.mtls}
      authentication_method: mtls_identity
  advertised_kafka_api:
    - name: ssl
      address: localhost
      port: ${ports.ssl}
  kafka_api_tls:
${tlsEntry("ssl")}${tlsEntry("sasl_ssl")}${tlsEntry("mtls", `      truststore_file: ${certs.caCert}\n      require_client_auth: true\n`)}
  admin:
    - address: 127.0.0.1
      port: ${admin}
    - name: https
      address: 127.0.0.1
      port: ${ports.https}
    - name: https_mtls
      address: 127.0.0.1
      port: ${ports.httpsMtls}
  admin_api_tls:
${tlsEntry("https")}${tlsEntry("https_mtls", `      truststore_file: ${certs.caCert}\n      require_client_auth: true\n`)}
rpk:
  kafka_api:
    brokers: [127.0.0.1:9092]
auto_create_topics_enabled: true
group_initial_rebalance_delay: 0
# A TLS handshake must finish within it too: garbage that stops short is closed after a second.
kafka_request_read_timeout_ms: 1000
sasl_mechanisms: [SCRAM-SHA-512, SCRAM-SHA-256]
kafka_mtls_principal_mapping_rules:
  - RULE:^CN=(.*?),OU=eng,.*$/$1/L
`;
}

const ssl = () => ["-X", "security.protocol=SSL", "-X", `ssl.ca.location=${certs.caCert}`];
const saslSsl = (password: string) => ["-X", "security.protocol=SASL_SSL", "-X", `ssl.ca.location=${certs.caCert}`, "-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=alice", "-X", `sasl.password=${password}`];
const mtls = (client: { cert: string; key: string } | null) => [...ssl(), ...(client ? ["-X", `ssl.certificate.location=${client.cert}`, "-X", `ssl.key.location=${client.key}`] : [])];
const failureOf = (run: Promise<unknown>) => run.then(() => "", (e: Error) => e.message);

beforeAll(async () => {
  certs = await makeCerts();
  alice = await certs.client("alice", "/C=US/O=Acme/OU=eng/CN=Alice");
  bob = await certs.client("bob", "/C=US/O=Acme/OU=ops/CN=bob");
  for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = freePort();
  broker = await startBroker({ config, smp: 2 }); // every shard listens on every listener
  const created = await fetch(`${broker.adminUrl}/v1/security/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "alice", password: "alice-secret", algorithm: "SCRAM-SHA-512" }) });
  expect(created.status).toBe(200);
});

afterAll(async () => {
  await broker?.[Symbol.asyncDispose]();
  await certs?.[Symbol.asyncDispose]();
});

test("Metadata advertises the listener the request came in on", async () => {
  const plain = await kcat(["-b", `127.0.0.1:${broker.kafkaPort}`, "-L"]);
  expect(plain).toContain(`broker 0 at 127.0.0.1:${broker.kafkaPort}`);
  const overSsl = await kcat(["-b", `127.0.0.1:${ports.ssl}`, ...ssl(), "-L"]);
  expect(overSsl).toContain(`broker 0 at localhost:${ports.ssl}`);
});

test("kcat produces and consumes over SSL; the record is the same on the plaintext listener", async () => {
  await kcat(["-b", `127.0.0.1:${ports.ssl}`, ...ssl(), "-P", "-t", "tls-kcat", "-p", "0"], { stdin: "one\ntwo\n" });
  const overSsl = await kcat(["-b", `127.0.0.1:${ports.ssl}`, ...ssl(), "-C", "-t", "tls-kcat", "-p", "0", "-o", "beginning", "-e", "-f", "%s\n"]);
  expect(overSsl.trim().split("\n")).toEqual(["one", "two"]);
  const plain = await kcat(["-b", `127.0.0.1:${broker.kafkaPort}`, "-C", "-t", "tls-kcat", "-p", "0", "-o", "beginning", "-e", "-f", "%s\n"]);
  expect(plain.trim().split("\n")).toEqual(["one", "two"]);
});

test("kcat over SASL_SSL with SCRAM-SHA-512; a wrong password fails with Authentication failed", async () => {
  const brokers = `127.0.0.1:${ports.saslSsl}`;
  await kcat(["-b", brokers, ...saslSsl("alice-secret"), "-P", "-t", "tls-sasl", "-p", "0"], { stdin: "scram\n" });
  const out = await kcat(["-b", brokers, ...saslSsl("alice-secret"), "-C", "-t", "tls-sasl", "-p", "0", "-o", "beginning", "-e", "-f", "%s\n"]);
  expect(out.trim()).toBe("scram");
  expect(await failureOf(kcat(["-b", brokers, ...saslSsl("wrong"), "-L"], { timeoutMs: 15_000 }))).toContain("Authentication failed");
  // Without SASL the SASL_SSL listener answers nothing but ApiVersions and the handshake.
  expect(await failureOf(kcat(["-b", brokers, ...ssl(), "-L", "-m", "3"], { timeoutMs: 15_000 }))).not.toBe("");
});

test("kafkajs over SSL and over SASL_SSL with scram-sha-512", async () => {
  const ca = [readFileSync(certs.caCert, "utf8")];
  for (const [port, sasl] of [[ports.ssl, undefined], [ports.saslSsl, { mechanism: "scram-sha-512" as const, username: "alice", password: "alice-secret" }]] as const) {
    // The ssl listener advertises localhost, which the server certificate names too.
    const kafka = kafkaClient({ brokers: [`127.0.0.1:${port}`] }, { ssl: { ca }, sasl });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "tls-kafkajs", messages: [{ value: `via ${port}` }] });
    await producer.disconnect();
  }
  const kafka = kafkaClient({ brokers: [`127.0.0.1:${ports.saslSsl}`] }, { ssl: { ca }, sasl: { mechanism: "scram-sha-512", username: "alice", password: "nope" }, retry: { retries: 0 } });
  const error = await kafka.admin().connect().then(() => null, (e: Error) => e);
  expect(error?.name).toBe("KafkaJSSASLAuthenticationError");
  const values = (await kcat(["-b", `127.0.0.1:${broker.kafkaPort}`, "-C", "-t", "tls-kafkajs", "-o", "beginning", "-e", "-f", "%s\n"])).trim().split("\n");
  expect(values.sort()).toEqual([`via ${ports.saslSsl}`, `via ${ports.ssl}`].sort());
  // A consumer group over SSL: FindCoordinator too answers with the ssl listener's advertised localhost.
  const consumer = kafkaClient({ brokers: [`127.0.0.1:${ports.ssl}`] }, { ssl: { ca } }).consumer({ groupId: "tls-group" });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: "tls-kafkajs", fromBeginning: true });
    const received: string[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => void (received.push(message.value!.toString()) === 2 && resolve()) });
    });
    await Promise.race([done, Bun.sleep(30_000).then(() => Promise.reject(new Error(`group consumer over SSL got ${received.length} of 2`)))]);
    expect(received.sort()).toEqual(values);
  } finally {
    await consumer.disconnect();
  }
});

test("mTLS: a certificate the rules map is served; one they do not map, and none at all, are refused and logged", async () => {
  const brokers = `127.0.0.1:${ports.mtls}`;
  await kcat(["-b", brokers, ...mtls(alice), "-P", "-t", "tls-mtls", "-p", "0"], { stdin: "from alice\n" });
  const out = await kcat(["-b", brokers, ...mtls(alice), "-C", "-t", "tls-mtls", "-p", "0", "-o", "beginning", "-e", "-f", "%s\n"]);
  expect(out.trim()).toBe("from alice");
  expect(await failureOf(kcat(["-b", brokers, ...mtls(bob), "-L", "-m", "3"], { timeoutMs: 15_000 }))).not.toBe("");
  await pollUntil("the refused subject in the log", async () => (broker.stderr().includes("no principal mapping rule matches the certificate subject CN=bob,OU=ops,O=Acme,C=US") ? true : undefined));
  expect(await failureOf(kcat(["-b", brokers, ...mtls(null), "-L", "-m", "3"], { timeoutMs: 15_000 }))).not.toBe("");
  await pollUntil("the refused handshake in the log", async () => (broker.stderr().includes("TLS client certificate refused") ? true : undefined));
  // A client kafkajs with the mapped certificate works too.
  const kafka = kafkaClient({ brokers: [brokers] }, { ssl: { ca: [readFileSync(certs.caCert, "utf8")], cert: readFileSync(alice.cert, "utf8"), key: readFileSync(alice.key, "utf8") } });
  const admin = kafka.admin();
  await admin.connect();
  expect(await admin.listTopics()).toContain("tls-mtls");
  await admin.disconnect();
});

interface ListedConnection { shard_id: number; listener_name: string; source: string; tls_enabled: boolean; authentication_method: string; principal: string | null }

test("GET /v1/kafka/connections shows each connection's listener and principal: the mapped certificate user, the SASL user, ANONYMOUS", async () => {
  const ca = [readFileSync(certs.caCert, "utf8")];
  const clients = [
    kafkaClient({ brokers: [`127.0.0.1:${ports.mtls}`] }, { ssl: { ca, cert: readFileSync(alice.cert, "utf8"), key: readFileSync(alice.key, "utf8") } }),
    kafkaClient({ brokers: [`127.0.0.1:${ports.saslSsl}`] }, { ssl: { ca }, sasl: { mechanism: "scram-sha-512", username: "alice", password: "alice-secret" } }),
    kafkaClient(broker),
  ].map((kafka) => kafka.admin());
  for (const admin of clients) await admin.connect();
  try {
    await Promise.all(clients.map((admin) => admin.listTopics()));
    const listed = (await (await fetch(`${broker.adminUrl}/v1/kafka/connections`)).json()) as ListedConnection[];
    const seen = (listener: string) => listed.filter((c) => c.listener_name === listener).map((c) => [c.principal, c.tls_enabled, c.authentication_method]);
    expect(seen("mtls")).toContainEqual(["User:alice", true, "mtls_identity"]);
    expect(seen("sasl_ssl")).toContainEqual(["User:alice", true, "sasl"]);
    expect(seen("internal")).toContainEqual(["User:ANONYMOUS", false, "none"]);
    expect(listed.every((c) => /^127\.0\.0\.1:\d+$/.test(c.source))).toBe(true);
  } finally {
    for (const admin of clients) await admin.disconnect();
  }
});

test("the admin API answers over HTTPS; with require_client_auth only to a client with a certificate", async () => {
  const ca = readFileSync(certs.caCert, "utf8");
  expect((await fetch(`https://127.0.0.1:${ports.https}/v1/status/ready`, { tls: { ca } })).status).toBe(200);
  const withCert = await fetch(`https://127.0.0.1:${ports.httpsMtls}/v1/status/ready`, { tls: { ca, cert: readFileSync(alice.cert, "utf8"), key: readFileSync(alice.key, "utf8") } });
  expect(withCert.status).toBe(200);
  const without = await fetch(`https://127.0.0.1:${ports.httpsMtls}/v1/status/ready`, { tls: { ca } }).then((r) => `HTTP ${r.status}`, (e: Error) => `refused: ${e.message}`);
  expect(without).toStartWith("refused");
});

/** Connects, sends `bytes`, and resolves once the broker closed the connection (or after it answered something). */
async function sendAndWaitClose(port: number, bytes: Uint8Array): Promise<void> {
  const client = await WireClient.connect(port);
  try {
    client.sendRaw(bytes);
  } catch {
    return; // already closed
  }
  await Promise.race([client.closed, Bun.sleep(10_000).then(() => Promise.reject(new Error(`port ${port} kept a connection open after garbage (SEED=${SEED})`)))]);
}

test("a plaintext Kafka client on a TLS port is closed; the broker keeps serving", async () => {
  const client = await WireClient.connect(ports.ssl);
  const answer = await client.request(18, 0, {}).then(() => "answered", () => "closed");
  expect(answer).toBe("closed");
  expect(await kcat(["-b", `127.0.0.1:${ports.ssl}`, ...ssl(), "-L"])).toContain(`broker 0 at localhost:${ports.ssl}`);
});

test(`TLS handshakes with garbage are closed cleanly on every TLS port (SEED=${SEED})`, async () => {
  console.log(`tls garbage seed ${SEED} (rerun with SEED=${SEED})`);
  let state = SEED >>> 0 || 1;
  const random = () => ((state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  // A TLS record header (handshake, TLS 1.0-1.2) with a random length and garbage after it, as well as plain random bytes.
  const record = () => {
    const body = bytes(1 + Math.floor(random() * 600));
    const length = random() < 0.5 ? body.length : Math.floor(random() * 0x10000);
    return new Uint8Array([0x16, 0x03, Math.floor(random() * 4), length >> 8, length & 0xff, 0x01, ...body]);
  };
  const targets = [ports.ssl, ports.saslSsl, ports.mtls];
  for (let i = 0; i < 60; i++) {
    const port = targets[i % targets.length];
    await sendAndWaitClose(port, random() < 0.6 ? record() : bytes(1 + Math.floor(random() * 2048)));
  }
  expect(await kcat(["-b", `127.0.0.1:${ports.mtls}`, ...mtls(alice), "-L"])).toContain(`broker 0 at 127.0.0.1:${ports.mtls}`);
  expect(broker.running).toBe(true);
});

test("a replaced certificate is served to new connections without a restart, on Kafka and admin TLS listeners", async () => {
  const subjectOn = async (port: number) => {
    const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost"], { stdin: new Blob(["Q\n"]), stdout: "pipe", stderr: "pipe" });
    const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    return /subject=.*CN\s*=\s*([\w.-]+)/.exec(out)?.[1] ?? null;
  };
  expect(await subjectOn(ports.ssl)).toBe("localhost");
  await certs.replaceServer("reloaded.example");
  for (const port of [ports.ssl, ports.saslSsl, ports.https]) {
    await pollUntil(`the new certificate on ${port}`, async () => ((await subjectOn(port)) === "reloaded.example" ? true : undefined), 15_000, 200);
  }
  expect(broker.stderr()).toContain("TLS certificate reloaded");
  // Still signed by the same CA: kcat (which checks the name too, so not on the localhost-named listener) connects.
  expect(await kcat(["-b", `127.0.0.1:${ports.mtls}`, ...mtls(alice), "-X", "ssl.endpoint.identification.algorithm=none", "-L"])).toContain(`broker 0 at 127.0.0.1:${ports.mtls}`);
});

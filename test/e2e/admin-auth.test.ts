/** admin_api_require_auth on dist/skua: a bootstrap superuser (SKUA_BOOTSTRAP_USER), a plain user, curl-style fetches and the CLI's --user/--password. */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { SKUA_BIN, startBroker, type Broker } from "../helpers/broker.ts";

setDefaultTimeout(60_000);

let broker: Broker;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function admin(method: string, path: string, authorization?: string, body?: object) {
  const headers: Record<string, string> = { "content-type": "application/json", ...(authorization && { authorization }) };
  const response = await fetch(`${broker.adminUrl}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  return { status: response.status, challenge: response.headers.get("www-authenticate"), json: await response.json().catch(() => null) };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([SKUA_BIN, ...args, "--admin-url", broker.adminUrl, "--brokers", broker.brokers[0]], {
    stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, XDG_CONFIG_HOME: "/nonexistent", SKUA_USER: "", SKUA_PASSWORD: "", ...env },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  broker = await startBroker({ sets: { admin_api_require_auth: "true", superusers: "admin" }, env: { SKUA_BOOTSTRAP_USER: "admin:boot-secret" } });
});

afterAll(async () => {
  await broker?.[Symbol.asyncDispose]();
});

test("readiness is open; everything else asks for a login", async () => {
  expect((await admin("GET", "/v1/status/ready")).status).toBe(200);
  for (const path of ["/v1/shards", "/v1/security/users", "/metrics", "/"]) {
    const refused = await admin("GET", path);
    expect(refused.status).toBe(401);
    expect(refused.challenge).toBe('Basic realm="skua"');
  }
  expect((await admin("GET", "/v1/shards", basic("admin", "wrong"))).status).toBe(401);
});

test("the bootstrap superuser creates a user; that user reads but may not change", async () => {
  expect((await admin("POST", "/v1/security/users", undefined, { username: "reader", password: "reader-pw" })).status).toBe(401);
  expect((await admin("POST", "/v1/security/users", basic("admin", "boot-secret"), { username: "reader", password: "reader-pw" })).status).toBe(200);
  const users = await admin("GET", "/v1/security/users", basic("reader", "reader-pw"));
  expect(users.status).toBe(200);
  expect(users.json).toEqual(["admin", "reader"]);
  expect((await admin("POST", "/v1/partitions/rebalance_cores", basic("reader", "reader-pw"))).status).toBe(403);
  expect((await admin("DELETE", "/v1/security/users/admin", basic("reader", "reader-pw"))).status).toBe(403);
  expect((await admin("POST", "/v1/partitions/rebalance_cores", basic("admin", "boot-secret"))).status).toBe(200);
});

test("the CLI logs in with --user/--password or SKUA_USER/SKUA_PASSWORD", async () => {
  const without = await cli(["shard", "list"]);
  expect(without.code).not.toBe(0);
  expect(without.stderr).toContain("401");
  const withFlags = await cli(["shard", "list", "--user", "admin", "--password", "boot-secret", "--format", "json"]);
  expect(withFlags.stderr).toBe("");
  expect(withFlags.code).toBe(0);
  expect(JSON.parse(withFlags.stdout).length).toBeGreaterThan(0);
  expect((await cli(["shard", "list"], { SKUA_USER: "admin", SKUA_PASSWORD: "boot-secret" })).code).toBe(0);
  expect((await cli(["shard", "list"], { SKUA_USER: "admin", SKUA_PASSWORD: "nope" })).code).not.toBe(0);
});

test("a restart with the same SKUA_BOOTSTRAP_USER keeps the existing user as it is", async () => {
  await broker.restart({ env: { SKUA_BOOTSTRAP_USER: "admin:another-secret" } });
  expect((await admin("GET", "/v1/shards", basic("admin", "boot-secret"))).status).toBe(200);
  expect((await admin("GET", "/v1/shards", basic("admin", "another-secret"))).status).toBe(401);
});

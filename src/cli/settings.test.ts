import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "./args.ts";
import { resolveSettings } from "./settings.ts";

const none = { brokers: null, adminUrl: null, profile: null, format: null };
const noHome = { XDG_CONFIG_HOME: "/nonexistent" };

describe("resolveSettings", () => {
  test("defaults are rpk's local ones", () => {
    expect(resolveSettings(none, noHome)).toEqual({ brokers: [{ host: "127.0.0.1", port: 9092 }], adminUrl: "http://127.0.0.1:9644", adminLogin: null, kafkaLogin: null, format: "text" });
  });

  test("flags win over the environment, which wins over the profile", () => {
    const dir = mkdtempSync(join(tmpdir(), "skua-settings-"));
    const profile = join(dir, "profile.yaml");
    writeFileSync(profile, "kafka_api:\n  brokers: [p1:1, p2:2]\nadmin_api:\n  addresses: [p:3]\n");
    expect(resolveSettings({ ...none, profile }, noHome)).toEqual({ brokers: [{ host: "p1", port: 1 }, { host: "p2", port: 2 }], adminUrl: "http://p:3", adminLogin: null, kafkaLogin: null, format: "text" });
    const env = { ...noHome, SKUA_BROKERS: "e:4", SKUA_ADMIN_URL: "https://e:5/" };
    expect(resolveSettings({ ...none, profile }, env)).toMatchObject({ brokers: [{ host: "e", port: 4 }], adminUrl: "https://e:5" });
    expect(resolveSettings({ ...none, profile, brokers: "f:6" }, env).brokers).toEqual([{ host: "f", port: 6 }]);
  });

  test("bad values are usage errors", () => {
    expect(() => resolveSettings({ ...none, brokers: "nohost" }, noHome)).toThrow(UsageError);
    expect(() => resolveSettings({ ...none, format: "xml" }, noHome)).toThrow(/--format/);
    expect(() => resolveSettings({ ...none, profile: "/nonexistent/p.yaml" }, noHome)).toThrow(/does not exist/);
  });

  test("the admin login: flags win over SKUA_USER / SKUA_PASSWORD, and both halves are needed", () => {
    const env = { ...noHome, SKUA_USER: "env-user", SKUA_PASSWORD: "env-pw" };
    expect(resolveSettings(none, env).adminLogin).toEqual({ user: "env-user", password: "env-pw" });
    expect(resolveSettings({ ...none, user: "admin", password: "a:b" }, env).adminLogin).toEqual({ user: "admin", password: "a:b" });
    expect(() => resolveSettings({ ...none, user: "admin" }, noHome)).toThrow(/go together/);
    expect(() => resolveSettings({ ...none, user: "a:b", password: "x" }, noHome)).toThrow(/':'/);
  });
});

describe("the Kafka SASL login", () => {
  test("--sasl-mechanism logs in as --user; it needs the user and a known mechanism", () => {
    const login = { ...none, user: "u", password: "p" };
    expect(resolveSettings({ ...login, saslMechanism: "SCRAM-SHA-512" }, noHome).kafkaLogin).toEqual({ mechanism: "SCRAM-SHA-512", user: "u", password: "p" });
    expect(resolveSettings(login, { ...noHome, SKUA_SASL_MECHANISM: "PLAIN" }).kafkaLogin).toEqual({ mechanism: "PLAIN", user: "u", password: "p" });
    expect(resolveSettings(login, noHome).kafkaLogin).toBeNull();
    expect(() => resolveSettings({ ...login, saslMechanism: "GSSAPI" }, noHome)).toThrow("--sasl-mechanism must be one of");
    expect(() => resolveSettings({ ...none, saslMechanism: "PLAIN" }, noHome)).toThrow("needs --user and --password");
  });
});

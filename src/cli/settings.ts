/**
 * Where the CLI connects, and as whom on the admin API (--user/--password, env SKUA_USER /
 * SKUA_PASSWORD: HTTP Basic). Addresses: flags, then environment (SKUA_BROKERS, SKUA_ADMIN_URL), then a
 * profile file with rpk's keys (`kafka_api.brokers`, `admin_api.addresses`; either one
 * profile, or rpk.yaml's `profiles:` list with `current_profile`), then the defaults.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { HostPort } from "../client/client.ts";
import { SASL_MECHANISMS, type SaslLogin, type SaslMechanism } from "../client/sasl.ts";
import { parseHostPort, UsageError } from "./args.ts";
import type { Format } from "./output.ts";

export interface Settings {
  brokers: HostPort[];
  adminUrl: string;
  /** Sent as HTTP Basic auth to the admin API; null: none sent. */
  adminLogin: { user: string; password: string } | null;
  /** The SASL login of every Kafka connection; null: none. */
  kafkaLogin: SaslLogin | null;
  format: Format;
}

export interface SettingsInput {
  brokers: string | null;
  adminUrl: string | null;
  profile: string | null;
  format: string | null;
  user?: string | null;
  password?: string | null;
  saslMechanism?: string | null;
}

const DEFAULT_BROKERS = "127.0.0.1:9092";
const DEFAULT_ADMIN = "127.0.0.1:9644";

export function resolveSettings(input: SettingsInput, env: Record<string, string | undefined> = process.env): Settings {
  const profile = loadProfile(input.profile ?? (env.SKUA_PROFILE || null), env);
  const brokers = input.brokers ?? (env.SKUA_BROKERS || null) ?? profile.brokers ?? DEFAULT_BROKERS;
  const admin = input.adminUrl ?? (env.SKUA_ADMIN_URL || null) ?? profile.admin ?? DEFAULT_ADMIN;
  const format = input.format ?? "text";
  if (format !== "text" && format !== "json" && format !== "yaml") throw new UsageError(`--format must be one of text, json, yaml, got '${format}'`);
  const login = adminLogin(input, env);
  return { brokers: parseBrokers(brokers), adminUrl: adminUrl(admin), adminLogin: login, kafkaLogin: kafkaLogin(input, env, login), format };
}

export function parseBrokers(list: string): HostPort[] {
  const brokers = list.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => parseHostPort("--brokers", s));
  if (brokers.length === 0) throw new UsageError("--brokers must name at least one HOST:PORT");
  return brokers;
}

function adminLogin(input: SettingsInput, env: Record<string, string | undefined>): Settings["adminLogin"] {
  const user = input.user ?? (env.SKUA_USER || null);
  const password = input.password ?? (env.SKUA_PASSWORD || null);
  if (user === null && password === null) return null;
  if (user === null || password === null) throw new UsageError("--user and --password (env SKUA_USER, SKUA_PASSWORD) go together");
  if (user.includes(":")) throw new UsageError("--user cannot contain ':' (HTTP Basic ends the user name there)");
  return { user, password };
}

function kafkaLogin(input: SettingsInput, env: Record<string, string | undefined>, login: Settings["adminLogin"]): SaslLogin | null {
  const mechanism = input.saslMechanism ?? (env.SKUA_SASL_MECHANISM || null);
  if (mechanism === null) return null;
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) throw new UsageError(`--sasl-mechanism must be one of ${SASL_MECHANISMS.join(", ")}, got '${mechanism}'`);
  if (login === null) throw new UsageError("--sasl-mechanism needs --user and --password (env SKUA_USER, SKUA_PASSWORD)");
  return { mechanism: mechanism as SaslMechanism, ...login };
}

function adminUrl(v: string): string {
  const url = /^https?:\/\//.test(v) ? v : `http://${v}`;
  if (!URL.canParse(url)) throw new UsageError(`--admin-url must be a URL or HOST:PORT, got '${v}'`);
  return url.replace(/\/+$/, "");
}

interface ProfileValues {
  brokers: string | null;
  admin: string | null;
}

function loadProfile(explicit: string | null, env: Record<string, string | undefined>): ProfileValues {
  const path = explicit ?? defaultProfilePath(env);
  if (path === null) return { brokers: null, admin: null };
  if (!existsSync(path)) {
    if (explicit !== null) throw new UsageError(`profile '${path}' does not exist`);
    return { brokers: null, admin: null };
  }
  let doc: any;
  try {
    doc = Bun.YAML.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`profile '${path}' is not YAML: ${(error as Error).message}`);
  }
  const profile = Array.isArray(doc?.profiles) ? doc.profiles.find((p: any) => p?.name === doc.current_profile) ?? doc.profiles[0] : doc;
  return { brokers: joinList(profile?.kafka_api?.brokers, path, "kafka_api.brokers"), admin: joinList(profile?.admin_api?.addresses, path, "admin_api.addresses")?.split(",")[0] ?? null };
}

function joinList(v: unknown, path: string, key: string): string | null {
  if (v === undefined || v === null) return null;
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === "string")) throw new UsageError(`profile '${path}': ${key} must be a list of HOST:PORT strings`);
  return list.join(",");
}

function defaultProfilePath(env: Record<string, string | undefined>): string | null {
  const base = env.XDG_CONFIG_HOME ?? (env.HOME ? join(env.HOME, ".config") : join(homedir(), ".config"));
  return join(base, "skua", "profile.yaml");
}

/**
 * The `--config` file. Either YAML laid out as Redpanda's redpanda.yaml (a `redpanda:` section
 * with the node settings and listeners; cluster properties at the top level or in it), or the
 * flat `name: value` / `name=value` lines skua always read (flat `name: value` lines are YAML
 * already). Node settings fill what the flags left unset; the rest are cluster properties, checked
 * by the caller. Pure: a bad entry is a UsageError naming its path.
 */
import { DEFAULT_RPC_PORT, applyNodeConfig, parseNodeId, parseRack, parseRpcAddress, parseSeeds, type StartOptions } from "./args.ts";
import { UsageError, type HostPort } from "./usage-error.ts";
import { limits } from "../base/limits.ts";
import { KAFKA_AUTHENTICATION_METHODS, LISTENERS_MAX, type KafkaAuthenticationMethod, type ListenerSections, type NamedAddress, type TlsFiles } from "./listeners.ts";

export interface ConfigFileContents {
  /** Cluster properties, name and value as text, in file order. */
  properties: Array<[name: string, value: string]>;
  /** The file when it is flat lines (not a YAML mapping): the caller reads its properties line by line. */
  flatText: string | null;
  /** Sections and settings of redpanda.yaml that skua has no use for, to be said once at start. */
  ignored: string[];
}

/** Top-level sections of redpanda.yaml for other services (rpk, the HTTP proxy, the schema registry). */
const IGNORED_SECTIONS = new Set(["rpk", "pandaproxy", "pandaproxy_client", "schema_registry", "schema_registry_client", "audit_log_client", "config_file"]);
/** Node settings of Redpanda's that mean nothing to skua. */
const IGNORED_NODE_KEYS = new Set(["developer_mode", "empty_seed_starts_cluster", "crash_loop_limit", "crash_loop_sleep_sec", "admin_api_doc_dir", "cloud_storage_cache_directory", "upgrade_override_checks", "recovery_mode_enabled", "memory_allocation_warning_threshold", "verbose_logging_timeout_sec_max"]);
const NODE_KEYS = new Set(["node_id", "rack", "rpc_server", "advertised_rpc_api", "seed_servers", "data_directory", "kafka_api", "advertised_kafka_api", "kafka_api_tls", "admin", "admin_api_tls"]);

export function applyConfigFile(options: StartOptions, text: string): ConfigFileContents {
  const yaml = parseYamlMapping(text);
  if (yaml === null) return { properties: [], flatText: applyNodeConfig(options, text), ignored: [] };
  const out: ConfigFileContents = { properties: [], flatText: null, ignored: [] };
  for (const [key, value] of Object.entries(yaml)) {
    if (key === "redpanda") {
      if (!isMapping(value)) throw new UsageError("config file: 'redpanda' must be a mapping");
      for (const [inner, innerValue] of Object.entries(value)) applyEntry(options, out, `redpanda.${inner}`, inner, innerValue);
    } else if (IGNORED_SECTIONS.has(key)) {
      out.ignored.push(key);
    } else {
      applyEntry(options, out, key, key, value);
    }
  }
  return out;
}

/** The file as a YAML mapping, or null when it is not one (flat `name=value` lines, or empty). */
function parseYamlMapping(text: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = Bun.YAML.parse(text);
  } catch {
    return null; // not YAML: the flat-line reader says which line is wrong
  }
  return isMapping(parsed) ? parsed : null;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function applyEntry(options: StartOptions, out: ConfigFileContents, path: string, key: string, value: unknown): void {
  if (NODE_KEYS.has(key)) return applyNodeKey(options, path, key, value);
  if (IGNORED_NODE_KEYS.has(key)) {
    out.ignored.push(path);
    return;
  }
  if (value === null) return; // an empty value leaves the property at its default, as Redpanda reads it
  out.properties.push([key, propertyText(path, value)]);
}

/** A property's value as `--set` takes it: scalars as written, a list joined by commas. */
function propertyText(path: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => propertyText(path, item)).join(",");
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  throw new UsageError(`config file: ${path} must be a value or a list of values`);
}

function applyNodeKey(options: StartOptions, path: string, key: string, value: unknown): void {
  const where = `config file: ${path}`;
  const sections = options.listenerSections;
  switch (key) {
    case "node_id": options.nodeId ??= parseNodeId(where, scalar(where, value)); return;
    case "rpc_server": options.rpcAddr ??= rpcAddress(where, value); return;
    case "advertised_rpc_api": options.advertiseRpcAddr ??= rpcAddress(where, value); return;
    case "seed_servers": {
      const list = seeds(where, value);
      if (list.length > 0) options.seeds ??= list; // redpanda.yaml's `seed_servers: []`: no seeds
      return;
    }
    case "rack": options.rack ??= parseRack(where, scalar(where, value)); return;
    case "data_directory": options.dataDir ??= nonEmptyString(where, value); return;
    case "kafka_api": sections.kafka = entries(where, value).map((e, i) => ({ ...namedAddress(`${where}[${i}]`, e, 9092), authentication: authentication(`${where}[${i}]`, e) })); return;
    case "advertised_kafka_api": sections.advertisedKafka = entries(where, value).map((e, i) => namedAddress(`${where}[${i}]`, e, 9092)); return;
    case "kafka_api_tls": sections.kafkaTls = entries(where, value).map((e, i) => tlsEntry(`${where}[${i}]`, e)); return;
    case "admin": sections.admin = entries(where, value).map((e, i) => namedAddress(`${where}[${i}]`, e, 9644)); return;
    case "admin_api_tls": sections.adminTls = entries(where, value).map((e, i) => tlsEntry(`${where}[${i}]`, e)); return;
  }
}

function scalar(where: string, value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number") throw new UsageError(`${where} must be a value`);
  return String(value);
}

function nonEmptyString(where: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`${where} must be a non-empty string`);
  return value;
}

/** HOST[:PORT] as a string, or Redpanda's `{address, port}`. */
function rpcAddress(where: string, value: unknown): HostPort {
  if (isMapping(value)) return hostPort(where, value, DEFAULT_RPC_PORT);
  return parseRpcAddress(where, scalar(where, value));
}

/** `a:1,b:2`, or Redpanda's list of `{host: {address, port}}` (or `{address, port}`, or strings). */
function seeds(where: string, value: unknown): HostPort[] {
  if (value === null) return [];
  if (!Array.isArray(value)) return parseSeeds(where, scalar(where, value));
  if (value.length > limits.seedServersMax) throw new UsageError(`${where} may list at most ${limits.seedServersMax} nodes, got ${value.length}`);
  return value.map((item, i) => {
    const at = `${where}[${i}]`;
    if (isMapping(item) && isMapping(item.host)) return hostPort(`${at}.host`, item.host, DEFAULT_RPC_PORT);
    return rpcAddress(at, item);
  });
}

/** One entry or a list of them (Redpanda accepts both). */
function entries(where: string, value: unknown): Array<Record<string, unknown>> {
  const list = Array.isArray(value) ? value : [value];
  if (list.length > LISTENERS_MAX) throw new UsageError(`${where} may list at most ${LISTENERS_MAX} entries, got ${list.length}`);
  return list.map((entry, i) => {
    if (!isMapping(entry)) throw new UsageError(`${where}[${i}] must be a mapping`);
    return entry;
  });
}

function knownKeys(where: string, entry: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(entry)) if (!allowed.includes(key)) throw new UsageError(`${where}: unknown setting '${key}' (known: ${allowed.join(", ")})`);
}

function hostPort(where: string, entry: Record<string, unknown>, defaultPort: number): HostPort {
  const host = nonEmptyString(`${where}.address`, entry.address);
  const port = entry.port ?? defaultPort;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${where}.port must be an integer from 0 to 65535`);
  return { host, port };
}

function namedAddress(where: string, entry: Record<string, unknown>, defaultPort: number): NamedAddress {
  knownKeys(where, entry, ["name", "address", "port", "authentication_method"]);
  return { name: listenerName(where, entry), ...hostPort(where, entry, defaultPort) };
}

function listenerName(where: string, entry: Record<string, unknown>): string {
  const name = entry.name ?? "";
  if (typeof name !== "string" || !/^[A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`${where}.name must be letters, digits, '_', '.' or '-'`);
  return name;
}

function authentication(where: string, entry: Record<string, unknown>): KafkaAuthenticationMethod | null {
  const method = entry.authentication_method;
  if (method === undefined || method === null) return null;
  if (!KAFKA_AUTHENTICATION_METHODS.includes(method as KafkaAuthenticationMethod)) {
    throw new UsageError(`${where}.authentication_method must be one of ${KAFKA_AUTHENTICATION_METHODS.join(", ")}, got '${String(method)}'`);
  }
  return method as KafkaAuthenticationMethod;
}

/** A `*_api_tls` entry; `enabled: false` (the default, as Redpanda's) keeps the listener plaintext. */
function tlsEntry(where: string, entry: Record<string, unknown>): { name: string; tls: TlsFiles | null } {
  knownKeys(where, entry, ["name", "enabled", "cert_file", "key_file", "truststore_file", "crl_file", "require_client_auth"]);
  const name = listenerName(where, entry);
  const flag = (key: string) => {
    const v = entry[key] ?? false;
    if (typeof v !== "boolean") throw new UsageError(`${where}.${key} must be true or false`);
    return v;
  };
  const file = (key: string) => (entry[key] === undefined || entry[key] === null ? null : nonEmptyString(`${where}.${key}`, entry[key]));
  if (!flag("enabled")) return { name, tls: null };
  const certFile = file("cert_file");
  const keyFile = file("key_file");
  if (certFile === null || keyFile === null) throw new UsageError(`${where}: an enabled TLS listener needs cert_file and key_file`);
  const tls = { certFile, keyFile, truststoreFile: file("truststore_file"), crlFile: file("crl_file"), requireClientAuth: flag("require_client_auth") };
  if (tls.requireClientAuth && tls.truststoreFile === null) throw new UsageError(`${where}: require_client_auth needs truststore_file (the CA that signs client certificates)`);
  return { name, tls };
}

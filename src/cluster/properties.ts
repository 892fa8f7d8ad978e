/**
 * Cluster properties, by Redpanda's names. Given at start with `--set NAME=VALUE` or in the
 * config file; an unknown name or a bad value is a start-up error that names it.
 */
import { parseClientGroupQuotas } from "./client-quotas.ts";
import { parseAddressCounts } from "./connection-limits.ts";
import { parsePrincipalRules } from "./principal-mapping.ts";

export type PropertyKind = "bool" | "int" | "string";

interface PropertyDef {
  kind: PropertyKind;
  default: boolean | number | string;
  min?: number;
  oneOf?: readonly string[];
  /** A comma-separated list (brackets allowed, as Redpanda's YAML writes it) of these; `true` when any item goes. */
  listOf?: readonly string[] | true;
  /** A list that must name at least one item. */
  nonEmpty?: boolean;
  /** An int where Redpanda's YAML may say `null` for "no limit": read as -1. */
  nullIsOff?: boolean;
  /** Further checks of a string's value; throws an Error saying what is wrong. */
  check?: (value: string) => unknown;
  description: string;
  /** Checks a string value and gives it in its stored form; throws with what is wrong. */
  normalize?: (raw: string) => string;
}

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

export const propertyDefs = {
  auto_create_topics_enabled: { kind: "bool", default: false, description: "Create a topic on first Metadata or Produce for it" },
  default_topic_partitions: { kind: "int", default: 1, min: 1, description: "Partitions of an auto-created topic" },
  default_topic_replications: { kind: "int", default: 1, min: 1, description: "Replication factor of a topic created without one (a cluster: at most the node count)" },
  election_timeout_ms: { kind: "int", default: 1500, min: 10, description: "Raft election timeout of every group in a cluster (each wait is random in [T, 2T))" },
  raft_heartbeat_interval_ms: { kind: "int", default: 150, min: 1, description: "How often a Raft leader heartbeats its followers (one message per peer node for all groups)" },
  enable_rack_awareness: { kind: "bool", default: false, description: "In a cluster: a partition's replicas go to distinct racks (--rack) where possible, and consumers with client.rack fetch from a replica in their rack (KIP-392)" },
  enable_leader_balancer: { kind: "bool", default: true, description: "In a cluster: move partition leaderships so every node and shard leads about as many" },
  leader_balancer_idle_timeout: { kind: "int", default: 2000, min: 10, description: "In a cluster: how often (ms) the leader balancer looks at the leaders" },
  leader_balancer_mute_timeout: { kind: "int", default: 5000, min: 0, description: "In a cluster: how long (ms) the leader balancer leaves a partition alone after its leader changed" },
  raft_learner_recovery_rate: { kind: "int", default: 100 * MiB, min: 1, description: "Bytes per second each node's leaders send to learners being caught up (a replica move's new replicas), shared evenly by the node's shards; voters are never throttled" },
  partition_autobalancing_mode: { kind: "string", default: "node_add", check: autobalancingMode, description: "off, or node_add: the controller leader moves replicas onto nodes with too few (a node that joined) until replica counts per node differ by at most one, a bounded number of moves at a time (continuous is not supported)" },
  log_segment_size: { kind: "int", default: 128 * MiB, min: 1024, description: "Default segment.bytes" },
  log_segment_ms: { kind: "int", default: 14 * DAY_MS, min: 1, description: "Default segment.ms" },
  log_retention_ms: { kind: "int", default: 7 * DAY_MS, min: -1, description: "Default retention.ms (-1: forever)" },
  retention_bytes: { kind: "int", default: -1, min: -1, description: "Default retention.bytes (-1: no limit)" },
  log_cleanup_policy: { kind: "string", default: "delete", oneOf: ["delete", "compact", "compact,delete", "delete,compact"], description: "Default cleanup.policy" },
  storage_compaction_key_map_memory: { kind: "int", default: 128 * MiB, min: 64 * 1024, description: "Bytes of key map each shard's compaction may use; a partition with more keys is compacted in several passes" },
  log_compression_type: { kind: "string", default: "producer", oneOf: ["producer", "none", "uncompressed", "gzip", "snappy", "lz4", "zstd"], description: "Default compression.type: producer keeps each batch's codec, others (none = uncompressed) recompress on produce" },
  log_message_timestamp_type: { kind: "string", default: "CreateTime", oneOf: ["CreateTime", "LogAppendTime"], description: "Default message.timestamp.type" },
  kafka_batch_max_bytes: { kind: "int", default: 1 * MiB, min: 64, description: "Default max.message.bytes" },
  topic_partitions_per_shard: { kind: "int", default: 5000, min: 1, description: "Most partitions one shard may own; creating more is refused" },
  core_balancing_on_core_count_change: { kind: "bool", default: true, description: "Even out partition counts when the shard count changed since the last start" },
  log_compaction_interval_ms: { kind: "int", default: 10_000, min: 10, description: "How often each shard runs housekeeping: retention deletes closed segments, compaction rewrites them" },
  kafka_request_max_bytes: { kind: "int", default: 100 * MiB, min: 1024, description: "Largest request frame (socket.request.max.bytes)" },
  kafka_request_memory_per_shard_bytes: { kind: "int", default: 256 * MiB, min: 1 * MiB, description: "Bytes each shard gives to requests being read or waiting to be served and answers waiting to be sent (Kafka's queued.max.request.bytes, per shard); past it connections wait, and those stuck holding the most are closed" },
  kafka_connection_unsent_bytes_max: { kind: "int", default: 64 * MiB, min: 64 * 1024, description: "Answer bytes one connection may have waiting for its client to read; past it no more of its requests are read or served" },
  kafka_request_read_timeout_ms: { kind: "int", default: 60_000, min: 10, description: "A request frame must arrive whole this long after its first byte, or the connection is closed (slow senders)" },
  storage_min_free_bytes: { kind: "int", default: -1, min: -1, description: "Produce is refused while the data dir's file system has fewer free bytes (-1: the smaller of 1 GiB and 5% of it; 0: off); reads go on" },
  storage_space_check_interval_ms: { kind: "int", default: 1000, min: 10, description: "How often each shard reads the data dir's free space (statfs)" },
  group_min_session_timeout_ms: { kind: "int", default: 6000, min: 1, description: "Shortest session timeout a group member may ask for" },
  group_max_session_timeout_ms: { kind: "int", default: 300_000, min: 1, description: "Longest session timeout a group member may ask for" },
  group_initial_rebalance_delay: { kind: "int", default: 3000, min: 0, description: "How long a new group's first rebalance waits for more members (ms)" },
  group_offset_retention_sec: { kind: "int", default: 7 * 24 * 3600, min: 1, description: "Committed offsets of an empty group expire after this (offsets.retention.minutes)" },
  group_offset_retention_check_ms: { kind: "int", default: 10 * 60 * 1000, min: 100, description: "How often expired group offsets are looked for" },
  transaction_max_timeout_ms: { kind: "int", default: 900_000, min: 1, description: "Longest transaction.timeout.ms a transactional producer may ask for (Kafka's transaction.max.timeout.ms); longer: INVALID_TRANSACTION_TIMEOUT" },
  transactional_id_expiration_ms: { kind: "int", default: 7 * DAY_MS, min: 1, description: "A transactional id with no transaction open for this long is forgotten (Kafka's transactional.id.expiration.ms)" },
  tx_timeout_delay_ms: { kind: "int", default: 1000, min: 10, description: "How often each shard's transaction coordinator looks for transactions past their timeout (aborted) and idle ids past their expiration" },
  enable_sasl: { kind: "bool", default: false, description: "Kafka clients must log in with SASL (SaslHandshake, SaslAuthenticate) before any request but ApiVersions, on listeners without an authentication_method (SASL_SSL on TLS listeners)" },
  sasl_mechanisms: { kind: "string", default: "SCRAM-SHA-256,SCRAM-SHA-512", listOf: ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"], nonEmpty: true, description: "SASL mechanisms offered when enable_sasl is true (PLAIN checks the password against the user's SCRAM credentials)" },
  kafka_sasl_max_reauth_ms: { kind: "int", default: -1, min: -1, description: "A SASL session lasts this long (KIP-368, connections.max.reauth.ms): the client must log in again on its connection, else its next request closes it (-1 or 0: sessions never end)" },
  superusers: { kind: "string", default: "", listOf: true, description: "Users allowed everything: every change through the admin API when admin_api_require_auth is true, and every Kafka request whatever the ACLs when authorization is on" },
  kafka_enable_authorization: { kind: "string", default: "null", oneOf: ["null", "true", "false"], description: "Kafka requests are checked against the ACLs (no ACL: denied; superusers: allowed). null (as Redpanda): on exactly when enable_sasl is true" },
  kafka_mtls_principal_mapping_rules: { kind: "string", default: "DEFAULT", normalize: principalRules, description: "How a client certificate's subject (RFC 2253, e.g. CN=alice,OU=eng,O=Acme) becomes the user on a listener with authentication_method mtls_identity: Kafka's ssl.principal.mapping.rules, e.g. RULE:^CN=(.*?),OU=(.*?)$/$1/L,DEFAULT (a YAML list or [\"...\", ...] also); a subject no rule matches is refused" },
  admin_api_require_auth: { kind: "bool", default: false, description: "The admin API (and web console) asks for HTTP Basic auth with a SASL user's password; changes need a superuser. GET /v1/status/ready stays open. Bootstrap a first user with SKUA_BOOTSTRAP_USER=name:password" },
  quota_window_num: { kind: "int", default: 11, min: 2, description: "Samples a client quota's rate is measured over (Kafka's quota.window.num); the rate spans at least num - 1 samples" },
  quota_window_size_seconds: { kind: "int", default: 1, min: 1, description: "Length of one client-quota sample (Kafka's quota.window.size.seconds)" },
  max_kafka_throttle_delay_ms: { kind: "int", default: 30_000, min: 0, description: "Longest a throttled client is delayed (throttle_time_ms) for one request" },
  kafka_client_group_byte_rate_quota: { kind: "string", default: "[]", check: parseClientGroupQuotas, description: "Produce byte-rate quotas shared by the clients whose id starts with a prefix: a JSON list of {\"group_name\", \"clients_prefix\", \"quota\"} (bytes/s); below a client-id quota set through AlterClientQuotas, above the default client-id one" },
  kafka_client_group_fetch_byte_rate_quota: { kind: "string", default: "[]", check: parseClientGroupQuotas, description: "Fetch byte-rate quotas by client-id prefix, as kafka_client_group_byte_rate_quota" },
  kafka_connections_max: { kind: "int", default: -1, min: -1, nullIsOff: true, description: "Kafka connections the node accepts at once, over all shards (Kafka's max.connections; -1: no limit); past it a new connection is closed at once" },
  kafka_connections_max_per_ip: { kind: "int", default: -1, min: -1, nullIsOff: true, description: "Kafka connections one client address may hold at once, over all shards (Kafka's max.connections.per.ip; -1: no limit)" },
  kafka_connections_max_overrides: { kind: "string", default: "", listOf: true, check: parseAddressCounts, description: "Per-address limits that replace kafka_connections_max_per_ip: a list of ip:count" },
  kafka_connection_rate_limit: { kind: "int", default: -1, min: -1, nullIsOff: true, description: "New Kafka connections one address may open per second on each shard (Redpanda's per-core limit; -1: no limit); past it a new connection is closed at once" },
  kafka_connection_rate_limit_overrides: { kind: "string", default: "", listOf: true, check: parseAddressCounts, description: "Per-address connection rates that replace kafka_connection_rate_limit: a list of ip:rate" },
} as const satisfies Record<string, PropertyDef>;

export type PropertyName = keyof typeof propertyDefs;
export type ClusterProperties = { -readonly [K in PropertyName]: (typeof propertyDefs)[K]["default"] extends boolean ? boolean : (typeof propertyDefs)[K]["default"] extends number ? number : string };

export function defaultProperties(): ClusterProperties {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(propertyDefs)) out[name] = def.default;
  return out as ClusterProperties;
}

/** Parses and checks one NAME=VALUE. Throws an Error whose message names the property. */
export function setProperty(props: ClusterProperties, name: string, raw: string): void {
  if (!Object.hasOwn(propertyDefs, name)) throw new Error(`unknown cluster property '${name}'`);
  const def: PropertyDef = propertyDefs[name as PropertyName];
  (props as Record<string, unknown>)[name] = parseValue(name, def, raw.trim());
}

function parseValue(name: string, def: PropertyDef, raw: string): boolean | number | string {
  if (def.kind === "bool") {
    if (raw === "true") return true;
    if (raw === "false") return false;
    throw new Error(`cluster property '${name}' must be true or false, got '${raw}'`);
  }
  if (def.kind === "int") {
    if (def.nullIsOff && raw === "null") return -1;
    if (!/^-?\d+$/.test(raw)) throw new Error(`cluster property '${name}' must be an integer, got '${raw}'`);
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || (def.min !== undefined && value < def.min)) {
      throw new Error(`cluster property '${name}' must be an integer >= ${def.min}, got '${raw}'`);
    }
    return value;
  }
  if (def.listOf) return checked(name, def, parseList(name, def, raw));
  if (def.normalize) {
    try {
      return def.normalize(raw);
    } catch (error) {
      throw new Error(`cluster property '${name}': ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (def.oneOf && !def.oneOf.includes(raw)) {
    throw new Error(`cluster property '${name}' must be one of ${def.oneOf.join(", ")}, got '${raw}'`);
  }
  return checked(name, def, raw);
}

function checked(name: string, def: PropertyDef, value: string): string {
  try {
    def.check?.(value);
  } catch (error) {
    throw new Error(`cluster property '${name}': ${(error as Error).message}`);
  }
  return value;
}

function parseList(name: string, def: PropertyDef, raw: string): string {
  const items = raw.replace(/^\[|\]$/g, "").split(",").map((item) => item.trim().replace(/^["']|["']$/g, "")).filter((item) => item !== "");
  const allowed = def.listOf;
  const bad = allowed === true ? undefined : items.find((item) => !allowed!.includes(item));
  if (bad !== undefined) throw new Error(`cluster property '${name}' takes a list of ${(allowed as readonly string[]).join(", ")}, got '${bad}'`);
  if (def.nonEmpty && items.length === 0) throw new Error(`cluster property '${name}' must name at least one item`);
  return [...new Set(items)].join(",");
}

/** Whether Kafka requests are checked against the ACLs: kafka_enable_authorization, or when it is null, enable_sasl (Redpanda's rule). */
export function authorizationEnabled(props: ClusterProperties): boolean {
  return props.kafka_enable_authorization === "null" ? props.enable_sasl : props.kafka_enable_authorization === "true";
}

/** Principal mapping rules, comma-separated or as a `["…", …]` list; stored comma-separated, checked. */
function principalRules(raw: string): string {
  let text = raw;
  if (raw.startsWith("[")) {
    const list: unknown = Bun.YAML.parse(raw);
    if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) throw new Error("a [\"rule\", ...] list must hold strings");
    text = list.join(",");
  }
  parsePrincipalRules(text);
  return text.trim() === "" ? "DEFAULT" : text.trim();
}

function autobalancingMode(value: string): void {
  if (value === "continuous") throw new Error("'continuous' is not supported (it needs node health and disk usage over time); use node_add or off");
  if (value !== "off" && value !== "node_add") throw new Error(`must be off or node_add, got '${value}'`);
}

/** The items of a list property. */
export function listValue(value: string): string[] {
  return value === "" ? [] : value.split(",");
}

/** Config file: one `name: value` (or `name=value`) per line, `#` starts a comment. */
export function parseConfigFile(text: string, props: ClusterProperties): void {
  for (const [index, line] of text.split("\n").entries()) {
    const content = line.replace(/#.*$/, "").trim();
    if (content === "") continue;
    const match = /^([A-Za-z0-9_.]+)\s*[:=]\s*(.*)$/.exec(content);
    if (!match) throw new Error(`config file line ${index + 1}: expected 'name: value'`);
    setProperty(props, match[1], match[2].replace(/^["']|["']$/g, ""));
  }
}

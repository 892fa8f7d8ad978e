/**
 * The broker's named listeners, as Redpanda's node config lays them out: `kafka_api` entries
 * (name, address, port, authentication_method), `advertised_kafka_api` by name,
 * `kafka_api_tls` by name, and the same for `admin` / `admin_api_tls`. The config file gives
 * them; `--kafka-addr`, `--advertise-kafka-addr` and `--admin-addr` (`[name://]host:port,...`)
 * replace the file's lists (flags win), keeping a same-named listener's authentication method.
 */
import { UsageError, type HostPort } from "./usage-error.ts";

export const KAFKA_AUTHENTICATION_METHODS = ["sasl", "mtls_identity", "none"] as const;
/** null: decided by the `enable_sasl` cluster property (sasl when true, else none), as Redpanda does. */
export type KafkaAuthenticationMethod = (typeof KAFKA_AUTHENTICATION_METHODS)[number];

/** Listeners per kind; each shard listens on all of them, so each costs a socket per shard. */
export const LISTENERS_MAX = 16;

export interface NamedAddress extends HostPort {
  /** "" for an unnamed listener (entries without a name match it). */
  name: string;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA certificates that client certificates are checked against; null: none (no client certificates). */
  truststoreFile: string | null;
  crlFile: string | null;
  requireClientAuth: boolean;
}

export interface KafkaListenerSpec {
  name: string;
  address: HostPort;
  /** What Metadata, FindCoordinator and DescribeCluster answer on this listener. */
  advertised: HostPort;
  authentication: KafkaAuthenticationMethod;
  tls: TlsFiles | null;
}

export interface AdminListenerSpec {
  name: string;
  address: HostPort;
  tls: TlsFiles | null;
}

/** The listener sections of a config file, as written (before flags are applied). */
export interface ListenerSections {
  kafka: Array<NamedAddress & { authentication: KafkaAuthenticationMethod | null }> | null;
  advertisedKafka: NamedAddress[] | null;
  kafkaTls: Array<{ name: string; tls: TlsFiles | null }>;
  admin: NamedAddress[] | null;
  adminTls: Array<{ name: string; tls: TlsFiles | null }>;
}

export function emptyListenerSections(): ListenerSections {
  return { kafka: null, advertisedKafka: null, kafkaTls: [], admin: null, adminTls: [] };
}

export const DEFAULT_KAFKA_ADDRESS: NamedAddress = { name: "", host: "127.0.0.1", port: 9092 };
export const DEFAULT_ADMIN_ADDRESS: NamedAddress = { name: "", host: "127.0.0.1", port: 9644 };

/** `[name://]host:port[,...]`, Redpanda's form of `--kafka-addr` and friends. */
export function parseNamedAddresses(flag: string, value: string): NamedAddress[] {
  const items = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  if (items.length === 0) throw new UsageError(`${flag} must list at least one [NAME://]HOST:PORT`);
  if (items.length > LISTENERS_MAX) throw new UsageError(`${flag} may list at most ${LISTENERS_MAX} listeners, got ${items.length}`);
  const addresses = items.map((item) => {
    const named = /^([A-Za-z0-9_.-]*):\/\/(.*)$/.exec(item);
    const address = parseAddress(flag, named ? named[2] : item);
    return { name: named ? named[1] : "", ...address };
  });
  uniqueNames(flag, addresses);
  return addresses;
}

function parseAddress(flag: string, v: string): HostPort {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(v);
  const port = match ? Number(match[2]) : NaN;
  if (!match || match[1] === "" || port > 65535) throw new UsageError(`${flag} must be [NAME://]HOST:PORT, got '${v}'`);
  return { host: match[1], port };
}

function uniqueNames(where: string, entries: Array<{ name: string }>): void {
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (seen.has(name)) throw new UsageError(`${where}: listener name '${name}' appears twice`);
    seen.add(name);
  }
}

export interface ListenerFlags {
  kafkaAddr: NamedAddress[] | null;
  advertiseKafkaAddr: NamedAddress[] | null;
  adminAddr: NamedAddress[] | null;
}

/**
 * The listeners to run: the flags' lists where given, else the file's, else one plaintext
 * listener on each default address. `enableSasl` decides a Kafka listener without an
 * authentication method. `advertise(address)` turns a listen address into what clients are told
 * (a wildcard becomes the host name). Mismatched names and incomplete TLS are UsageErrors.
 */
export function resolveListeners(
  flags: ListenerFlags,
  file: ListenerSections,
  enableSasl: boolean,
  advertise: (address: HostPort) => HostPort,
): { kafka: KafkaListenerSpec[]; admin: AdminListenerSpec[] } {
  const fileKafka = file.kafka ?? [];
  const kafkaAddresses = flags.kafkaAddr
    ? flags.kafkaAddr.map((a) => ({ ...a, authentication: fileKafka.find((f) => f.name === a.name)?.authentication ?? null }))
    : file.kafka ?? [{ ...DEFAULT_KAFKA_ADDRESS, authentication: null }];
  const advertised = flags.advertiseKafkaAddr ?? file.advertisedKafka ?? [];
  const kafkaNames = new Set(kafkaAddresses.map((a) => a.name));
  // One unnamed advertised address with one listener is the old --advertise-kafka-addr HOST:PORT.
  const advertisedFor = (name: string) =>
    advertised.find((a) => a.name === name) ?? (advertised.length === 1 && advertised[0].name === "" && kafkaAddresses.length === 1 ? advertised[0] : undefined);
  // The file's advertised and TLS entries may name a listener of the file that the flags replaced.
  const knownNames = new Set([...kafkaNames, ...fileKafka.map((f) => f.name)]);
  if (!(advertised.length === 1 && advertised[0].name === "" && kafkaAddresses.length === 1)) {
    for (const a of advertised) if (!knownNames.has(a.name)) throw new UsageError(`advertised_kafka_api: no kafka_api listener is named '${a.name}'`);
  }
  const kafkaTls = tlsByName("kafka_api_tls", file.kafkaTls, knownNames);
  const kafka = kafkaAddresses.map((a): KafkaListenerSpec => {
    const authentication = a.authentication ?? (enableSasl ? "sasl" : "none");
    const tls = kafkaTls.get(a.name) ?? null;
    if (authentication === "mtls_identity" && !tls?.requireClientAuth) {
      throw new UsageError(`kafka_api listener '${a.name}': authentication_method mtls_identity needs kafka_api_tls with enabled: true and require_client_auth: true`);
    }
    const shown = advertisedFor(a.name);
    return { name: a.name, address: { host: a.host, port: a.port }, advertised: shown ? { host: shown.host, port: shown.port } : advertise(a), authentication, tls };
  });
  const adminAddresses = flags.adminAddr ?? file.admin ?? [DEFAULT_ADMIN_ADDRESS];
  const adminTls = tlsByName("admin_api_tls", file.adminTls, new Set([...adminAddresses, ...(file.admin ?? [])].map((a) => a.name)));
  const admin = adminAddresses.map((a): AdminListenerSpec => ({ name: a.name, address: { host: a.host, port: a.port }, tls: adminTls.get(a.name) ?? null }));
  return { kafka, admin };
}

function tlsByName(section: string, entries: ListenerSections["kafkaTls"], names: Set<string>): Map<string, TlsFiles> {
  uniqueNames(section, entries);
  const out = new Map<string, TlsFiles>();
  for (const entry of entries) {
    if (!names.has(entry.name)) throw new UsageError(`${section}: no listener is named '${entry.name}'`);
    if (entry.tls) out.set(entry.name, entry.tls);
  }
  return out;
}

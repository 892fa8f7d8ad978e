/** Command-line parsing for `skua`. Pure: returns a command or throws UsageError. */
import { limits } from "../base/limits.ts";
import type { LogFormat } from "../base/log.ts";
import { emptyListenerSections, parseNamedAddresses, type ListenerSections, type NamedAddress } from "./listeners.ts";
import { UsageError, type HostPort } from "./usage-error.ts";

export { UsageError, type HostPort };

export interface StartOptions {
  /** null: not given (the config file's data_directory, else ./skua-data). */
  dataDir: string | null;
  /** Kafka listeners (`[name://]host:port,...`); null: not given (the config file's, else 127.0.0.1:9092). */
  kafkaAddr: NamedAddress[] | null;
  /** Where clients are told to connect (Metadata), per listener name; null: the listen addresses. */
  advertiseKafkaAddr: NamedAddress[] | null;
  /** Admin API listeners; null: not given (the config file's, else 127.0.0.1:9644). */
  adminAddr: NamedAddress[] | null;
  /** The config file's listener sections (redpanda.kafka_api and friends); the flags above win. */
  listenerSections: ListenerSections;
  smp: number | null; // null: one shard per core
  io: "posix" | "uring" | "auto";
  configFile: string | null;
  sets: Array<[name: string, value: string]>;
  logFormat: LogFormat;
  /** First-run mode: topics auto-created (unless set otherwise) and a banner with addresses and example commands. */
  dev: boolean;
  /** This node's id (Redpanda's node_id); null: not given (0 until membership assigns ids). */
  nodeId: number | null;
  /** Where the internal RPC listens (rpc_server); null: not given. */
  rpcAddr: HostPort | null;
  /** Where peers are told to reach this node's RPC (advertised_rpc_api); null: the RPC address. */
  advertiseRpcAddr: HostPort | null;
  /** Nodes to connect to at start (seed_servers); null: not given. */
  seeds: HostPort[] | null;
  /** This node's rack (Redpanda's rack); null: none. */
  rack: string | null;
}

/** Redpanda's default internal RPC port. */
export const DEFAULT_RPC_PORT = 33145;
const NODE_ID_MAX = limits.nodeIdMax;

export type Command = { kind: "help" } | { kind: "version" } | { kind: "start"; options: StartOptions };

export const usage = `skua — a Kafka-API-compatible streaming broker

Usage:
  skua start [options]    run the broker
  skua topic ...          create, list, describe, delete, alter-config, add-partitions, trim-prefix, produce, consume
  skua group ...          list, describe (members, offsets, lag), seek, delete
  skua cluster ...        info, health, config get, config set, partitions
  skua shard ...          list, move, rebalance (which partitions on which core)
  skua acl|user ...       not supported yet
  skua completion bash|zsh  shell completion script
  skua --version          print the version
  skua --help             print this help

Commands other than start talk to a running broker: --brokers HOST:PORT,... (env SKUA_BROKERS,
default 127.0.0.1:9092), --admin-url URL (env SKUA_ADMIN_URL, default http://127.0.0.1:9644),
--profile FILE, --format text|json|yaml. 'skua COMMAND --help' describes each. Exit codes:
0 ok, 1 the operation failed, 2 a usage error.

Options for start:
  --data-dir DIR          where the log and metadata live (default ./skua-data)
  --kafka-addr [NAME://]HOST:PORT,...
                          Kafka API listeners (default 127.0.0.1:9092); replaces the config
                          file's redpanda.kafka_api, keeping a same-named one's authentication
  --advertise-kafka-addr [NAME://]HOST:PORT,...
                          addresses clients are told to connect to, per listener name (default:
                          the listen addresses)
  --admin-addr [NAME://]HOST:PORT,...
                          admin HTTP listeners (default 127.0.0.1:9644)
  --smp N                 number of shards, one Worker each (default: one per core)
  --io posix|uring        storage backend (default: the best available)
  --config FILE           YAML laid out as redpanda.yaml (redpanda: node settings, listeners,
                          TLS) and cluster properties as 'name: value' lines (README: Config file)
  --set NAME=VALUE        a cluster property, e.g. auto_create_topics_enabled=true (repeatable)
  --log-format text|json  log line format on stderr (default text)
  --dev                   first run: auto-create topics (unless set otherwise), print the addresses,
                          the console URL and example commands; durability as usual (fsync)
  --node-id N             this node's id, 0 to 2147483647 (default 0)
  --rpc-addr HOST[:PORT]  internal RPC listener between nodes (port default 33145); without it
                          and without --seeds no RPC listener runs (a node of one, as before)
  --advertise-rpc-addr HOST[:PORT]
                          RPC address peers are told (default: the RPC address)
  --seeds HOST[:PORT],... nodes to connect to at start; joining a cluster through them is not
                          supported yet (the node connects and exchanges hellos only)
  --rack NAME             this node's rack (Metadata, /v1/brokers; with enable_rack_awareness,
                          replicas go to distinct racks and consumers fetch in their rack)
`;

export function parseArgs(argv: string[]): Command {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") return { kind: "help" };
  if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version") return { kind: "version" };
  if (argv[0] !== "start") throw new UsageError(`unknown command '${argv[0]}' (try 'skua --help')`);
  return { kind: "start", options: parseStartOptions(argv.slice(1)) };
}

function parseStartOptions(args: string[]): StartOptions {
  const options: StartOptions = {
    dataDir: null,
    kafkaAddr: null,
    advertiseKafkaAddr: null,
    adminAddr: null,
    listenerSections: emptyListenerSections(),
    smp: null,
    io: "auto",
    configFile: null,
    sets: [],
    logFormat: "text",
    dev: false,
    nodeId: null,
    rpcAddr: null,
    advertiseRpcAddr: null,
    seeds: null,
    rack: null,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inlineValue] = splitFlag(args[i]);
    const value = () => {
      if (inlineValue !== null) return inlineValue;
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    applyFlag(options, flag, value);
  }
  return options;
}

function applyFlag(options: StartOptions, flag: string, value: () => string): void {
  switch (flag) {
    case "--dev": options.dev = true; return;
    case "--data-dir": options.dataDir = nonEmpty(flag, value()); return;
    case "--kafka-addr": options.kafkaAddr = parseNamedAddresses(flag, value()); return;
    case "--advertise-kafka-addr": options.advertiseKafkaAddr = parseNamedAddresses(flag, value()); return;
    case "--admin-addr": options.adminAddr = parseNamedAddresses(flag, value()); return;
    case "--smp": options.smp = parseSmp(value()); return;
    case "--io": options.io = oneOf(flag, value(), ["posix", "uring"] as const); return;
    case "--config": options.configFile = nonEmpty(flag, value()); return;
    case "--log-format": options.logFormat = oneOf(flag, value(), ["text", "json"] as const); return;
    case "--set": options.sets.push(parseSet(value())); return;
    case "--node-id": options.nodeId = parseNodeId(flag, value()); return;
    case "--rpc-addr": options.rpcAddr = parseRpcAddress(flag, value()); return;
    case "--advertise-rpc-addr": options.advertiseRpcAddr = parseRpcAddress(flag, value()); return;
    case "--seeds": options.seeds = parseSeeds(flag, value()); return;
    case "--rack": options.rack = parseRack(flag, value()); return;
    default: throw new UsageError(`unknown option '${flag}' (try 'skua --help')`);
  }
}

function splitFlag(arg: string): [string, string | null] {
  const eq = arg.indexOf("=");
  return arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, null];
}

function nonEmpty(flag: string, v: string): string {
  if (v === "") throw new UsageError(`${flag} must not be empty`);
  return v;
}

function oneOf<const T extends readonly string[]>(flag: string, v: string, allowed: T): T[number] {
  if (!allowed.includes(v)) throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got '${v}'`);
  return v as T[number];
}

export function parseHostPort(flag: string, v: string): HostPort {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(v);
  const port = match ? Number(match[2]) : NaN;
  if (!match || match[1] === "" || port > 65535) throw new UsageError(`${flag} must be HOST:PORT, got '${v}'`);
  return { host: match[1], port };
}

function parseSmp(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > limits.shardsMax) {
    throw new UsageError(`--smp must be an integer from 1 to ${limits.shardsMax}, got '${v}'`);
  }
  return n;
}

function parseSet(v: string): [string, string] {
  const eq = v.indexOf("=");
  if (eq <= 0) throw new UsageError(`--set must be NAME=VALUE, got '${v}'`);
  return [v.slice(0, eq), v.slice(eq + 1)];
}

export function parseNodeId(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > NODE_ID_MAX) throw new UsageError(`${flag} must be an integer from 0 to ${NODE_ID_MAX}, got '${v}'`);
  return n;
}

/** A rack id: what Kafka's broker.rack takes, bounded (it travels in every Metadata answer). */
export function parseRack(flag: string, v: string): string {
  if (v === "" || v.length > limits.rackBytesMax || /[\u0000-\u001f\u007f]/.test(v)) {
    throw new UsageError(`${flag} must be 1 to ${limits.rackBytesMax} characters without control characters, got '${v}'`);
  }
  return v;
}

/** HOST:PORT, or HOST alone for the default RPC port. */
export function parseRpcAddress(flag: string, v: string): HostPort {
  if (/^[^:\[\]]+$/.test(v)) return { host: v, port: DEFAULT_RPC_PORT };
  return parseHostPort(flag, v);
}

export function parseSeeds(flag: string, v: string): HostPort[] {
  const seeds = v.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => parseRpcAddress(flag, s));
  if (seeds.length === 0) throw new UsageError(`${flag} must list at least one HOST[:PORT]`);
  if (seeds.length > limits.seedServersMax) throw new UsageError(`${flag} may list at most ${limits.seedServersMax} nodes, got ${seeds.length}`);
  return seeds;
}

/** The node settings a config file may hold (Redpanda's node config names), flat as `name: value` lines. */
const NODE_CONFIG_KEYS = {
  node_id: "--node-id",
  rpc_server: "--rpc-addr",
  advertised_rpc_api: "--advertise-rpc-addr",
  seed_servers: "--seeds",
  rack: "--rack",
} as const;

/**
 * Takes the node settings out of a config file's text: they fill what the command line left
 * unset (flags win). Returns the remaining lines, which are cluster properties. A bad value is a
 * UsageError naming the setting and its line.
 */
export function applyNodeConfig(options: StartOptions, text: string): string {
  const rest: string[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    const match = /^\s*([A-Za-z0-9_.]+)\s*[:=]\s*(.*?)\s*(#.*)?$/.exec(line);
    const key = match?.[1] as keyof typeof NODE_CONFIG_KEYS | undefined;
    if (!match || key === undefined || !(key in NODE_CONFIG_KEYS)) {
      rest.push(line);
      continue;
    }
    const value = match[2].replace(/^["']|["']$/g, "");
    const where = `config file line ${index + 1}: ${key}`;
    if (key === "node_id") options.nodeId ??= parseNodeId(where, value);
    if (key === "rpc_server") options.rpcAddr ??= parseRpcAddress(where, value);
    if (key === "advertised_rpc_api") options.advertiseRpcAddr ??= parseRpcAddress(where, value);
    if (key === "seed_servers") options.seeds ??= parseSeeds(where, value);
    if (key === "rack") options.rack ??= parseRack(where, value);
    rest.push(""); // keeps line numbers of later errors right
  }
  return rest.join("\n");
}

export interface RpcSettings {
  listen: HostPort;
  /** null: the listen address (a wildcard one is replaced by the host name where it is used). */
  advertised: HostPort | null;
  seeds: HostPort[];
}

/** The RPC listener runs only when asked for (an RPC address or seeds), so a node of one is as before. */
export function rpcSettings(options: StartOptions): RpcSettings | null {
  if (options.rpcAddr === null && options.seeds === null && options.advertiseRpcAddr === null) return null;
  return {
    listen: options.rpcAddr ?? { host: "127.0.0.1", port: DEFAULT_RPC_PORT },
    advertised: options.advertiseRpcAddr,
    seeds: options.seeds ?? [],
  };
}

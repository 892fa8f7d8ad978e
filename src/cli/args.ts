/** Command-line parsing for `skua`. Pure: returns a command or throws UsageError. */
import { limits } from "../base/limits.ts";
import type { LogFormat } from "../base/log.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface HostPort {
  host: string;
  port: number;
}

export interface StartOptions {
  dataDir: string;
  kafkaAddr: HostPort;
  /** Where clients are told to connect (Metadata); null: the Kafka address. */
  advertiseKafkaAddr: HostPort | null;
  adminAddr: HostPort;
  smp: number | null; // null: one shard per core
  io: "posix" | "uring" | "auto";
  configFile: string | null;
  sets: Array<[name: string, value: string]>;
  logFormat: LogFormat;
  /** First-run mode: topics auto-created (unless set otherwise) and a banner with addresses and example commands. */
  dev: boolean;
}

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
  --kafka-addr HOST:PORT  Kafka API listener (default 127.0.0.1:9092)
  --advertise-kafka-addr HOST:PORT
                          address clients are told to connect to (default: the Kafka address)
  --admin-addr HOST:PORT  admin HTTP listener (default 127.0.0.1:9644)
  --smp N                 number of shards, one Worker each (default: one per core)
  --io posix|uring        storage backend (default: the best available)
  --config FILE           cluster properties, one 'name: value' per line
  --set NAME=VALUE        a cluster property, e.g. auto_create_topics_enabled=true (repeatable)
  --log-format text|json  log line format on stderr (default text)
  --dev                   first run: auto-create topics (unless set otherwise), print the addresses,
                          the console URL and example commands; durability as usual (fsync)
`;

export function parseArgs(argv: string[]): Command {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") return { kind: "help" };
  if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version") return { kind: "version" };
  if (argv[0] !== "start") throw new UsageError(`unknown command '${argv[0]}' (try 'skua --help')`);
  return { kind: "start", options: parseStartOptions(argv.slice(1)) };
}

function parseStartOptions(args: string[]): StartOptions {
  const options: StartOptions = {
    dataDir: "./skua-data",
    kafkaAddr: { host: "127.0.0.1", port: 9092 },
    advertiseKafkaAddr: null,
    adminAddr: { host: "127.0.0.1", port: 9644 },
    smp: null,
    io: "auto",
    configFile: null,
    sets: [],
    logFormat: "text",
    dev: false,
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
    case "--kafka-addr": options.kafkaAddr = parseHostPort(flag, value()); return;
    case "--advertise-kafka-addr": options.advertiseKafkaAddr = parseHostPort(flag, value()); return;
    case "--admin-addr": options.adminAddr = parseHostPort(flag, value()); return;
    case "--smp": options.smp = parseSmp(value()); return;
    case "--io": options.io = oneOf(flag, value(), ["posix", "uring"] as const); return;
    case "--config": options.configFile = nonEmpty(flag, value()); return;
    case "--log-format": options.logFormat = oneOf(flag, value(), ["text", "json"] as const); return;
    case "--set": options.sets.push(parseSet(value())); return;
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

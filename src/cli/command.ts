/**
 * The shape of a `skua` subcommand and the parsing of its flags: each command declares its
 * flags once (long name, short letter, value name, help), and the same declaration drives
 * parsing, `--help` and shell completion. Errors are UsageError (exit code 2).
 */
import { UsageError } from "./args.ts";

export interface FlagSpec {
  long: string;
  short?: string;
  /** Name of the value in the help (e.g. "N"); absent for a boolean flag. */
  value?: string;
  repeatable?: boolean;
  help: string;
}

export interface Parsed {
  args: string[];
  values: Map<string, string[]>;
}

export interface CommandSpec<Context = unknown> {
  /** e.g. ["topic", "create"] */
  path: string[];
  summary: string;
  /** Positional arguments as shown in the usage line, e.g. "TOPIC..." */
  args: string;
  argsMin: number;
  argsMax: number;
  flags: FlagSpec[];
  /** Extra help text after the flags. */
  notes?: string;
  run: (context: Context) => Promise<number>;
}

/** Flags every subcommand takes. */
export const globalFlags: FlagSpec[] = [
  { long: "brokers", value: "HOST:PORT,...", help: "Kafka API addresses (env SKUA_BROKERS; default 127.0.0.1:9092)" },
  { long: "admin-url", value: "URL", help: "admin API address (env SKUA_ADMIN_URL; default http://127.0.0.1:9644)" },
  { long: "user", value: "NAME", help: "SASL user: HTTP Basic auth on the admin API (admin_api_require_auth), and with --sasl-mechanism the Kafka login (env SKUA_USER)" },
  { long: "password", value: "PASSWORD", help: "that user's password (env SKUA_PASSWORD)" },
  { long: "sasl-mechanism", value: "SCRAM-SHA-256|SCRAM-SHA-512|PLAIN", help: "log Kafka connections in as --user with this SASL mechanism (env SKUA_SASL_MECHANISM; default: no Kafka login)" },
  { long: "profile", value: "FILE", help: "rpk-style profile (default $SKUA_PROFILE or ~/.config/skua/profile.yaml if present)" },
  { long: "format", value: "text|json|yaml", help: "output format (default text)" },
  { long: "help", short: "h", help: "print this help" },
];

export function parseFlags(spec: CommandSpec<any>, argv: string[]): Parsed {
  const flags = [...spec.flags, ...globalFlags];
  const parsed: Parsed = { args: [], values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      parsed.args.push(...argv.slice(i + 1));
      break;
    }
    const found = arg.startsWith("-") && arg !== "-" && !/^-\d/.test(arg) ? lookup(flags, arg, spec) : null;
    if (found === null) {
      parsed.args.push(arg);
      continue;
    }
    const { flag, inline } = found;
    let value = "true";
    if (flag.value !== undefined) {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value (${flag.value})`);
      value = next;
    } else if (inline !== null) {
      throw new UsageError(`--${flag.long} takes no value`);
    }
    const seen = parsed.values.get(flag.long) ?? [];
    if (seen.length > 0 && !flag.repeatable) throw new UsageError(`--${flag.long} given twice`);
    parsed.values.set(flag.long, [...seen, value]);
  }
  if (parsed.values.has("help")) return parsed;
  const name = spec.path.join(" ");
  if (parsed.args.length < spec.argsMin) throw new UsageError(`'skua ${name}' needs ${spec.args} (try 'skua ${name} --help')`);
  if (parsed.args.length > spec.argsMax) throw new UsageError(`'skua ${name}' takes ${spec.argsMax === 0 ? "no arguments" : spec.args}, got '${parsed.args.slice(spec.argsMax).join(" ")}'`);
  return parsed;
}

function lookup(flags: FlagSpec[], arg: string, spec: CommandSpec<any>): { flag: FlagSpec; inline: string | null } {
  const long = arg.startsWith("--");
  const eq = arg.indexOf("=");
  const name = long ? arg.slice(2, eq > 0 ? eq : undefined) : arg.slice(1, 2);
  // Short flags take their value attached (-p3) or as the next word.
  const inline = long ? (eq > 0 ? arg.slice(eq + 1) : null) : arg.length > 2 ? arg.slice(2).replace(/^=/, "") : null;
  const flag = flags.find((f) => (long ? f.long === name : f.short === name));
  if (flag === undefined) throw new UsageError(`unknown flag '${arg}' for 'skua ${spec.path.join(" ")}' (try --help)`);
  return { flag, inline };
}

/** The help of one command: usage, flags, global flags, notes. */
export function commandHelp(spec: CommandSpec<any>): string {
  const usage = `skua ${spec.path.join(" ")}${spec.flags.length > 0 ? " [flags]" : ""}${spec.args ? ` ${spec.args}` : ""}`;
  const globals = globalFlags.filter((g) => !spec.flags.some((f) => f.long === g.long));
  const section = (title: string, flags: FlagSpec[]) => (flags.length === 0 ? "" : `\n${title}:\n${flagLines(flags)}`);
  return `${spec.summary}\n\nUsage:\n  ${usage}\n${section("Flags", spec.flags)}${section("Global flags", globals)}${spec.notes ? `\n${spec.notes.trimEnd()}\n` : ""}`;
}

function flagLines(flags: FlagSpec[]): string {
  const left = flags.map((f) => `${f.short ? `-${f.short}, ` : "    "}--${f.long}${f.value ? ` ${f.value}` : ""}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return flags.map((f, i) => `  ${left[i]!.padEnd(width)}${f.help}${f.repeatable ? " (repeatable)" : ""}\n`).join("");
}

// ---- typed readers of parsed flags ---------------------------------------------------

/** `-f/--format` of produce and consume: a record format string, unless it names an output format (text, json, yaml). */
export function recordFormat(p: Parsed): string | null {
  const v = flagString(p, "format");
  return v === null || OUTPUT_FORMATS.includes(v) ? null : v;
}

export const OUTPUT_FORMATS = ["text", "json", "yaml"];

export function flagString(p: Parsed, long: string): string | null {
  return p.values.get(long)?.[0] ?? null;
}

export function flagList(p: Parsed, long: string): string[] {
  return p.values.get(long) ?? [];
}

export function flagBool(p: Parsed, long: string): boolean {
  return p.values.has(long);
}

/** An integer flag within [min, max], or `fallback` when absent. */
export function flagInt(p: Parsed, long: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = flagString(p, long);
  if (v === null) return fallback;
  return parseIntArg(`--${long}`, v, min, max);
}

export function parseIntArg(what: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min || n > max) throw new UsageError(`${what} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, got '${v}'`);
  return n;
}

/** `k=v` pairs (e.g. `-c retention.ms=1000`), or `k:v` with `separator` ':'. */
export function flagPairs(p: Parsed, long: string, separator = "="): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of flagList(p, long)) {
    const at = pair.indexOf(separator);
    if (at <= 0) throw new UsageError(`--${long} must be KEY${separator}VALUE, got '${pair}'`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** A comma-separated list of partition numbers, repeatable (`-p 0,1 -p 2`). */
export function flagPartitions(p: Parsed, long: string): number[] | null {
  const list = flagList(p, long);
  if (list.length === 0) return null;
  return list.flatMap((v) => v.split(",")).filter((v) => v !== "").map((v) => parseIntArg(`--${long}`, v, 0, 0x7fffffff));
}

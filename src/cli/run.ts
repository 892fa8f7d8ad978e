/**
 * Runs a `skua` subcommand (everything but `start`): finds the command in the table,
 * parses its flags, resolves where to connect, runs it, and maps the outcome to an exit
 * code: 0 ok, 1 the operation failed (a Kafka error code, an unreachable broker), 2 a
 * usage error. Errors are one line on stderr.
 */
import { AdminHttpError } from "../client/admin-http.ts";
import { KafkaError, TransportError } from "../client/errors.ts";
import { RecordDecodeError } from "../client/records.ts";
import { UsageError } from "./args.ts";
import { commandHelp, flagBool, flagString, OUTPUT_FORMATS, parseFlags } from "./command.ts";
import { commands, groupSummaries } from "./commands/index.ts";
import { Context, Exit, type Command } from "./context.ts";
import { makeOutput } from "./output.ts";
import { resolveSettings } from "./settings.ts";

/** The first words of every subcommand: `main.ts` hands argv to `runCli` when it starts with one of these. */
export const cliCommandNames = new Set(commands.map((c) => c.path[0]!));

export async function runCli(argv: string[]): Promise<number> {
  let context: Context | null = null;
  try {
    const found = findCommand(argv);
    if (found.kind === "group") return printGroupHelp(found.path, found.unknown);
    const parsed = parseFlags(found.command, argv.slice(found.command.path.length));
    if (flagBool(parsed, "help")) {
      process.stdout.write(commandHelp(found.command));
      return Exit.ok;
    }
    const ownsFormat = found.command.flags.some((f) => f.long === "format");
    const format = flagString(parsed, "format");
    const settings = resolveSettings({
      brokers: flagString(parsed, "brokers"), adminUrl: flagString(parsed, "admin-url"), profile: flagString(parsed, "profile"),
      user: flagString(parsed, "user"), password: flagString(parsed, "password"), saslMechanism: flagString(parsed, "sasl-mechanism"),
      format: ownsFormat && format !== null && !OUTPUT_FORMATS.includes(format) ? null : format,
    });
    context = new Context(found.command, parsed, settings, makeOutput(settings.format));
    return await found.command.run(context);
  } catch (error) {
    return reportError(error);
  } finally {
    context?.close();
  }
}

type Found = { kind: "command"; command: Command } | { kind: "group"; path: string[]; unknown: string | null };

/** The longest command path that argv starts with; a bare group (`skua topic`) gets its help. */
function findCommand(argv: string[]): Found {
  const exact = commands.filter((c) => c.path.every((word, i) => argv[i] === word)).sort((a, b) => b.path.length - a.path.length)[0];
  if (exact !== undefined) return { kind: "command", command: exact };
  let depth = 0;
  while (commands.some((c) => c.path.length > depth + 1 && c.path.slice(0, depth + 1).every((w, i) => argv[i] === w))) depth++;
  const path = argv.slice(0, depth);
  const next = argv[depth];
  const unknown = next === undefined || next === "--help" || next === "-h" || next === "help" ? null : next;
  return { kind: "group", path, unknown };
}

function printGroupHelp(path: string[], unknown: string | null): number {
  const name = path.join(" ");
  if (unknown !== null) throw new UsageError(`unknown command '${unknown}' for 'skua ${name}' (try 'skua ${name} --help')`);
  const children = commands.filter((c) => path.every((w, i) => c.path[i] === w));
  const subcommands = new Map<string, string>();
  for (const c of children) {
    const word = c.path[path.length]!;
    const sub = [...path, word].join(" ");
    subcommands.set(word, c.path.length === path.length + 1 ? c.summary : (groupSummaries[sub] ?? ""));
  }
  const width = Math.max(...[...subcommands.keys()].map((w) => w.length)) + 2;
  const lines = [...subcommands].map(([w, s]) => `  ${w.padEnd(width)}${s}`).join("\n");
  process.stdout.write(`${groupSummaries[name] ?? ""}\n\nUsage:\n  skua ${name} COMMAND [flags]\n\nCommands:\n${lines}\n\nRun 'skua ${name} COMMAND --help' for a command's flags.\n`);
  return Exit.ok;
}

function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`skua: ${error.message}\n`);
    return Exit.usage;
  }
  if (error instanceof KafkaError || error instanceof TransportError || error instanceof AdminHttpError || error instanceof RecordDecodeError) {
    process.stderr.write(`skua: ${error.message}\n`);
    return Exit.failed;
  }
  throw error;
}

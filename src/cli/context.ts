/** What a running subcommand gets: its parsed flags, where to connect, where to print, and lazily opened clients. */
import { AdminHttp } from "../client/admin-http.ts";
import { KafkaClient } from "../client/client.ts";
import type { CommandSpec, Parsed } from "./command.ts";
import type { Output } from "./output.ts";
import type { Settings } from "./settings.ts";

export class Context {
  private kafkaClient: KafkaClient | null = null;

  constructor(
    readonly spec: CommandSpec<Context>,
    readonly parsed: Parsed,
    readonly settings: Settings,
    readonly out: Output,
  ) {}

  get args(): string[] {
    return this.parsed.args;
  }

  kafka(): KafkaClient {
    return (this.kafkaClient ??= new KafkaClient(this.settings.brokers, undefined, this.settings.kafkaLogin));
  }

  admin(): AdminHttp {
    return new AdminHttp(this.settings.adminUrl, this.settings.adminLogin);
  }

  /** A line on stderr (progress, notes): never mixed into the output scripts read. */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  close(): void {
    this.kafkaClient?.close();
  }
}

export type Command = CommandSpec<Context>;

/** Exit codes scripts can rely on. */
export const Exit = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * A long-running kcat balanced consumer (`kcat -G group topic`, librdkafka's KafkaConsumer):
 * its stdout lines and its latest partition assignment (from the rebalance lines kcat writes
 * to stderr) are collected as they arrive. stop() sends SIGTERM, which makes kcat close the
 * consumer (committing its offsets and leaving the group) and waits for it to exit.
 */
import type { Subprocess } from "bun";
import { KCAT } from "./kcat.ts";
import { linesOf } from "./lines.ts";

const STOP_TIMEOUT_MS = 15_000;

export interface GroupConsumedLine {
  partition: number;
  offset: number;
  value: string;
}

export class KcatGroupConsumer implements AsyncDisposable {
  readonly lines: GroupConsumedLine[] = [];
  /** Partitions of the latest assignment; null before the first. */
  assignment: number[] | null = null;
  stderr = "";
  private readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  private readonly done: Promise<void>;

  constructor(brokers: string[], group: string, topic: string, extra: string[] = []) {
    this.proc = Bun.spawn(
      [KCAT, "-b", brokers.join(","), "-G", group, topic, "-u", "-f", "%p\t%o\t%s\n",
        "-X", "auto.offset.reset=earliest", "-X", "heartbeat.interval.ms=300", "-X", "auto.commit.interval.ms=100", ...extra],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    this.done = Promise.all([this.readStdout(), this.readStderr()]).then(() => undefined);
  }

  private async readStdout(): Promise<void> {
    for await (const line of linesOf(this.proc.stdout)) {
      if (line === "") continue;
      const [partition, offset, value] = line.split("\t");
      this.lines.push({ partition: Number(partition), offset: Number(offset), value });
    }
  }

  private async readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    let pending = ""; // a line can arrive split across chunks
    for await (const chunk of this.proc.stderr) {
      const text = decoder.decode(chunk, { stream: true });
      this.stderr += text;
      const complete = (pending + text).split("\n");
      pending = complete.pop()!;
      for (const line of complete) {
        if (/rebalanced.*assigned:/.test(line)) this.assignment = [...line.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
        else if (/rebalanced.*revoked:/.test(line)) this.assignment = [];
      }
    }
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** SIGKILL: no LeaveGroup, no commit; the group notices only when the session times out. */
  async kill9(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.proc.exited;
    await this.done;
  }

  async stop(): Promise<void> {
    if (!this.exited) this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
    try {
      await this.proc.exited;
      await this.done;
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

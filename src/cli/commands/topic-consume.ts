/**
 * `skua topic consume TOPIC`: reads records from where `-o` says (or, with `-g`, from the
 * group's committed offsets), prints each with the format asked for, and stops after `-n`
 * records, at the end offsets with `-o …:end`, or on Ctrl-C. With `-g` it joins the group
 * as a classic consumer (range assignment), commits after every batch it prints and leaves
 * when done.
 */
import { UsageError } from "../args.ts";
import { flagInt, flagPartitions, flagString, recordFormat } from "../command.ts";
import { Exit, type Command, type Context } from "../context.ts";
import { toYaml } from "../output.ts";
import { parseFormat, recordJson, renderRecord, type Token } from "../format-string.ts";
import type { KafkaClient } from "../../client/client.ts";
import { Fetcher } from "../../client/fetcher.ts";
import { GroupMember } from "../../client/group-member.ts";
import { committedOffsets } from "../../client/groups.ts";
import { LATEST, listOffsets, watermarks } from "../../client/offsets.ts";
import type { ConsumedRecord } from "../../client/records.ts";

const POLL_WAIT_MS = 500;

export type OffsetSpec =
  | { kind: "start" } | { kind: "end" } | { kind: "exact"; offset: number }
  | { kind: "fromStart"; count: number } | { kind: "fromEnd"; count: number } | { kind: "time"; timestampMs: number };

/** rpk's -o: start, end, +N (N after the start), -N (N before the end), @TIMESTAMP (ms or a date), OFFSET; a ':end' suffix stops at today's end. */
export function parseOffsetSpec(v: string): { from: OffsetSpec; stopAtEnd: boolean } {
  const stopAtEnd = v.endsWith(":end");
  const from = stopAtEnd ? v.slice(0, -4) : v;
  if (from === "start" || from === "oldest" || from === "") return { from: { kind: "start" }, stopAtEnd };
  if (from === "end" || from === "newest") return { from: { kind: "end" }, stopAtEnd };
  if (/^\+\d+$/.test(from)) return { from: { kind: "fromStart", count: Number(from.slice(1)) }, stopAtEnd };
  if (/^-\d+$/.test(from)) return { from: { kind: "fromEnd", count: Number(from.slice(1)) }, stopAtEnd };
  if (/^\d+$/.test(from)) return { from: { kind: "exact", offset: Number(from) }, stopAtEnd };
  if (from.startsWith("@")) {
    const t = from.slice(1);
    const timestampMs = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
    if (Number.isFinite(timestampMs)) return { from: { kind: "time", timestampMs }, stopAtEnd };
  }
  throw new UsageError(`--offset must be start, end, +N, -N, @TIMESTAMP or an offset (optionally ending in :end), got '${v}'`);
}

/** Where each partition starts reading for `spec`, clamped to the partition's offsets. */
async function resolveOffsets(client: KafkaClient, topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, number>> {
  const marks = await watermarks(client, topic, partitions);
  const atTime = spec.kind === "time" ? await listOffsets(client, topic, partitions, spec.timestampMs) : null;
  const out = new Map<number, number>();
  for (const p of partitions) {
    const { logStartOffset: low, highWatermark: high } = marks.get(p)!;
    const wanted =
      spec.kind === "start" ? low
      : spec.kind === "end" ? high
      : spec.kind === "exact" ? spec.offset
      : spec.kind === "fromStart" ? low + spec.count
      : spec.kind === "fromEnd" ? high - spec.count
      : atTime!.get(p)! < 0 ? high : atTime!.get(p)!;
    out.set(p, Math.min(Math.max(wanted, low), high));
  }
  return out;
}

class RecordPrinter {
  private readonly tokens: Token[] | null;
  constructor(private readonly context: Context, readonly topic: string) {
    const format = recordFormat(context.parsed);
    this.tokens = format === null ? null : parseFormat(format);
  }

  print(record: ConsumedRecord, highWatermark: number): void {
    if (this.tokens !== null) return void process.stdout.write(renderRecord(this.tokens, record, { topic: this.topic, highWatermark }));
    const json = recordJson(this.topic, record);
    const format = this.context.settings.format;
    if (format === "json") process.stdout.write(`${JSON.stringify(json)}\n`);
    else if (format === "yaml") process.stdout.write(`---\n${toYaml(json)}\n`);
    else process.stdout.write(`${JSON.stringify(json, null, 2)}\n`); // rpk's default: one indented JSON object per record
  }
}

export const consume: Command = {
  path: ["topic", "consume"], summary: "Consume records and print them.", args: "TOPIC", argsMin: 1, argsMax: 1,
  flags: [
    { long: "offset", short: "o", value: "OFFSET", help: "start|end|+N|-N|@TIMESTAMP|OFFSET, optionally ending in :end to stop there (default start)" },
    { long: "num", short: "n", value: "N", help: "stop after N records" },
    { long: "group", short: "g", value: "GROUP", help: "consume as a member of GROUP, from its committed offsets, committing as it goes" },
    { long: "partitions", short: "p", value: "P,...", repeatable: true, help: "partitions to read (without -g; default all)" },
    { long: "format", short: "f", value: "FORMAT", help: "record format, e.g. '%k %v\\n'; json for one JSON object per line (default: rpk's indented JSON)" },
  ],
  notes: `Format verbs: %t topic, %T topic length, %k key, %K key length, %v value, %V value length,
  %h{%k=%v } headers, %H header count, %p partition, %o offset, %e leader epoch, %d timestamp (ms),
  %x producer id, %y producer epoch, %a attributes, %] high watermark, %% literal %;
  %k{hex} %v{base64} etc. print bytes encoded; escapes \\n \\t \\r \\\\ \\xNN.
`,
  async run(context) {
    const topic = context.args[0]!;
    const { from, stopAtEnd } = parseOffsetSpec(flagString(context.parsed, "offset") ?? "start");
    const limit = flagString(context.parsed, "num") === null ? Infinity : flagInt(context.parsed, "num", 0, 1);
    const group = flagString(context.parsed, "group");
    if (group !== null && flagPartitions(context.parsed, "partitions") !== null) throw new UsageError("-p and -g cannot be used together: the group assigns partitions");
    const printer = new RecordPrinter(context, topic);
    const session = new ConsumeSession(context.kafka(), topic, from, stopAtEnd, limit, printer);
    const stop = () => session.stop();
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    try {
      if (group === null) await session.runPlain(flagPartitions(context.parsed, "partitions"));
      else await session.runInGroup(new GroupMember(context.kafka(), group, topic));
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    return Exit.ok;
  },
};

class ConsumeSession {
  private printed = 0;
  private stopping = false;
  private endOffsets: Map<number, number> | null = null;

  constructor(
    private readonly client: KafkaClient,
    private readonly topic: string,
    private readonly from: OffsetSpec,
    private readonly stopAtEnd: boolean,
    private readonly limit: number,
    private readonly printer: RecordPrinter,
  ) {}

  stop(): void {
    this.stopping = true;
  }

  async runPlain(only: number[] | null): Promise<void> {
    const all = (await this.client.topic(this.topic)).partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
    const partitions = only ?? all;
    for (const p of partitions) if (!all.includes(p)) throw new UsageError(`topic '${this.topic}' has no partition ${p} (it has ${all.length})`);
    const fetcher = new Fetcher(this.client, this.topic, await resolveOffsets(this.client, this.topic, partitions, this.from));
    await this.fetchLoop(fetcher, async () => true);
  }

  async runInGroup(member: GroupMember): Promise<void> {
    try {
      while (!this.done()) {
        const assigned = await member.join();
        if (assigned.length === 0) {
          await this.idleUntilRebalance(member); // more members than partitions: wait for a turn
          continue;
        }
        const fetcher = new Fetcher(this.client, this.topic, await this.groupPositions(member, assigned));
        await this.fetchLoop(fetcher, async () => {
          await member.commit([...fetcher.positions].map(([partition, offset]) => ({ topic: this.topic, partition, offset })));
          return !member.rebalanceNeeded;
        });
      }
    } finally {
      await member.leave();
    }
  }

  private async idleUntilRebalance(member: GroupMember): Promise<void> {
    while (!this.stopping && !member.rebalanceNeeded) await Bun.sleep(POLL_WAIT_MS); // the heartbeat timer sets the flag
  }

  /** Committed offsets where the group has them, the -o position elsewhere. */
  private async groupPositions(member: GroupMember, partitions: number[]): Promise<Map<number, number>> {
    const committed = await committedOffsets(this.client, member.group, [this.topic]);
    const fallback = await resolveOffsets(this.client, this.topic, partitions, this.from);
    const out = new Map<number, number>();
    for (const p of partitions) {
      const c = committed.find((o) => o.partition === p)?.offset ?? -1;
      out.set(p, c >= 0 ? c : fallback.get(p)!);
    }
    return out;
  }

  private done(): boolean {
    return this.stopping || this.printed >= this.limit || (this.endOffsets !== null && this.endOffsets.size === 0);
  }

  /** Polls and prints until done; `afterRound` commits (groups) and says whether to go on with this assignment. */
  private async fetchLoop(fetcher: Fetcher, afterRound: () => Promise<boolean>): Promise<void> {
    if (this.stopAtEnd && this.endOffsets === null) this.endOffsets = await listOffsets(this.client, this.topic, fetcher.active(), LATEST);
    this.dropFinished(fetcher);
    while (!this.done() && fetcher.active().length > 0) {
      const before = new Map(fetcher.positions);
      const round = await fetcher.poll(POLL_WAIT_MS);
      const skipped = new Set<number>();
      for (const record of round.records) {
        const end = this.endOffsets?.get(record.partition);
        if (this.printed >= this.limit || (this.endOffsets !== null && (end === undefined || record.offset >= end))) {
          skipped.add(record.partition);
          continue;
        }
        this.printer.print(record, round.highWatermarks.get(record.partition) ?? -1);
        this.printed++;
        before.set(record.partition, record.offset + 1);
      }
      // A partition whose records were not all printed resumes (and commits) after the last one printed.
      for (const p of skipped) fetcher.positions.set(p, before.get(p)!);
      this.dropFinished(fetcher);
      if (!(await afterRound())) return;
    }
    if (this.done()) await afterRound();
  }

  private dropFinished(fetcher: Fetcher): void {
    if (this.endOffsets === null) return;
    for (const p of fetcher.active()) {
      if (fetcher.positions.get(p)! >= (this.endOffsets.get(p) ?? 0)) {
        this.endOffsets.delete(p);
        fetcher.drop(p);
      }
    }
  }
}

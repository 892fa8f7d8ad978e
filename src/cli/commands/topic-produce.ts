/**
 * `skua topic produce TOPIC`: records from stdin (or --file), cut by a format (default
 * one record per line, rpk's '%v\n'), batched per partition and produced with the acks and
 * compression asked for. Prints each record's partition and offset as rpk does, or, for a
 * file or with --progress, a progress bar on stderr and one summary at the end.
 */
import { createReadStream, statSync } from "node:fs";
import { UsageError } from "../args.ts";
import { flagBool, flagInt, flagPairs, flagString, recordFormat } from "../command.ts";
import { Exit, type Command, type Context } from "../context.ts";
import { InputFormat, type ParsedInput } from "../format-string.ts";
import { Progress } from "../progress.ts";
import { Producer, type Produced } from "../../client/producer.ts";
import { Compression, type CompressionName, type Header } from "../../client/records.ts";

const utf8 = new TextEncoder();

export const produce: Command = {
  path: ["topic", "produce"], summary: "Produce records from stdin (one per line by default).", args: "TOPIC", argsMin: 1, argsMax: 1,
  flags: [
    { long: "key", short: "k", value: "KEY", help: "key of every record" },
    { long: "partition", short: "p", value: "N", help: "produce to this partition (default: by key hash, round-robin without a key)" },
    { long: "format", short: "f", value: "FORMAT", help: "how input is cut into records, e.g. '%k %v\\n' (default '%v\\n'; verbs %k %v %p); text, json or yaml pick the output format instead" },
    { long: "header", short: "H", value: "KEY:VALUE", repeatable: true, help: "header on every record" },
    { long: "acks", value: "-1|0|1", help: "-1 all (default), 1 leader, 0 none (no offsets reported)" },
    { long: "compression", short: "z", value: "none|gzip|snappy|lz4|zstd", help: "batch compression (default none)" },
    { long: "file", value: "FILE", help: "read records from FILE instead of stdin (shows a progress bar)" },
    { long: "progress", help: "show a progress bar on stderr and print a summary instead of every record" },
  ],
  async run(context) {
    const topic = context.args[0]!;
    const settings = produceSettings(context);
    const producer = new Producer(context.kafka(), { topic, acks: settings.acks, compression: settings.compression, partition: settings.partition });
    await producer.open();
    const file = flagString(context.parsed, "file");
    const summaryOnly = file !== null || flagBool(context.parsed, "progress");
    const progress = summaryOnly ? new Progress(file === null ? null : statSync(file).size) : null;
    const totals = { records: 0, bytes: 0, perPartition: new Map<number, number>() };
    const report = (produced: Produced[]) => {
      for (const r of produced) {
        totals.perPartition.set(r.partition, (totals.perPartition.get(r.partition) ?? 0) + 1);
        if (!summaryOnly) printProduced(context, topic, r);
      }
    };
    const startMs = Date.now();
    for await (const chunk of cutRecords(file === null ? process.stdin : createReadStream(file), settings.input, (bytes) => (totals.bytes = bytes))) {
      if (chunk === END_OF_CHUNK) {
        report(await producer.flush()); // what was read so far goes out now, so lines typed at a terminal are sent as they come
        continue;
      }
      report(await producer.add({ key: chunk.key === null ? settings.key : utf8.encode(chunk.key), value: utf8.encode(chunk.value), headers: settings.headers }, chunk.partition));
      totals.records++;
      progress?.update(totals.bytes, totals.records);
    }
    report(await producer.flush());
    progress?.finish(totals.bytes, totals.records);
    if (summaryOnly) printSummary(context, topic, totals, Date.now() - startMs);
    return Exit.ok;
  },
};

interface ProduceSettings {
  key: Uint8Array | null;
  partition: number | null;
  headers: Header[];
  acks: -1 | 0 | 1;
  compression: CompressionName;
  input: InputFormat;
}

function produceSettings(context: Context): ProduceSettings {
  const p = context.parsed;
  const compression = flagString(p, "compression") ?? "none";
  if (!(compression in Compression)) throw new UsageError(`--compression must be one of ${Object.keys(Compression).join(", ")}, got '${compression}'`);
  const key = flagString(p, "key");
  return {
    key: key === null ? null : utf8.encode(key),
    partition: flagString(p, "partition") === null ? null : flagInt(p, "partition", 0, 0, 0x7fffffff),
    headers: Object.entries(flagPairs(p, "header", ":")).map(([k, v]) => ({ key: k, value: utf8.encode(v) })),
    acks: flagInt(p, "acks", -1, -1, 1) as -1 | 0 | 1,
    compression: compression as CompressionName,
    input: new InputFormat(recordFormat(p) ?? "%v\\n"),
  };
}

const END_OF_CHUNK = Symbol("end of chunk");

/** Streams records out of `input` as the format cuts them, and END_OF_CHUNK after each chunk read; `onBytes` hears how many bytes were read so far. */
async function* cutRecords(input: AsyncIterable<Uint8Array | string>, format: InputFormat, onBytes: (bytes: number) => void): AsyncGenerator<ParsedInput | typeof END_OF_CHUNK> {
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for await (const chunk of input) {
    bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    onBytes(bytes);
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let at = 0;
    for (let next = format.next(text, at, false); next !== null; next = format.next(text, at, false)) {
      yield next.record;
      at = next.end;
    }
    text = text.slice(at);
    yield END_OF_CHUNK;
  }
  text += decoder.decode();
  let at = 0;
  for (let next = format.next(text, at, true); next !== null; next = format.next(text, at, true)) {
    yield next.record;
    at = next.end;
  }
}

function printProduced(context: Context, topic: string, r: Produced): void {
  context.out.emit({ topic, partition: r.partition, offset: r.offset, timestamp: r.timestampMs }, () =>
    context.out.line(r.offset < 0 ? `Produced to partition ${r.partition} (acks=0: offset unknown).` : `Produced to partition ${r.partition} at offset ${r.offset} with timestamp ${r.timestampMs}.`));
}

function printSummary(context: Context, topic: string, totals: { records: number; bytes: number; perPartition: Map<number, number> }, elapsedMs: number): void {
  const partitions = Object.fromEntries([...totals.perPartition].sort((a, b) => a[0] - b[0]));
  context.out.emit({ topic, records: totals.records, bytes: totals.bytes, elapsed_ms: elapsedMs, partitions }, () =>
    context.out.line(`Produced ${totals.records} records (${totals.bytes} bytes read) to ${topic} in ${elapsedMs} ms.`));
}

/** `skua topic create|list|describe|delete|alter-config|add-partitions|trim-prefix`, with rpk's flags. */
import { UsageError } from "../args.ts";
import { flagBool, flagInt, flagList, flagPairs, flagPartitions, flagString, parseIntArg } from "../command.ts";
import { Exit, type Command, type Context } from "../context.ts";
import { watermarks } from "../../client/offsets.ts";
import { alterConfigs, createPartitions, createTopics, deleteRecordsBefore, deleteTopics, describeConfigs, ResourceType, type Outcome } from "../../client/topics.ts";

/** Prints a NAME STATUS table (or JSON) of outcomes; exit 1 when any failed. */
function reportOutcomes(context: Context, what: string, outcomes: Outcome[]): number {
  context.out.emit(
    outcomes.map((o) => ({ [what]: o.name, status: o.status, error: o.message })),
    () => context.out.table([what.toUpperCase(), "STATUS"], outcomes.map((o) => [o.name, o.errorCode === 0 ? "OK" : `${o.status}${o.message ? `: ${o.message}` : ""}`])),
  );
  return outcomes.every((o) => o.errorCode === 0) ? Exit.ok : Exit.failed;
}

const create: Command = {
  path: ["topic", "create"], summary: "Create topics.", args: "TOPIC...", argsMin: 1, argsMax: 100,
  flags: [
    { long: "partitions", short: "p", value: "N", help: "partitions per topic (default: the broker's default_topic_partitions)" },
    { long: "replicas", short: "r", value: "N", help: "replication factor (default: the broker's; skua has one node)" },
    { long: "topic-config", short: "c", value: "KEY=VALUE", repeatable: true, help: "topic config, e.g. -c retention.ms=3600000" },
    { long: "dry", short: "d", help: "validate only: ask the broker, create nothing" },
  ],
  async run(context) {
    const partitions = flagInt(context.parsed, "partitions", -1, 1);
    const replicas = flagInt(context.parsed, "replicas", -1, 1);
    const configs = flagPairs(context.parsed, "topic-config");
    const outcomes = await createTopics(context.kafka(), context.args.map((name) => ({ name, partitions, replicas, configs })), flagBool(context.parsed, "dry"));
    return reportOutcomes(context, "topic", outcomes);
  },
};

const list: Command = {
  path: ["topic", "list"], summary: "List topics, with their partition and replica counts.", args: "", argsMin: 0, argsMax: 0,
  flags: [{ long: "internal", short: "i", help: "include internal topics" }],
  async run(context) {
    const meta = await context.kafka().metadata(null);
    const topics = meta.topics
      .filter((t) => flagBool(context.parsed, "internal") || !t.isInternal)
      .map((t) => ({ name: t.name ?? "", partitions: t.partitions.length, replicas: t.partitions[0]?.replicaNodes.length ?? 0 }))
      .sort((a, b) => a.name.localeCompare(b.name));
    context.out.emit(topics, () => context.out.table(["NAME", "PARTITIONS", "REPLICAS"], topics.map((t) => [t.name, t.partitions, t.replicas])));
    return Exit.ok;
  },
};

const describe: Command = {
  path: ["topic", "describe"], summary: "Describe a topic: summary, configs and partitions.", args: "TOPIC", argsMin: 1, argsMax: 1,
  flags: [
    { long: "print-summary", short: "s", help: "print the summary section" },
    { long: "print-configs", short: "c", help: "print the configs section" },
    { long: "print-partitions", short: "p", help: "print the partitions section (leader, replicas, offsets)" },
    { long: "print-all", short: "a", help: "print every section" },
  ],
  notes: "Without section flags, the summary and configs are printed. JSON and YAML always hold every section.\n",
  async run(context) {
    const name = context.args[0]!;
    const client = context.kafka();
    const meta = await client.topic(name);
    const configs = await describeConfigs(client, ResourceType.TOPIC, name);
    const offsets = await watermarks(client, name, meta.partitions.map((p) => p.partitionIndex));
    const summary = { name, internal: meta.isInternal, partitions: meta.partitions.length, replicas: meta.partitions[0]?.replicaNodes.length ?? 0 };
    const partitions = meta.partitions.map((p) => ({
      partition: p.partitionIndex, leader: p.leaderId, epoch: p.leaderEpoch, replicas: p.replicaNodes,
      log_start_offset: offsets.get(p.partitionIndex)!.logStartOffset, high_watermark: offsets.get(p.partitionIndex)!.highWatermark,
    })).sort((a, b) => a.partition - b.partition);
    const configRows = configs.map((c) => ({ key: c.name, value: c.sensitive ? null : c.value, source: c.source })).sort((a, b) => a.key.localeCompare(b.key));
    context.out.emit({ summary, configs: configRows, partitions }, () => {
      const all = flagBool(context.parsed, "print-all");
      const [s, c, p] = ["print-summary", "print-configs", "print-partitions"].map((f) => all || flagBool(context.parsed, f));
      const none = !s && !c && !p;
      const sections: Array<() => void> = [];
      if (s || none) sections.push(() => context.out.keyValues("SUMMARY", [["NAME", name], ["PARTITIONS", summary.partitions], ["REPLICAS", summary.replicas]]));
      if (c || none) sections.push(() => { context.out.line("CONFIGS\n======="); context.out.table(["KEY", "VALUE", "SOURCE"], configRows.map((r) => [r.key, r.value, r.source])); });
      if (p) sections.push(() => context.out.table(["PARTITION", "LEADER", "EPOCH", "REPLICAS", "LOG-START-OFFSET", "HIGH-WATERMARK"],
        partitions.map((r) => [r.partition, r.leader, r.epoch, `[${r.replicas.join(" ")}]`, r.log_start_offset, r.high_watermark])));
      sections.forEach((print, i) => { if (i > 0) context.out.line(""); print(); });
    });
    return Exit.ok;
  },
};

const remove: Command = {
  path: ["topic", "delete"], summary: "Delete topics and their data.", args: "TOPIC...", argsMin: 1, argsMax: 100, flags: [],
  async run(context) {
    return reportOutcomes(context, "topic", await deleteTopics(context.kafka(), context.args));
  },
};

const alterConfig: Command = {
  path: ["topic", "alter-config"], summary: "Set or delete topic configs (IncrementalAlterConfigs).", args: "TOPIC...", argsMin: 1, argsMax: 100,
  flags: [
    { long: "set", short: "s", value: "KEY=VALUE", repeatable: true, help: "set a config" },
    { long: "delete", short: "d", value: "KEY", repeatable: true, help: "delete a config (back to the default)" },
  ],
  async run(context) {
    const set = flagPairs(context.parsed, "set");
    const remove = flagList(context.parsed, "delete");
    if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError("'skua topic alter-config' needs --set KEY=VALUE or --delete KEY");
    const outcomes: Outcome[] = [];
    for (const topic of context.args) outcomes.push(await alterConfigs(context.kafka(), ResourceType.TOPIC, topic, set, remove));
    return reportOutcomes(context, "topic", outcomes);
  },
};

const addPartitions: Command = {
  path: ["topic", "add-partitions"], summary: "Add partitions to existing topics.", args: "TOPIC...", argsMin: 1, argsMax: 100,
  flags: [{ long: "num", short: "n", value: "N", help: "how many partitions to add (required)" }],
  async run(context) {
    if (flagString(context.parsed, "num") === null) throw new UsageError("'skua topic add-partitions' needs -n N");
    const add = flagInt(context.parsed, "num", 0, 1);
    const outcomes: Outcome[] = [];
    for (const topic of context.args) {
      const current = (await context.kafka().topic(topic)).partitions.length;
      outcomes.push(await createPartitions(context.kafka(), topic, current + add));
    }
    return reportOutcomes(context, "topic", outcomes);
  },
};

const trimPrefix: Command = {
  path: ["topic", "trim-prefix"], summary: "Delete the records before an offset (DeleteRecords): the partitions' start offset moves up.", args: "TOPIC", argsMin: 1, argsMax: 1,
  flags: [
    { long: "offset", short: "o", value: "OFFSET|end", help: "new start offset (required); 'end' trims everything" },
    { long: "partitions", short: "p", value: "P,...", repeatable: true, help: "partitions to trim (default all)" },
  ],
  async run(context) {
    const topic = context.args[0]!;
    const spec = flagString(context.parsed, "offset");
    if (spec === null) throw new UsageError("'skua topic trim-prefix' needs -o OFFSET");
    const offset = spec === "end" ? -1 : parseIntArg("--offset", spec, 0);
    const partitions = flagPartitions(context.parsed, "partitions") ?? (await context.kafka().topic(topic)).partitions.map((p) => p.partitionIndex);
    const results = await deleteRecordsBefore(context.kafka(), topic, partitions, offset);
    context.out.emit(
      results.map((r) => ({ topic, partition: r.partition, new_start_offset: r.errorCode === 0 ? r.lowWatermark : null, error: r.errorCode === 0 ? null : r.status })),
      () => context.out.table(["TOPIC", "PARTITION", "NEW-START-OFFSET", "ERROR"], results.map((r) => [topic, r.partition, r.errorCode === 0 ? r.lowWatermark : null, r.errorCode === 0 ? "" : r.status])),
    );
    return results.every((r) => r.errorCode === 0) ? Exit.ok : Exit.failed;
  },
};

export const topicCommands: Command[] = [create, list, describe, remove, alterConfig, addPartitions, trimPrefix];

/** `skua cluster info|health|config get|config set|partitions`. */
import { Exit, type Command } from "../context.ts";
import { alterConfigs, describeConfigs, ResourceType } from "../../client/topics.ts";
import { KafkaError } from "../../client/errors.ts";

const info: Command = {
  path: ["cluster", "info"], summary: "The cluster id, controller, brokers and topics (Metadata).", args: "", argsMin: 0, argsMax: 0, flags: [],
  async run(context) {
    const meta = await context.kafka().metadata(null);
    const brokers = meta.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.id - b.id);
    const topics = meta.topics.map((t) => ({ name: t.name ?? "", partitions: t.partitions.length, replicas: t.partitions[0]?.replicaNodes.length ?? 0 }))
      .sort((a, b) => a.name.localeCompare(b.name));
    context.out.emit({ cluster_id: meta.clusterId, controller: meta.controllerId, brokers, topics }, () => {
      context.out.keyValues("CLUSTER", [["ID", meta.clusterId], ["CONTROLLER", meta.controllerId]]);
      context.out.line("\nBROKERS\n=======");
      context.out.table(["ID", "HOST", "PORT", "RACK"], brokers.map((b) => [`${b.id}${b.id === meta.controllerId ? "*" : ""}`, b.host, b.port, b.rack]));
      context.out.line("\nTOPICS\n======");
      context.out.table(["NAME", "PARTITIONS", "REPLICAS"], topics.map((t) => [t.name, t.partitions, t.replicas]));
    });
    return Exit.ok;
  },
};

const health: Command = {
  path: ["cluster", "health"], summary: "Whether the cluster serves: every shard ready (admin API), brokers and partition leaders (Metadata). Exit 1 when unhealthy.", args: "", argsMin: 0, argsMax: 0, flags: [],
  async run(context) {
    const ready = await context.admin().status("/v1/status/ready");
    const meta = await context.kafka().metadata(null);
    const partitions = meta.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
    const leaderless = partitions.filter((p) => p.leaderId < 0).map((p) => `${p.topic}/${p.partitionIndex}`);
    const underReplicated = partitions.filter((p) => p.isrNodes.length < p.replicaNodes.length).map((p) => `${p.topic}/${p.partitionIndex}`);
    const healthy = ready.status === 200 && leaderless.length === 0 && underReplicated.length === 0;
    const report = {
      healthy, ready: ready.status === 200, status: ready.body?.status ?? `HTTP ${ready.status}`, controller_id: meta.controllerId,
      nodes: meta.brokers.map((b) => b.nodeId).sort(), leaderless_partitions: leaderless, under_replicated_partitions: underReplicated,
    };
    context.out.emit(report, () => context.out.keyValues("CLUSTER HEALTH OVERVIEW", [
      ["Healthy:", healthy], ["Ready (admin API):", report.status], ["Controller ID:", meta.controllerId], ["All nodes:", `[${report.nodes.join(" ")}]`],
      ["Leaderless partitions:", `[${leaderless.join(" ")}]`], ["Under-replicated partitions:", `[${underReplicated.join(" ")}]`],
    ]));
    return healthy ? Exit.ok : Exit.failed;
  },
};

/** The broker to describe: the controller from Metadata (skua has one node). */
async function brokerResource(context: Parameters<Command["run"]>[0]): Promise<string> {
  return String((await context.kafka().metadata([])).controllerId);
}

const configGet: Command = {
  path: ["cluster", "config", "get"], summary: "Broker configs (DescribeConfigs BROKER): one value, or all of them.", args: "[KEY]", argsMin: 0, argsMax: 1, flags: [],
  async run(context) {
    const key = context.args[0] ?? null;
    const configs = await describeConfigs(context.kafka(), ResourceType.BROKER, await brokerResource(context), key === null ? null : [key]);
    const rows = configs.map((c) => ({ key: c.name, value: c.sensitive ? null : c.value, source: c.source, read_only: c.readOnly })).sort((a, b) => a.key.localeCompare(b.key));
    if (key !== null && rows.length === 0) throw new KafkaError(40, `broker config '${key}'`, "no such config");
    if (key !== null) context.out.emit(rows[0], () => context.out.line(rows[0]!.value ?? ""));
    else context.out.emit(rows, () => context.out.table(["KEY", "VALUE", "SOURCE", "READ-ONLY"], rows.map((r) => [r.key, r.value, r.source, r.read_only])));
    return Exit.ok;
  },
};

const configSet: Command = {
  path: ["cluster", "config", "set"], summary: "Set a broker config (IncrementalAlterConfigs BROKER); the broker's answer is reported as it is.", args: "KEY VALUE", argsMin: 2, argsMax: 2, flags: [],
  notes: "skua's broker configs are read-only at run time today: the broker refuses, and this exits 1 with its message.\nSet them with 'skua start --set NAME=VALUE' or the config file instead.\n",
  async run(context) {
    const [key, value] = context.args as [string, string];
    const outcome = await alterConfigs(context.kafka(), ResourceType.BROKER, await brokerResource(context), { [key]: value }, []);
    context.out.emit({ key, value, status: outcome.status, error: outcome.message }, () =>
      context.out.line(outcome.errorCode === 0 ? `Set ${key}=${value}.` : `Not set: ${outcome.status}${outcome.message ? `: ${outcome.message}` : ""}`));
    return outcome.errorCode === 0 ? Exit.ok : Exit.failed;
  },
};

const partitions: Command = {
  path: ["cluster", "partitions"], summary: "Every partition: leader, replicas, owning shard, offsets and size (Metadata and the admin API).", args: "[TOPIC...]", argsMin: 0, argsMax: 100, flags: [],
  async run(context) {
    const meta = await context.kafka().metadata(context.args.length > 0 ? context.args : null);
    for (const t of meta.topics) if (t.errorCode !== 0) throw new KafkaError(t.errorCode, `topic '${t.name}'`);
    const details: any[] = await context.admin().get("/v1/partitions");
    const byKey = new Map(details.map((d) => [`${d.topic}/${d.partition_id}`, d]));
    const rows = meta.topics.flatMap((t) => t.partitions.map((p) => {
      const d = byKey.get(`${t.name}/${p.partitionIndex}`);
      return {
        topic: t.name ?? "", partition: p.partitionIndex, leader: p.leaderId, epoch: p.leaderEpoch, replicas: p.replicaNodes,
        shard: d?.shard ?? null, log_start_offset: d?.log_start_offset ?? null, high_watermark: d?.high_watermark ?? null, size_bytes: d?.size_bytes ?? null,
      };
    })).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    context.out.emit(rows, () => context.out.table(["TOPIC", "PARTITION", "LEADER", "EPOCH", "REPLICAS", "SHARD", "LOG-START-OFFSET", "HIGH-WATERMARK", "SIZE"],
      rows.map((r) => [r.topic, r.partition, r.leader, r.epoch, `[${r.replicas.join(" ")}]`, r.shard, r.log_start_offset, r.high_watermark, r.size_bytes])));
    return Exit.ok;
  },
};

export const clusterCommands: Command[] = [info, health, configGet, configSet, partitions];

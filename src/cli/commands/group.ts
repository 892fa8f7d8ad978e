/** `skua group list|describe|seek|delete`: consumer groups, their members, committed offsets and lag. */
import { UsageError } from "../args.ts";
import { flagList, flagString } from "../command.ts";
import { Exit, type Command, type Context } from "../context.ts";
import type { KafkaClient } from "../../client/client.ts";
import { commitOffsets, committedOffsets, deleteGroups, describeGroup, listGroups, type CommittedOffset, type DescribedGroup } from "../../client/groups.ts";
import { EARLIEST, LATEST, listOffsets, watermarks } from "../../client/offsets.ts";

const list: Command = {
  path: ["group", "list"], summary: "List consumer groups.", args: "", argsMin: 0, argsMax: 0, flags: [],
  async run(context) {
    const groups = await listGroups(context.kafka());
    context.out.emit(
      groups.map((g) => ({ group: g.group, state: g.state, protocol_type: g.protocolType, coordinator: g.coordinator })),
      () => context.out.table(["BROKER", "GROUP", "STATE"], groups.map((g) => [g.coordinator, g.group, g.state])),
    );
    return Exit.ok;
  },
};

interface PartitionLag {
  topic: string;
  partition: number;
  current_offset: number | null;
  log_start_offset: number;
  log_end_offset: number;
  lag: number | null;
  member_id: string | null;
  client_id: string | null;
  host: string | null;
}

/** One row per partition the group has an offset for or a member is assigned. */
async function lagRows(client: KafkaClient, group: DescribedGroup): Promise<PartitionLag[]> {
  const committed = await committedOffsets(client, group.group);
  const owner = new Map<string, DescribedGroup["members"][number]>();
  for (const m of group.members) for (const a of m.assignments) for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m);
  const keys = new Map<string, { topic: string; partition: number }>();
  for (const c of committed) keys.set(`${c.topic}/${c.partition}`, c);
  for (const m of group.members) for (const a of m.assignments) for (const p of a.partitions) keys.set(`${a.topic}/${p}`, { topic: a.topic, partition: p });
  const byTopic = new Map<string, number[]>();
  for (const k of keys.values()) byTopic.set(k.topic, [...(byTopic.get(k.topic) ?? []), k.partition]);
  const rows: PartitionLag[] = [];
  for (const [topic, partitions] of byTopic) {
    const marks = await watermarks(client, topic, partitions);
    for (const partition of partitions) {
      const c = committed.find((o) => o.topic === topic && o.partition === partition);
      const current = c !== undefined && c.offset >= 0 ? c.offset : null;
      const m = owner.get(`${topic}/${partition}`);
      const { logStartOffset, highWatermark } = marks.get(partition)!;
      rows.push({
        topic, partition, current_offset: current, log_start_offset: logStartOffset, log_end_offset: highWatermark,
        lag: current === null ? null : Math.max(highWatermark - current, 0),
        member_id: m?.memberId ?? null, client_id: m?.clientId ?? null, host: m?.host ?? null,
      });
    }
  }
  return rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

const describe: Command = {
  path: ["group", "describe"], summary: "Describe groups: state, members, assignments, committed offsets and lag per partition.", args: "GROUP...", argsMin: 1, argsMax: 100, flags: [],
  async run(context) {
    const described: Array<{ group: string; coordinator: number; state: string; protocol_type: string; balancer: string; members: unknown[]; total_lag: number; partitions: PartitionLag[] }> = [];
    for (const name of context.args) {
      const group = await describeGroup(context.kafka(), name);
      const partitions = await lagRows(context.kafka(), group);
      const totalLag = partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0);
      described.push({
        group: group.group, coordinator: group.coordinator, state: group.state, protocol_type: group.protocolType, balancer: group.protocol,
        members: group.members.map((m) => ({ member_id: m.memberId, instance_id: m.instanceId, client_id: m.clientId, host: m.host, assignments: m.assignments })),
        total_lag: totalLag, partitions,
      });
    }
    context.out.emit(context.args.length === 1 ? described[0] : described, () => described.forEach((g, i) => {
      if (i > 0) context.out.line("");
      context.out.keyValues(null, [["GROUP", g.group], ["COORDINATOR", g.coordinator], ["STATE", g.state], ["BALANCER", g.balancer || null], ["MEMBERS", g.members.length], ["TOTAL-LAG", g.total_lag]]);
      if (g.partitions.length === 0) return;
      context.out.line("");
      context.out.table(["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID", "HOST"],
        g.partitions.map((p) => [p.topic, p.partition, p.current_offset, p.log_start_offset, p.log_end_offset, p.lag, p.member_id, p.client_id, p.host]));
    }));
    return Exit.ok;
  },
};

const seek: Command = {
  path: ["group", "seek"], summary: "Move a group's committed offsets (the group must have no members).", args: "GROUP", argsMin: 1, argsMax: 1,
  flags: [
    { long: "to", value: "start|end|OFFSET|@TIMESTAMP", help: "where to move the offsets (required)" },
    { long: "topics", value: "TOPIC,...", repeatable: true, help: "topics to move (default: the topics the group has offsets for)" },
  ],
  async run(context) {
    const group = context.args[0]!;
    const to = flagString(context.parsed, "to");
    if (to === null) throw new UsageError("'skua group seek' needs --to start|end|OFFSET|@TIMESTAMP");
    const client = context.kafka();
    const prior = await committedOffsets(client, group);
    const named = flagList(context.parsed, "topics").flatMap((t) => t.split(",")).filter((t) => t !== "");
    const topics = named.length > 0 ? named : [...new Set(prior.map((o) => o.topic))];
    if (topics.length === 0) throw new UsageError(`group '${group}' has no committed offsets; name the topics with --topics`);
    const target: CommittedOffset[] = [];
    for (const topic of topics) target.push(...(await seekTargets(client, topic, to)));
    await commitOffsets(client, group, target, null);
    const rows = target.map((t) => ({ topic: t.topic, partition: t.partition, prior_offset: prior.find((p) => p.topic === t.topic && p.partition === t.partition)?.offset ?? null, current_offset: t.offset }));
    context.out.emit(rows, () => context.out.table(["TOPIC", "PARTITION", "PRIOR-OFFSET", "CURRENT-OFFSET"], rows.map((r) => [r.topic, r.partition, r.prior_offset, r.current_offset])));
    return Exit.ok;
  },
};

async function seekTargets(client: KafkaClient, topic: string, to: string): Promise<CommittedOffset[]> {
  const partitions = (await client.topic(topic)).partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
  let offsets: Map<number, number>;
  if (to === "start") offsets = await listOffsets(client, topic, partitions, EARLIEST);
  else if (to === "end") offsets = await listOffsets(client, topic, partitions, LATEST);
  else if (/^\d+$/.test(to)) {
    const marks = await watermarks(client, topic, partitions);
    offsets = new Map(partitions.map((p) => [p, Math.min(Math.max(Number(to), marks.get(p)!.logStartOffset), marks.get(p)!.highWatermark)]));
  } else if (/^@\d+$/.test(to)) {
    const [atTime, ends] = await Promise.all([listOffsets(client, topic, partitions, Number(to.slice(1))), listOffsets(client, topic, partitions, LATEST)]);
    offsets = new Map(partitions.map((p) => [p, atTime.get(p)! < 0 ? ends.get(p)! : atTime.get(p)!]));
  } else throw new UsageError(`--to must be start, end, an offset or @TIMESTAMP, got '${to}'`);
  return partitions.map((partition) => ({ topic, partition, offset: offsets.get(partition)! }));
}

const remove: Command = {
  path: ["group", "delete"], summary: "Delete groups (they must have no members) and their committed offsets.", args: "GROUP...", argsMin: 1, argsMax: 100, flags: [],
  async run(context: Context) {
    const results = await deleteGroups(context.kafka(), context.args);
    context.out.emit(results.map((r) => ({ group: r.group, status: r.status })), () => context.out.table(["GROUP", "STATUS"], results.map((r) => [r.group, r.status])));
    return results.every((r) => r.errorCode === 0) ? Exit.ok : Exit.failed;
  },
};

export const groupCommands: Command[] = [list, describe, seek, remove];

/** `skua shard list|move|rebalance`: which partitions live on which shard (core), live, through the admin API. */
import { UsageError } from "../args.ts";
import { flagBool, flagInt, flagString } from "../command.ts";
import { Exit, type Command } from "../context.ts";

const list: Command = {
  path: ["shard", "list"], summary: "Shards with their core, partition count, requests and bytes (GET /v1/shards).", args: "", argsMin: 0, argsMax: 0,
  flags: [{ long: "partitions", short: "p", help: "also list each shard's partitions" }],
  async run(context) {
    const shards: any[] = await context.admin().get("/v1/shards");
    context.out.emit(shards, () => {
      context.out.table(["SHARD", "CORE", "PINNED", "BACKEND", "PARTITIONS", "CONNECTIONS", "REQUESTS", "BYTES-IN", "BYTES-OUT", "SIZE"],
        shards.map((s) => [s.shard_id, s.core_actual, s.pinned, s.backend, s.partition_count, s.connections, s.requests, s.bytes_in, s.bytes_out, s.size_bytes]));
      if (!flagBool(context.parsed, "partitions")) return;
      context.out.line("");
      context.out.table(["SHARD", "TOPIC", "PARTITION"], shards.flatMap((s) => s.partitions.map((p: any) => [s.shard_id, p.topic, p.partition])));
    });
    return Exit.ok;
  },
};

const move: Command = {
  path: ["shard", "move"], summary: "Move a partition to another shard while clients use it.", args: "TOPIC/PARTITION", argsMin: 1, argsMax: 1,
  flags: [{ long: "to", value: "SHARD", help: "the shard to move it to (required)" }],
  async run(context) {
    const match = /^(.+)\/(\d+)$/.exec(context.args[0]!);
    if (match === null) throw new UsageError(`expected TOPIC/PARTITION, got '${context.args[0]}'`);
    if (flagString(context.parsed, "to") === null) throw new UsageError("'skua shard move' needs --to SHARD");
    const [topic, partition, shard] = [match[1]!, Number(match[2]), flagInt(context.parsed, "to", 0, 0)];
    const result = await context.admin().post(`/v1/partitions/kafka/${encodeURIComponent(topic)}/${partition}/shard`, { shard });
    context.out.emit(result, () => context.out.line(result.moved ? `Moved ${topic}/${partition} from shard ${result.from} to shard ${result.to}.` : `${topic}/${partition} is already on shard ${shard}.`));
    return Exit.ok;
  },
};

const rebalance: Command = {
  path: ["shard", "rebalance"], summary: "Even out partition counts across shards (POST /v1/partitions/rebalance_cores).", args: "", argsMin: 0, argsMax: 0, flags: [],
  async run(context) {
    const result = await context.admin().post("/v1/partitions/rebalance_cores");
    const moves: any[] = result.moves;
    context.out.emit(result, () => moves.length === 0
      ? context.out.line("Shards are balanced; nothing moved.")
      : context.out.table(["TOPIC", "PARTITION", "FROM", "TO"], moves.map((m) => [m.topic, m.partition, m.from, m.to])));
    return Exit.ok;
  },
};

export const shardCommands: Command[] = [list, move, rebalance];

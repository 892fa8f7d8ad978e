/** `skua cluster quotas describe|alter`: client quotas, as rpk's `cluster quotas`. */
import { Exit, type Command } from "../context.ts";
import { flagBool, flagList, flagPairs } from "../command.ts";
import { UsageError } from "../args.ts";
import { alterClientQuotas, describeClientQuotas, entityText, MatchType, type EntityPart, type FilterPart } from "../../client/quotas.ts";

const ENTITY_TYPES = ["user", "client-id"];

function entityType(flag: string, type: string): string {
  if (!ENTITY_TYPES.includes(type)) throw new UsageError(`--${flag} takes an entity type of ${ENTITY_TYPES.join(", ")}, got '${type}'`);
  return type;
}

/** `--name TYPE=NAME` and `--default TYPE` as entity parts (or filter parts, with `--any TYPE`). */
function namedParts(parsed: Parameters<Command["run"]>[0]["parsed"]): EntityPart[] {
  return [
    ...Object.entries(flagPairs(parsed, "name")).map(([type, name]) => ({ entityType: entityType("name", type), entityName: name })),
    ...flagList(parsed, "default").map((type) => ({ entityType: entityType("default", type), entityName: null })),
  ];
}

const entityFlags = [
  { long: "name", value: "TYPE=NAME", repeatable: true, help: "an entity by name: user=NAME or client-id=NAME" },
  { long: "default", value: "TYPE", repeatable: true, help: "the default entity of a type: user or client-id" },
];

const describe: Command = {
  path: ["cluster", "quotas", "describe"], summary: "Client quotas (DescribeClientQuotas): all of them, or those matching the entity flags.", args: "", argsMin: 0, argsMax: 0,
  flags: [...entityFlags, { long: "any", value: "TYPE", repeatable: true, help: "any entity of a type, named or default" }, { long: "strict", help: "only entities with exactly the types given" }],
  async run(context) {
    const filter: FilterPart[] = [
      ...namedParts(context.parsed).map((p) => ({ entityType: p.entityType, matchType: p.entityName === null ? MatchType.DEFAULT : MatchType.EXACT, match: p.entityName })),
      ...flagList(context.parsed, "any").map((type) => ({ entityType: entityType("any", type), matchType: MatchType.ANY, match: null })),
    ];
    const entries = (await describeClientQuotas(context.kafka(), filter, flagBool(context.parsed, "strict"))).sort((a, b) => entityText(a.entity).localeCompare(entityText(b.entity)));
    context.out.emit(entries.map((e) => ({ entity: e.entity.map((p) => ({ type: p.entityType, name: p.entityName })), values: e.values })), () => {
      if (entries.length === 0) context.out.line("No quotas matched.");
      for (const e of entries) {
        context.out.line(entityText(e.entity));
        for (const [key, value] of Object.entries(e.values)) context.out.line(`\t${key}=${value}`);
      }
    });
    return Exit.ok;
  },
};

const alter: Command = {
  path: ["cluster", "quotas", "alter"], summary: "Set or remove client quotas of one entity (AlterClientQuotas).", args: "", argsMin: 0, argsMax: 0,
  flags: [
    ...entityFlags,
    { long: "add", value: "KEY=VALUE", repeatable: true, help: "set a quota: producer_byte_rate, consumer_byte_rate (bytes/s), request_percentage" },
    { long: "delete", value: "KEY", repeatable: true, help: "remove a quota" },
    { long: "dry", help: "validate only: ask the broker, change nothing" },
  ],
  async run(context) {
    const entity = namedParts(context.parsed);
    if (entity.length === 0) throw new UsageError("name the entity with --name TYPE=NAME and/or --default TYPE");
    const set: Record<string, number> = {};
    for (const [key, raw] of Object.entries(flagPairs(context.parsed, "add"))) {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--add ${key} needs a number, got '${raw}'`);
      set[key] = value;
    }
    const remove = flagList(context.parsed, "delete");
    if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError("nothing to change: give --add KEY=VALUE or --delete KEY");
    const outcome = await alterClientQuotas(context.kafka(), entity, set, remove, flagBool(context.parsed, "dry"));
    context.out.emit({ entity: entityText(entity), status: outcome.status, error: outcome.message }, () =>
      context.out.table(["ENTITY", "STATUS"], [[entityText(entity), outcome.errorCode === 0 ? "OK" : `${outcome.status}${outcome.message ? `: ${outcome.message}` : ""}`]]),
    );
    return outcome.errorCode === 0 ? Exit.ok : Exit.failed;
  },
};

export const quotaCommands: Command[] = [describe, alter];

/**
 * `skua acl create|list|delete`: ACLs with rpk's flags. A resource is named by --topic, --group,
 * --transactional-id (repeatable, comma lists) or --cluster; --allow-principal / --deny-principal
 * (User:NAME, or NAME) with --allow-host / --deny-host; --operation (repeatable, comma lists);
 * --resource-pattern-type. Create makes every combination; list and delete match them as filters.
 */
import { UsageError } from "../args.ts";
import { flagBool, flagList, flagString, type FlagSpec } from "../command.ts";
import { Exit, type Command, type Context } from "../context.ts";
import {
  ACL_OPERATIONS, ACL_PATTERN_TYPES, ACL_PERMISSIONS, ACL_RESOURCE_TYPES, CLUSTER_NAME, codeName, createAcls, deleteAcls, describeAcls,
  type Acl, type AclFilter,
} from "../../client/acls.ts";

const OPERATION_NAMES = Object.keys(ACL_OPERATIONS).filter((n) => n !== "any");

const flags = (patternHelp: string): FlagSpec[] => [
  { long: "topic", value: "TOPIC,...", repeatable: true, help: "topics" },
  { long: "group", value: "GROUP,...", repeatable: true, help: "consumer groups" },
  { long: "transactional-id", value: "ID,...", repeatable: true, help: "transactional ids" },
  { long: "cluster", help: "the cluster" },
  { long: "resource-pattern-type", value: "PATTERN", help: patternHelp },
  { long: "allow-principal", value: "PRINCIPAL,...", repeatable: true, help: "principals allowed (User:NAME or NAME; User:* for everyone)" },
  { long: "deny-principal", value: "PRINCIPAL,...", repeatable: true, help: "principals denied" },
  { long: "allow-host", value: "HOST,...", repeatable: true, help: "hosts (IP addresses) the allow principals apply from (default *)" },
  { long: "deny-host", value: "HOST,...", repeatable: true, help: "hosts the deny principals apply from (default *)" },
  { long: "operation", value: "OP,...", repeatable: true, help: `operations: ${OPERATION_NAMES.join(", ")}` },
];

const items = (context: Context, long: string) => flagList(context.parsed, long).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");

function code(table: Record<string, number>, what: string, name: string): number {
  const key = name.toLowerCase().replace(/-/g, "_");
  if (!Object.hasOwn(table, key)) throw new UsageError(`unknown ${what} '${name}' (one of ${Object.keys(table).join(", ")})`);
  return table[key]!;
}

const principal = (name: string) => (name.includes(":") ? name : `User:${name}`);

/** The named resources: [type, name]; none named: null. */
function resources(context: Context): Array<[number, string]> | null {
  const named: Array<[number, string]> = [
    ...items(context, "topic").map((n): [number, string] => [ACL_RESOURCE_TYPES.topic, n]),
    ...items(context, "group").map((n): [number, string] => [ACL_RESOURCE_TYPES.group, n]),
    ...items(context, "transactional-id").map((n): [number, string] => [ACL_RESOURCE_TYPES.transactional_id, n]),
    ...(flagBool(context.parsed, "cluster") ? [[ACL_RESOURCE_TYPES.cluster, CLUSTER_NAME] as [number, string]] : []),
  ];
  return named.length > 0 ? named : null;
}

/** Who: [principal, host, permission] for each allow and deny principal and host. */
function subjects(context: Context, anyHost: string | null): Array<[string, string | null, number]> {
  const out: Array<[string, string | null, number]> = [];
  for (const [kind, permission] of [["allow", ACL_PERMISSIONS.allow], ["deny", ACL_PERMISSIONS.deny]] as const) {
    const hosts = items(context, `${kind}-host`);
    for (const p of items(context, `${kind}-principal`)) for (const host of hosts.length > 0 ? hosts : [anyHost]) out.push([principal(p), host, permission]);
  }
  return out;
}

function operations(context: Context): number[] {
  return items(context, "operation").map((name) => code(ACL_OPERATIONS, "operation", name));
}

function rows(acls: Array<{ acl: Acl; status?: string; message?: string | null }>) {
  return acls.map(({ acl, status, message }) => ({
    principal: acl.principal,
    host: acl.host,
    resource_type: codeName(ACL_RESOURCE_TYPES, acl.resourceType).toUpperCase(),
    resource_name: acl.resourceName,
    resource_pattern_type: codeName(ACL_PATTERN_TYPES, acl.patternType).toUpperCase(),
    operation: codeName(ACL_OPERATIONS, acl.operation).toUpperCase(),
    permission: codeName(ACL_PERMISSIONS, acl.permission).toUpperCase(),
    ...(status === undefined ? {} : { error: status === "OK" ? "" : `${status}${message ? `: ${message}` : ""}` }),
  }));
}

function print(context: Context, data: ReturnType<typeof rows>): void {
  const headers = ["PRINCIPAL", "HOST", "RESOURCE-TYPE", "RESOURCE-NAME", "RESOURCE-PATTERN-TYPE", "OPERATION", "PERMISSION"];
  const withError = data.some((r) => "error" in r);
  context.out.emit(data, () => context.out.table(withError ? [...headers, "ERROR"] : headers, data.map((r) => [...Object.values(r)] as string[])));
}

const create: Command = {
  path: ["acl", "create"], summary: "Create ACLs: every named principal and host, for every operation on every resource.", args: "", argsMin: 0, argsMax: 0,
  flags: flags("literal (default) or prefixed"),
  async run(context) {
    const named = resources(context);
    if (named === null) throw new UsageError("'skua acl create' needs a resource: --topic, --group, --transactional-id or --cluster");
    const who = subjects(context, "*");
    if (who.length === 0) throw new UsageError("'skua acl create' needs --allow-principal or --deny-principal");
    const ops = operations(context);
    if (ops.length === 0) throw new UsageError("'skua acl create' needs --operation");
    const pattern = code({ literal: ACL_PATTERN_TYPES.literal, prefixed: ACL_PATTERN_TYPES.prefixed }, "resource pattern type", flagString(context.parsed, "resource-pattern-type") ?? "literal");
    const acls: Acl[] = named.flatMap(([resourceType, resourceName]) => who.flatMap(([p, host, permission]) => ops.map((operation) => ({
      resourceType, resourceName, patternType: resourceType === ACL_RESOURCE_TYPES.cluster ? ACL_PATTERN_TYPES.literal : pattern, principal: p, host: host!, operation, permission,
    }))));
    const outcomes = await createAcls(context.kafka(), acls);
    print(context, rows(outcomes));
    return outcomes.every((o) => o.status === "OK") ? Exit.ok : Exit.failed;
  },
};

/** The filters list and delete use: one per named resource (or any resource) and principal (or any). */
function filters(context: Context): AclFilter[] {
  const pattern = code(ACL_PATTERN_TYPES, "resource pattern type", flagString(context.parsed, "resource-pattern-type") ?? "any");
  const named: Array<[number, string | null]> = resources(context) ?? [[ACL_RESOURCE_TYPES.any, null]];
  const who: Array<[string | null, string | null, number]> = subjects(context, null);
  const ops = operations(context);
  return named.flatMap(([resourceType, resourceName]) =>
    (who.length > 0 ? who : [[null, null, ACL_PERMISSIONS.any] as [null, null, number]]).flatMap(([p, host, permission]) =>
      (ops.length > 0 ? ops : [ACL_OPERATIONS.any]).map((operation) => ({ resourceType, resourceName, patternType: pattern, principal: p, host, operation, permission })),
    ),
  );
}

const list: Command = {
  path: ["acl", "list"], summary: "List ACLs matching the flags (none: every ACL).", args: "", argsMin: 0, argsMax: 0,
  flags: flags("any (default), match (every pattern that applies to the named resource), literal or prefixed"),
  async run(context) {
    const seen = new Map<string, Acl>();
    for (const filter of filters(context)) for (const acl of await describeAcls(context.kafka(), filter)) seen.set(JSON.stringify(acl), acl);
    print(context, rows([...seen.values()].map((acl) => ({ acl }))));
    return Exit.ok;
  },
};

const remove: Command = {
  path: ["acl", "delete"], summary: "Delete the ACLs matching the flags, and print them.", args: "", argsMin: 0, argsMax: 0,
  flags: [...flags("any (default), match, literal or prefixed"), { long: "all", help: "with no resource or principal flags: delete every ACL" }],
  async run(context) {
    const narrowed = resources(context) !== null || subjects(context, null).length > 0 || operations(context).length > 0;
    if (!narrowed && !flagBool(context.parsed, "all")) throw new UsageError("'skua acl delete' with no resource, principal or operation would delete every ACL; add --all to mean it");
    const deleted = (await deleteAcls(context.kafka(), filters(context))).flat();
    const unique = new Map(deleted.map((acl) => [JSON.stringify(acl), acl]));
    print(context, rows([...unique.values()].map((acl) => ({ acl }))));
    return Exit.ok;
  },
};

export const aclCommands: Command[] = [create, list, remove];

/**
 * The shape of a Kafka message definition, written once per message in `messages/`
 * with per-field version ranges. One codec (codec.ts) reads these; nothing is
 * hand-written per version.
 */
export type Primitive =
  | "bool" | "int8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "float64"
  | "string" | "bytes" | "records" | "uuid";
export interface StructDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
}
export interface ArrayOf {
  readonly arrayOf: Primitive | StructDef;
}
export type FieldType = Primitive | StructDef | ArrayOf;

/** Inclusive [min, max]; empty when min > max ("none"). */
export type VersionRange = readonly [min: number, max: number];

export interface FieldDef {
  /** The spec's name, e.g. "TopicData". */
  readonly name: string;
  /** The property in decoded objects: camelCase of `name`, e.g. "topicData". */
  readonly key: string;
  readonly type: FieldType;
  readonly versions: VersionRange;
  readonly nullable: VersionRange;
  readonly tagged?: { readonly tag: number; readonly versions: VersionRange };
  /** Overrides the message's flexible versions (the request header's client id is never compact). */
  readonly flexible?: VersionRange;
  /** The spec's default, as written there ("-1", "null", "true"). */
  readonly default?: string;
}

export type MessageKind = "request" | "response" | "header" | "data";

/** `T` is the decoded object's TypeScript type; it only travels in the type system. */
export interface MessageDef<T = unknown> {
  readonly name: string;
  /** -1 for headers and data structs. */
  readonly apiKey: number;
  readonly kind: MessageKind;
  readonly valid: VersionRange;
  /** First flexible (KIP-482 compact) version; Infinity when none is. */
  readonly flexible: number;
  readonly fields: readonly FieldDef[];
  readonly __type?: T;
}

/** Tagged fields this broker does not know, kept so they are re-encoded rather than dropped. */
export interface TaggedFields {
  _unknownTagged?: Array<[tag: number, bytes: Uint8Array]>;
}

/** What a handler passes to the encoder: any field may be left out and is written as its default. */
export type Loose<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer E)[]
    ? Loose<E>[]
    : T extends object
      ? { [K in keyof T]?: Loose<T[K]> }
      : T;

const VERSION_MAX = 0x7fff;
const NONE: VersionRange = [1, 0];
const PRIMITIVES = new Set<string>([
  "bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64",
  "string", "bytes", "records", "uuid",
]);

/** "3+", "0-2", "5" or "none", as the spec writes them. */
export function versions(spec: string): VersionRange {
  if (spec === "none") return NONE;
  if (spec.endsWith("+")) return [Number(spec.slice(0, -1)), VERSION_MAX];
  const dash = spec.indexOf("-");
  if (dash < 0) return [Number(spec), Number(spec)];
  return [Number(spec.slice(0, dash)), Number(spec.slice(dash + 1))];
}

export function inRange(version: number, range: VersionRange): boolean {
  return version >= range[0] && version <= range[1];
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export interface FieldOptions {
  nullable?: string;
  tag?: number;
  tagged?: string;
  flexible?: string;
  default?: string;
  /** The struct's fields, for "[]Name" and "Name" types. */
  fields?: FieldDef[];
}

/** One field, as one line of the spec: `f("TransactionalId", "string", "3+", { nullable: "3+" })`. */
export function f(name: string, type: string, versionSpec: string, options: FieldOptions = {}): FieldDef {
  const def: {
    -readonly [K in keyof FieldDef]: FieldDef[K];
  } = {
    name,
    key: camelCase(name),
    type: fieldType(name, type, options.fields),
    versions: versions(versionSpec),
    nullable: options.nullable === undefined ? NONE : versions(options.nullable),
  };
  if (options.tag !== undefined) {
    def.tagged = { tag: options.tag, versions: versions(options.tagged ?? versionSpec) };
  }
  if (options.flexible !== undefined) def.flexible = versions(options.flexible);
  if (options.default !== undefined) def.default = options.default;
  return def;
}

function fieldType(name: string, type: string, fields: FieldDef[] | undefined): FieldType {
  const isArray = type.startsWith("[]");
  const element = isArray ? type.slice(2) : type;
  let resolved: Primitive | StructDef;
  if (PRIMITIVES.has(element)) resolved = element as Primitive;
  else if (fields !== undefined) resolved = { name: element, fields };
  else throw new Error(`field ${name}: struct type ${element} has no fields`);
  return isArray ? { arrayOf: resolved } : resolved;
}

/** A whole message: `message<ProduceRequest>("request", "ProduceRequest", 0, "0-11", "9+", [...])`. */
export function message<T>(
  kind: MessageKind,
  name: string,
  apiKey: number,
  valid: string,
  flexible: string,
  fields: FieldDef[],
): MessageDef<T> {
  const flexibleRange = versions(flexible);
  const first = flexibleRange[0] > flexibleRange[1] ? Infinity : flexibleRange[0];
  return { name, apiKey, kind, valid: versions(valid), flexible: first, fields };
}

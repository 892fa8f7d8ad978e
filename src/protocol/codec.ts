import { ProtocolError } from "./errors.ts";
import { Reader } from "./reader.ts";
import { inRange, type FieldDef, type FieldType, type Loose, type MessageDef, type Primitive, type StructDef } from "./schema.ts";
import { Writer } from "./writer.ts";

/**
 * One decoder and one encoder for every message and version, driven by the
 * definitions in messages/. Each (message, version) is compiled once into a tree
 * of closures that only do the reads and writes present in that version, so the
 * hot path never re-checks version ranges.
 */

type Read = (r: Reader) => any;
type Write = (w: Writer, value: any) => void;
interface StructCodec {
  read: Read;
  write: Write;
}

/** The all-zero uuid: a uuid field's default, and Kafka's "no topic id". */
export const NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000";
const EMPTY_BYTES = new Uint8Array(0);
const compiled = new WeakMap<MessageDef<any>, Array<StructCodec | undefined>>();

export function decode<T>(def: MessageDef<T>, version: number, reader: Reader): T {
  return codecFor(def, version).read(reader);
}

export function encode<T>(def: MessageDef<T>, version: number, value: Loose<T>, writer: Writer): void {
  codecFor(def, version).write(writer, value);
}

function codecFor(def: MessageDef<any>, version: number): StructCodec {
  let byVersion = compiled.get(def);
  if (byVersion === undefined) compiled.set(def, (byVersion = []));
  const cached = byVersion[version];
  if (cached !== undefined) return cached;
  if (!inRange(version, def.valid)) {
    throw new ProtocolError(`${def.name} has no version ${version}`);
  }
  const codec = compileStruct(def.fields, version, version >= def.flexible);
  byVersion[version] = codec;
  return codec;
}

// ---- structs -------------------------------------------------------------

interface Tagged {
  tag: number;
  key: string;
  field: FieldDef;
  codec: StructCodec;
  fallback: unknown;
}

function taggedOf(field: FieldDef, codec: StructCodec): Tagged {
  return { tag: field.tagged!.tag, key: field.key, field, codec, fallback: defaultMaker(field)() };
}

function compileStruct(fields: readonly FieldDef[], version: number, flexible: boolean): StructCodec {
  const keys: string[] = [];
  const steps: Read[] = []; // one per field: a wire read, or a default for absent and tagged fields
  const writeKeys: string[] = [];
  const writes: Write[] = [];
  const fallbacks: unknown[] = []; // written in place of fields a handler left out
  const tagged: Tagged[] = [];
  for (const field of fields) {
    const present = inRange(version, field.versions);
    const isTagged = present && flexible && field.tagged !== undefined && inRange(version, field.tagged.versions);
    keys.push(field.key);
    if (!present || isTagged) {
      steps.push(defaultMaker(field));
      if (isTagged) tagged.push(taggedOf(field, compileField(field, version, flexible)));
      continue;
    }
    const codec = compileField(field, version, flexible);
    steps.push(codec.read);
    writeKeys.push(field.key);
    writes.push(codec.write);
    fallbacks.push(defaultMaker(field)());
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const read = readStruct(keys, steps, flexible ? tagged : null);
  const write = writeStruct(writeKeys, writes, fallbacks, flexible ? tagged : null);
  return { read, write };
}

function readStruct(keys: string[], steps: Read[], tagged: Tagged[] | null): Read {
  const count = keys.length;
  const byTag = new Map((tagged ?? []).map((t) => [t.tag, t]));
  return (r) => {
    const out: any = {};
    for (let i = 0; i < count; i++) out[keys[i]!] = steps[i]!(r);
    if (tagged !== null) readTaggedSection(r, out, byTag);
    return out;
  };
}

function readTaggedSection(r: Reader, out: any, byTag: Map<number, Tagged>): void {
  const count = r.uvarint();
  if (count > r.remainingBytes) throw new ProtocolError(`bad tagged field count ${count}`);
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const bytes = r.rawBytes(r.uvarint());
    const known = byTag.get(tag);
    // A known tag is decoded from its own bytes only, so a bad size cannot read into the next field.
    if (known !== undefined) out[known.key] = known.codec.read(new Reader(bytes));
    else (out._unknownTagged ??= []).push([tag, bytes]);
  }
}

function writeStruct(keys: string[], writes: Write[], fallbacks: unknown[], tagged: Tagged[] | null): Write {
  const count = keys.length;
  return (w, value) => {
    const v = value ?? {};
    for (let i = 0; i < count; i++) {
      const x = v[keys[i]!];
      writes[i]!(w, x === undefined ? fallbacks[i] : x);
    }
    if (tagged === null) return;
    if (v._unknownTagged === undefined && allDefault(v, tagged)) w.uvarint(0);
    else writeTaggedSection(w, v, tagged);
  };
}

/** The common case: nothing tagged to write, so no scratch buffers are made. */
function allDefault(value: any, tagged: Tagged[]): boolean {
  for (let i = 0; i < tagged.length; i++) {
    const v = value[tagged[i]!.key];
    if (v !== undefined && !isDefault(tagged[i]!.field, v, tagged[i]!.fallback)) return false;
  }
  return true;
}

/** Tagged fields go out in tag order; a known field is written only when it differs from its default. */
function writeTaggedSection(w: Writer, value: any, tagged: Tagged[]): void {
  const entries: Array<[number, Uint8Array]> = [];
  for (const t of tagged) {
    const v = value[t.key];
    if (v === undefined || isDefault(t.field, v, t.fallback)) continue;
    const scratch = new Writer(64);
    t.codec.write(scratch, v);
    entries.push([t.tag, scratch.finish()]);
  }
  for (const entry of value._unknownTagged ?? []) entries.push(entry);
  entries.sort((a, b) => a[0] - b[0]);
  w.uvarint(entries.length);
  for (const [tag, bytes] of entries) {
    w.uvarint(tag);
    w.uvarint(bytes.length);
    w.raw(bytes);
  }
}

// ---- fields --------------------------------------------------------------

function compileField(field: FieldDef, version: number, messageFlexible: boolean): StructCodec {
  const flexible = messageFlexible && (field.flexible === undefined || inRange(version, field.flexible));
  return typeCodec(field.type, version, flexible, inRange(version, field.nullable), messageFlexible);
}

function typeCodec(type: FieldType, version: number, flexible: boolean, nullable: boolean, messageFlexible: boolean): StructCodec {
  if (typeof type === "string") return primitiveCodec(type, flexible, nullable);
  if ("arrayOf" in type) {
    const element = typeof type.arrayOf === "string"
      ? primitiveCodec(type.arrayOf, flexible, false)
      : compileStruct(type.arrayOf.fields, version, messageFlexible);
    return arrayCodec(element, flexible, nullable);
  }
  const struct = compileStruct(type.fields, version, messageFlexible);
  return nullable ? nullableStructCodec(struct) : struct;
}

function arrayCodec(element: StructCodec, flexible: boolean, nullable: boolean): StructCodec {
  const readElement = element.read;
  const writeElement = element.write;
  return {
    read: (r) => {
      const count = flexible ? r.compactArrayCount(nullable) : r.arrayCount(nullable);
      if (count < 0) return null;
      const out = [];
      for (let i = 0; i < count; i++) out.push(readElement(r));
      return out;
    },
    write: (w, v) => {
      const items: any[] | null = v === null && !nullable ? [] : v;
      if (flexible) w.compactArrayCount(items === null ? null : items.length);
      else w.arrayCount(items === null ? null : items.length);
      if (items !== null) for (let i = 0; i < items.length; i++) writeElement(w, items[i]);
    },
  };
}

/** A nullable struct field carries an int8 marker: -1 null, 1 present. */
function nullableStructCodec(struct: StructCodec): StructCodec {
  return {
    read: (r) => (r.int8() < 0 ? null : struct.read(r)),
    write: (w, v) => {
      w.int8(v === null ? -1 : 1);
      if (v !== null) struct.write(w, v);
    },
  };
}

function primitiveCodec(type: Primitive, flexible: boolean, nullable: boolean): StructCodec {
  switch (type) {
    case "bool": return { read: (r) => r.bool(), write: (w, v) => w.bool(v) };
    case "int8": return { read: (r) => r.int8(), write: (w, v) => w.int8(v) };
    case "int16": return { read: (r) => r.int16(), write: (w, v) => w.int16(v) };
    case "uint16": return { read: (r) => r.uint16(), write: (w, v) => w.uint16(v) };
    case "int32": return { read: (r) => r.int32(), write: (w, v) => w.int32(v) };
    case "uint32": return { read: (r) => r.uint32(), write: (w, v) => w.uint32(v) };
    case "int64": return { read: (r) => r.int64(), write: (w, v) => w.int64(v) };
    case "float64": return { read: (r) => r.float64(), write: (w, v) => w.float64(v) };
    case "uuid": return { read: (r) => r.uuid(), write: (w, v) => w.uuid(v) };
    case "string": return stringCodec(flexible, nullable);
    case "bytes":
    case "records": return bytesCodec(flexible, nullable);
  }
}

function stringCodec(flexible: boolean, nullable: boolean): StructCodec {
  if (flexible) {
    return nullable
      ? { read: (r) => r.compactNullableString(), write: (w, v) => w.compactNullableString(v) }
      : { read: (r) => r.compactString(), write: (w, v) => w.compactString(v ?? "") };
  }
  return nullable
    ? { read: (r) => r.nullableString(), write: (w, v) => w.nullableString(v) }
    : { read: (r) => r.string(), write: (w, v) => w.string(v ?? "") };
}

/** Bytes and records decode to views into the frame: record batches are never copied on the way in. */
function bytesCodec(flexible: boolean, nullable: boolean): StructCodec {
  if (flexible) {
    return nullable
      ? { read: (r) => r.compactNullableBytes(), write: (w, v) => w.compactNullableBytes(v) }
      : { read: (r) => r.compactBytes(), write: (w, v) => w.compactBytes(v ?? EMPTY_BYTES) };
  }
  return nullable
    ? { read: (r) => r.nullableBytes(), write: (w, v) => w.nullableBytes(v) }
    : { read: (r) => r.bytesField(), write: (w, v) => w.bytesField(v ?? EMPTY_BYTES) };
}

// ---- defaults ------------------------------------------------------------

/** The value of a field a version does not carry: the spec's default, else the type's zero. */
export function defaultMaker(field: FieldDef): () => unknown {
  const spec = field.default;
  if (spec === "null") return () => null;
  const type = field.type;
  if (typeof type === "string") {
    const value = primitiveDefault(type, spec, field);
    return () => value;
  }
  if ("arrayOf" in type) return () => [];
  return () => defaultStruct(type);
}

function primitiveDefault(type: Primitive, spec: string | undefined, field: FieldDef): unknown {
  switch (type) {
    case "bool": return spec === "true";
    case "string": return spec ?? "";
    case "uuid": return NO_TOPIC_ID;
    case "records": return null;
    case "bytes": return field.nullable[0] <= field.nullable[1] ? null : EMPTY_BYTES;
    default: return spec === undefined ? 0 : Number(spec);
  }
}

function defaultStruct(struct: StructDef): any {
  const out: any = {};
  for (const field of struct.fields) out[field.key] = defaultMaker(field)();
  return out;
}

/** Whether a tagged field holds its default, so it can be left off the wire (as Kafka does). */
function isDefault(field: FieldDef, value: any, fallback: unknown): boolean {
  const type = field.type;
  if (value === null || fallback === null) return value === fallback;
  if (typeof type === "string") {
    return value instanceof Uint8Array ? value.length === 0 : value === fallback;
  }
  if ("arrayOf" in type) return value.length === 0;
  return type.fields.every((f) => value[f.key] === undefined || isDefault(f, value[f.key], defaultMaker(f)()));
}

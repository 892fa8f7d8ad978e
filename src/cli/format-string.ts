/**
 * rpk's record format strings (`-f '%k %v\n'`): literal text with escapes (\n \r \t \\
 * \xNN) and %-verbs. For consume, a format renders each record; for produce, the same
 * kind of format says how to cut the input into keys and values.
 *
 * Verbs: %t topic, %T topic length, %k key, %K key length, %v value, %V value length,
 * %h{...} headers (inside the braces %k and %v are the header's; bare %h prints k=v by
 * spaces), %H header count, %p partition, %o offset, %e leader epoch, %d timestamp (ms),
 * %x producer id, %y producer epoch, %a attributes, %] high watermark, %% a literal %.
 * %k and %v take {hex} or {base64} to print bytes encoded.
 */
import type { ConsumedRecord } from "../client/records.ts";
import { UsageError } from "./args.ts";

type Encoding = "text" | "hex" | "base64";
export type Token =
  | { kind: "literal"; text: string }
  | { kind: "verb"; verb: string; encoding: Encoding }
  | { kind: "headers"; inner: Token[] };

const RENDER_VERBS = new Set("tTkKvVhHpoedxya]".split(""));

export function parseFormat(format: string, verbs: Set<string> = RENDER_VERBS): Token[] {
  const tokens: Token[] = [];
  let literal = "";
  const flush = () => {
    if (literal !== "") tokens.push({ kind: "literal", text: literal });
    literal = "";
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === "\\") {
      const [text, used] = escape(format, i);
      literal += text;
      i += used - 1;
      continue;
    }
    if (c !== "%") {
      literal += c;
      continue;
    }
    const verb = format[++i];
    if (verb === undefined) throw new UsageError(`format '${format}' ends with a lone %`);
    if (verb === "%" || verb === "{" || verb === "}") {
      literal += verb;
      continue;
    }
    flush();
    if (verb === "h" && verbs.has("h")) {
      const close = format.indexOf("}", i + 2);
      if (format[i + 1] === "{" && close > 0) {
        tokens.push({ kind: "headers", inner: parseFormat(format.slice(i + 2, close), new Set(["k", "v"])) });
        i = close;
      } else tokens.push({ kind: "headers", inner: [] });
      continue;
    }
    if (!verbs.has(verb)) throw new UsageError(`format '${format}': unknown or unsupported verb %${verb}`);
    const [encoding, used] = encodingAt(format, i + 1, verb);
    tokens.push({ kind: "verb", verb, encoding });
    i += used;
  }
  flush();
  return tokens;
}

function escape(format: string, at: number): [string, number] {
  const next = format[at + 1];
  if (next === "n") return ["\n", 2];
  if (next === "r") return ["\r", 2];
  if (next === "t") return ["\t", 2];
  if (next === "\\") return ["\\", 2];
  if (next === "x" && /^[0-9a-fA-F]{2}$/.test(format.slice(at + 2, at + 4))) return [String.fromCharCode(parseInt(format.slice(at + 2, at + 4), 16)), 4];
  return ["\\", 1];
}

function encodingAt(format: string, at: number, verb: string): [Encoding, number] {
  if (format[at] !== "{" || (verb !== "k" && verb !== "v")) return ["text", 0];
  const close = format.indexOf("}", at);
  const name = close > 0 ? format.slice(at + 1, close) : "";
  if (name !== "hex" && name !== "base64" && name !== "text") throw new UsageError(`format '${format}': %${verb}{${name}} is not one of {text}, {hex}, {base64}`);
  return [name, close - at + 1];
}

// ---- rendering consumed records ---------------------------------------------------------

const utf8 = new TextDecoder();

export interface RenderContext {
  topic: string;
  highWatermark: number;
}

export function renderRecord(tokens: Token[], record: ConsumedRecord, context: RenderContext): string {
  let out = "";
  for (const t of tokens) {
    if (t.kind === "literal") out += t.text;
    else if (t.kind === "headers") out += renderHeaders(t.inner, record);
    else out += renderVerb(t.verb, t.encoding, record, context);
  }
  return out;
}

function renderHeaders(inner: Token[], record: ConsumedRecord): string {
  if (inner.length === 0) return record.headers.map((h) => `${h.key}=${bytesAs(h.value, "text")}`).join(" ");
  return record.headers.map((h) => inner.map((t) => {
    if (t.kind === "literal") return t.text;
    if (t.kind === "verb" && t.verb === "k") return h.key;
    return t.kind === "verb" ? bytesAs(h.value, t.encoding) : "";
  }).join("")).join("");
}

function renderVerb(verb: string, encoding: Encoding, r: ConsumedRecord, context: RenderContext): string {
  switch (verb) {
    case "t": return context.topic;
    case "T": return String(Buffer.byteLength(context.topic));
    case "k": return bytesAs(r.key, encoding);
    case "K": return String(r.key?.length ?? 0);
    case "v": return bytesAs(r.value, encoding);
    case "V": return String(r.value?.length ?? 0);
    case "H": return String(r.headers.length);
    case "p": return String(r.partition);
    case "o": return String(r.offset);
    case "e": return String(r.leaderEpoch);
    case "d": return String(r.timestampMs);
    case "x": return String(r.producerId);
    case "y": return String(r.producerEpoch);
    case "a": return String(r.attributes);
    case "]": return String(context.highWatermark);
  }
  throw new UsageError(`unknown verb %${verb}`);
}

export function bytesAs(bytes: Uint8Array | null, encoding: Encoding): string {
  if (bytes === null) return "";
  if (encoding === "hex") return Buffer.from(bytes).toString("hex");
  if (encoding === "base64") return Buffer.from(bytes).toString("base64");
  return utf8.decode(bytes);
}

/** The object rpk prints per record in JSON: key, value and headers only when present. */
export function recordJson(topic: string, r: ConsumedRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { topic };
  if (r.key !== null) out.key = bytesAs(r.key, "text");
  if (r.value !== null) out.value = bytesAs(r.value, "text");
  if (r.headers.length > 0) out.headers = r.headers.map((h) => ({ key: h.key, value: bytesAs(h.value, "text") }));
  out.timestamp = r.timestampMs;
  out.partition = r.partition;
  out.offset = r.offset;
  return out;
}

// ---- cutting produce input into records --------------------------------------------------

const INPUT_VERBS = new Set(["k", "v", "p"]);

export interface ParsedInput {
  key: string | null;
  value: string;
  partition: number | null;
}

/**
 * Cuts records from text per a produce format (e.g. '%k %v\n'): each verb takes the text
 * up to the literal that follows it; the last literal ends a record. Stateless: `next`
 * returns the record at `from` and where the next starts, or null when more input is
 * needed (or, at the end of input, when nothing is left).
 */
export class InputFormat {
  readonly tokens: Token[];

  constructor(format: string) {
    this.tokens = parseFormat(format, INPUT_VERBS);
    const fields = this.tokens.filter((t) => t.kind === "verb");
    if (!fields.some((t) => t.kind === "verb" && t.verb === "v")) throw new UsageError(`produce format '${format}' needs %v`);
    this.tokens.forEach((t, i) => {
      if (t.kind === "verb" && this.tokens[i + 1]?.kind === "verb") throw new UsageError(`produce format '${format}': %${t.verb} must be followed by a delimiter`);
    });
  }

  next(text: string, from: number, atEnd: boolean): { record: ParsedInput; end: number } | null {
    if (from >= text.length) return null;
    const record: ParsedInput = { key: null, value: "", partition: null };
    let at = from;
    for (let i = 0; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.kind === "literal") {
        if (text.startsWith(t.text, at)) at += t.text.length;
        else if (atEnd && i === this.tokens.length - 1 && at === text.length) break; // last record without its terminator
        else if (!atEnd && text.length - at < t.text.length && t.text.startsWith(text.slice(at))) return null;
        else throw new UsageError(`input at character ${at} does not match the format (expected ${JSON.stringify(t.text)})`);
        continue;
      }
      const delimiter = this.tokens[i + 1];
      let stop = delimiter?.kind === "literal" ? text.indexOf(delimiter.text, at) : -1;
      if (stop < 0) {
        if (!atEnd) return null;
        stop = text.length;
      }
      assign(record, t.kind === "verb" ? t.verb : "v", text.slice(at, stop));
      at = stop;
    }
    return { record, end: at };
  }
}

function assign(record: ParsedInput, verb: string, text: string): void {
  if (verb === "k") record.key = text;
  else if (verb === "v") record.value = text;
  else if (verb === "p") {
    if (!/^\d+$/.test(text)) throw new UsageError(`input partition '${text}' is not a number`);
    record.partition = Number(text);
  }
}

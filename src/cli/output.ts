/** Output in the user's `--format`: aligned tables for people, JSON or YAML for scripts. */
export type Format = "text" | "json" | "yaml";

export interface Output {
  readonly format: Format;
  /** Writes `data` as JSON or YAML, or calls `text` to print it for people. */
  emit(data: unknown, text: () => void): void;
  line(text: string): void;
  table(headers: string[], rows: Array<Array<string | number | boolean | null>>): void;
  /** A titled key/value block, e.g. SUMMARY. */
  keyValues(title: string | null, pairs: Array<[string, string | number | boolean | null]>): void;
}

export function makeOutput(format: Format, write: (s: string) => void = (s) => void process.stdout.write(s)): Output {
  return {
    format,
    emit(data, text) {
      if (format === "json") write(`${JSON.stringify(data)}\n`);
      else if (format === "yaml") write(`${toYaml(data)}\n`);
      else text();
    },
    line: (text) => write(`${text}\n`),
    table: (headers, rows) => write(renderTable(headers, rows)),
    keyValues(title, pairs) {
      if (title !== null) write(`${title}\n${"=".repeat(title.length)}\n`);
      write(renderTable(null, pairs));
    },
  };
}

/** Columns separated by two spaces and padded to the widest cell, as rpk prints them. */
export function renderTable(headers: string[] | null, rows: Array<Array<string | number | boolean | null>>): string {
  const all = [...(headers ? [headers] : []), ...rows.map((r) => r.map(cell))];
  if (all.length === 0) return "";
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd() + "\n").join("");
}

function cell(v: string | number | boolean | null): string {
  return v === null ? "-" : String(v);
}

/** YAML of `data`. Through JSON first: Bun's YAML writer prints a zero computed in floating point as "+0". */
export function toYaml(data: unknown): string {
  return Bun.YAML.stringify(JSON.parse(JSON.stringify(data)), null, 2);
}

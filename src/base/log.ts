/** One line per event on stderr; `json` for machines. Every thread logs through this. */
import type { Clock } from "./clock.ts";
import type { Timers } from "./timers.ts";

export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
let format: LogFormat = "text";
let minRank = LEVEL_RANK.info;

export function configureLog(options: { format: LogFormat; minLevel?: LogLevel }): void {
  format = options.format;
  minRank = LEVEL_RANK[options.minLevel ?? "info"];
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function logger(component: string): Logger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_RANK[level] < minRank) return;
    process.stderr.write(formatLine(level, component, message, fields) + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

export function formatLine(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>): string {
  const time = new Date().toISOString();
  if (format === "json") return JSON.stringify({ time, level, component, message, ...fields }).replace(/[\u2028\u2029]/g, (c) => escapeControl(c));
  const extra = fields ? " " + Object.entries(fields).map(([k, v]) => `${escapeControl(k)}=${textValue(v)}`).join(" ") : "";
  return `${time} ${level.toUpperCase().padEnd(5)} [${component}] ${escapeControl(message)}${extra}`;
}

// Line breaks, other C0/C1 controls and Unicode line/paragraph separators: any of them could start a forged line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// A string value is written bare only when it cannot be mistaken for more fields.
const BARE_VALUE = /^[A-Za-z0-9._:\/@+,'()\[\]-]+$/;

/**
 * A field value as text: strings that could read as something else (spaces, '=', quotes,
 * controls, empty) are JSON-quoted, so client-supplied strings (client ids, topic names,
 * group ids) cannot forge lines or fields, as in the JSON format.
 */
export function textValue(value: unknown): string {
  if (typeof value === "string" && BARE_VALUE.test(value)) return value;
  const json = JSON.stringify(value) ?? String(value);
  return escapeControl(json);
}

/** Control characters as escapes (`\n`, `\u2028`, …); the rest unchanged. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
  });
}

/**
 * Warnings about one kind of bad input, at most `burst` lines per `intervalMs`; the rest are
 * counted and reported as one "N similar suppressed" line when the next interval opens (or
 * when the next such warning comes after it), so a fuzzer or a flood cannot fill the disk.
 */
export class RateLimitedWarn {
  private windowStartMs = -Infinity;
  private inWindow = 0;
  private suppressed = 0;
  private cancelReport: (() => void) | null = null;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
    private readonly options: { burst: number; intervalMs: number; clock: Clock; timers: Timers },
  ) {}

  warn(fields?: Record<string, unknown>): void {
    const now = this.options.clock.nowMs();
    if (now - this.windowStartMs >= this.options.intervalMs) {
      this.reportSuppressed();
      this.windowStartMs = now;
      this.inWindow = 0;
    }
    if (this.inWindow < this.options.burst) {
      this.inWindow++;
      this.log.warn(this.message, fields);
      return;
    }
    this.suppressed++;
    this.cancelReport ??= this.options.timers.after(this.windowStartMs + this.options.intervalMs - now, () => {
      this.cancelReport = null;
      this.reportSuppressed();
    });
  }

  private reportSuppressed(): void {
    this.cancelReport?.();
    this.cancelReport = null;
    if (this.suppressed === 0) return;
    this.log.warn(`${this.suppressed} similar suppressed`, { message: this.message, intervalMs: this.options.intervalMs });
    this.suppressed = 0;
  }
}

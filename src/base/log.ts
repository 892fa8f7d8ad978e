/** One line per event on stderr; `json` for machines. Every thread logs through this. */
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

function formatLine(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>): string {
  const time = new Date().toISOString();
  if (format === "json") return JSON.stringify({ time, level, component, message, ...fields });
  const extra = fields
    ? " " + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")
    : "";
  return `${time} ${level.toUpperCase().padEnd(5)} [${component}] ${message}${extra}`;
}

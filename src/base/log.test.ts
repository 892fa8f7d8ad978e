import { afterEach, expect, test } from "bun:test";
import { ManualClock } from "./clock.ts";
import { configureLog, escapeControl, formatLine, RateLimitedWarn, textValue, type Logger } from "./log.ts";
import { ManualTimers } from "./manual-timers.ts";

afterEach(() => configureLog({ format: "text" }));

const forged = "app\n2026-01-01T00:00:00.000Z ERROR [main] forged";

test("text lines: a client id with a newline stays on its line, quoted and escaped", () => {
  configureLog({ format: "text" });
  const line = formatLine("warn", "kafka", "unsupported request", { clientId: forged, apiKey: 9 });
  expect(line.split("\n")).toHaveLength(1);
  expect(line).toContain(`clientId="app\\n2026-01-01T00:00:00.000Z ERROR [main] forged"`);
  expect(line).toEndWith("apiKey=9");
});

test("text lines: values that could pose as more fields are quoted; plain ones stay bare", () => {
  expect(textValue("my-client_1.2")).toBe("my-client_1.2");
  expect(textValue("a level=error")).toBe(`"a level=error"`);
  expect(textValue("")).toBe(`""`);
  expect(textValue('say "hi"')).toBe(`"say \\"hi\\""`);
  expect(textValue(null)).toBe("null");
});

test("every control character, C1 control and line separator is escaped", () => {
  for (let code = 0; code < 0xa0; code++) {
    if (code >= 0x20 && code < 0x7f) continue;
    expect(escapeControl(String.fromCharCode(code))).toMatch(/^\\/);
  }
  expect(escapeControl("a\u2028b\u2029c")).toBe("a\\u2028b\\u2029c");
  expect(escapeControl("\r\n\t")).toBe("\\r\\n\\t");
});

test("messages with interpolated client strings are escaped too", () => {
  configureLog({ format: "text" });
  expect(formatLine("info", "kafka", `unknown topic '${forged}'`).split("\n")).toHaveLength(1);
});

test("JSON lines escape line separators as well as newlines", () => {
  configureLog({ format: "json" });
  const line = formatLine("warn", "kafka", "m", { clientId: "a\u2028b\nc" });
  expect(line).not.toMatch(/[\n\u2028]/);
  expect(JSON.parse(line).clientId).toBe("a\u2028b\nc");
});

test("a rate-limited warning writes its burst, then one 'N similar suppressed' line when the interval ends", () => {
  const clock = new ManualClock(1_000);
  const timers = new ManualTimers(clock);
  const lines: string[] = [];
  const sink: Logger = { debug() {}, info() {}, error() {}, warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`) };
  const warn = new RateLimitedWarn(sink, "closing connection after bad input", { burst: 3, intervalMs: 10_000, clock, timers });
  for (let i = 0; i < 1000; i++) warn.warn({ n: i });
  expect(lines).toHaveLength(3);
  timers.advance(9_999);
  expect(lines).toHaveLength(3);
  timers.advance(1);
  expect(lines).toHaveLength(4);
  expect(lines[3]).toStartWith("997 similar suppressed");
  warn.warn({ n: 1000 }); // a new interval: written again
  expect(lines).toHaveLength(5);
  timers.advance(60_000);
  expect(lines).toHaveLength(5); // nothing suppressed: no extra line
});

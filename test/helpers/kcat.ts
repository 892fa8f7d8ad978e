/** Runs kcat (librdkafka's command-line client) bounded by a timeout; fails with its stderr. */
import { linesOf } from "./lines.ts";

export const KCAT = process.env.KCAT_BIN ?? "/usr/bin/kcat";

export interface KcatOptions {
  stdin?: string | Uint8Array;
  timeoutMs?: number;
}

export async function kcat(args: string[], options: KcatOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const stdin = options.stdin === undefined ? "ignore" : new Blob([options.stdin]);
  const proc = Bun.spawn([KCAT, ...args], { stdin, stdout: "pipe", stderr: "pipe" });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (timedOut) throw new Error(`kcat ${args.join(" ")} timed out after ${timeoutMs} ms; stderr:\n${summarize(stderr)}`);
    if (code !== 0) throw new Error(`kcat ${args.join(" ")} exited ${code}; stderr:\n${summarize(stderr)}`);
    return stdout;
  } finally {
    clearTimeout(timer);
  }
}

/** Distinct stderr lines with their counts, at most 20: librdkafka repeats itself per message. */
function summarize(stderr: string): string {
  const counts = new Map<string, number>();
  for (const line of stderr.split("\n")) if (line.trim() !== "") counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].slice(0, 20).map(([line, n]) => (n > 1 ? `${line}  (×${n})` : line)).join("\n");
}

export interface ConsumedLine {
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: string;
}

/**
 * Consumes a whole topic from the beginning to its end (`-C -o beginning -e`), no
 * consumer group, and parses `partition \t offset \t key \t value \t headers` lines.
 * Keys and values must not contain tabs or newlines.
 */
export async function kcatConsumeAll(brokers: string[], topic: string, extra: string[] = [], timeoutMs = 30_000): Promise<ConsumedLine[]> {
  const out = await kcat(
    ["-b", brokers.join(","), "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p\t%o\t%k\t%s\t%h\n", ...extra],
    { timeoutMs },
  );
  return out
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const [partition, offset, key, value, headers] = line.split("\t");
      return { partition: Number(partition), offset: Number(offset), key, value, headers: headers ?? "" };
    });
}

/** Groups consumed lines by partition, each in consumption order. */
export function byPartition<T extends { partition: number }>(lines: T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const line of lines) {
    let group = groups.get(line.partition);
    if (group === undefined) groups.set(line.partition, (group = []));
    group.push(line);
  }
  return groups;
}

/** A kcat left running (a consumer that does not exit by itself): its output as it comes, and a stop. */
export interface RunningKcat extends AsyncDisposable {
  /** stdout lines so far. */
  readonly lines: string[];
  /** Resolves with the first stderr line matching `pattern` (e.g. a `-d fetch` debug line); fails after timeoutMs. */
  stderrLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves once stdout holds at least `count` lines; fails after timeoutMs. */
  waitForLines(count: number, timeoutMs?: number): Promise<string[]>;
}

export function spawnKcat(args: string[]): RunningKcat {
  const proc = Bun.spawn([KCAT, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  const stderrLines: string[] = [];
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const watcher of watchers) watcher();
  };
  const collect = async (stream: ReadableStream<Uint8Array>, into: string[]) => {
    for await (const line of linesOf(stream)) {
      into.push(line);
      changed();
    }
  };
  const done = Promise.all([collect(proc.stdout, lines), collect(proc.stderr, stderrLines)]);
  const until = <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(new Error(`kcat: no ${what} within ${timeoutMs} ms; stderr:\n${summarize(stderrLines.join("\n"))}`));
      }, timeoutMs);
      const watcher = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        resolve(value);
      };
      watchers.add(watcher);
      watcher();
    });
  return {
    lines,
    stderrLine: (pattern, timeoutMs = 20_000) => until(`stderr line ${pattern}`, () => stderrLines.find((l) => pattern.test(l)), timeoutMs),
    waitForLines: (count, timeoutMs = 20_000) => until(`${count} output lines`, () => (lines.length >= count ? lines.slice() : undefined), timeoutMs),
    async [Symbol.asyncDispose]() {
      proc.kill("SIGKILL");
      await proc.exited;
      await done;
    },
  };
}

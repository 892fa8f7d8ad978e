/**
 * Machine-readable benchmark results: what bench/loadgen.ts, bench/io-compare.ts and
 * bench/scaling.ts write with `--json FILE`, and what bench/plots.ts reads from bench/results/.
 * `source` says where the numbers come from: a run of the script ("run …") or numbers
 * transcribed from a table of bench/README.md ("recorded …").
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Ranks written for latency CDFs (nearest rank, like the printed p50/p99/p999). */
export const CDF_RANKS = [0.001, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999] as const;

export interface PhaseResult {
  name: string;
  mbps: number;
  /** null where a recorded table did not give it. */
  msgsPerSec: number | null;
  requestsPerSec: number | null;
  /** [rank in 0..1, latency ms] pairs, ascending. */
  latencyMs: [number, number][];
}

export interface LoadgenResult {
  kind: "loadgen";
  source: string;
  label: string;
  phases: PhaseResult[];
}

/** One batch size and backend; rateMBps null = closed loop. null MB/s or p50: not in the recorded table. */
export interface IoCompareRow { batchBytes: number; io: "uring" | "posix"; mbps: number | null; p50Ms: number | null; p99Ms: number; rateMBps: number | null }

export interface IoCompareResult {
  kind: "io-compare";
  source: string;
  label: string;
  fio: { fdatasyncMBps: number; directMBps: number };
  rounds: number;
  /** Medians over rounds, per batch size and backend. */
  medians: IoCompareRow[];
}

export interface ScalingResult {
  kind: "scaling";
  source: string;
  label: string;
  runs: { smp: number; acksAllMBps: number; acksOneMBps: number }[];
}

/**
 * A table of bench/README.md that no script writes as JSON yet (mitata runs and one-off
 * comparisons), kept as categories × series for a grouped bar chart.
 */
export interface TableResult {
  kind: "table";
  source: string;
  title: string;
  xLabel: string;
  yLabel: string;
  logY: boolean;
  categories: string[];
  series: { name: string; values: (number | null)[] }[];
}

export type BenchResult = LoadgenResult | IoCompareResult | ScalingResult | TableResult;

/** Where `--json FILE` was given (and removes it from argv so the rest parse as before). */
export function takeJsonFlag(argv: string[]): string | null {
  const at = argv.indexOf("--json");
  if (at < 0) return null;
  const file = argv[at + 1];
  if (file === undefined || file.startsWith("--")) throw new Error("--json wants a file name");
  argv.splice(at, 2);
  return file;
}

/** "run YYYY-MM-DD: bun run SCRIPT ARGS" without the --json flag: a result's `source`. */
export function runSource(script: string, argv: readonly string[]): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--json") i++;
    else if (!argv[i]!.startsWith("--json=")) args.push(argv[i]!);
  }
  return `run ${new Date().toISOString().slice(0, 10)}: bun run ${[script, ...args].join(" ")}`;
}

export function writeResult(file: string, result: BenchResult): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`results written to ${file}`);
}

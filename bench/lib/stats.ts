/** Per-phase counters of the load generator and how they are printed. */
import { CDF_RANKS, type PhaseResult } from "./results.ts";

/** Latencies of one phase, kept whole (a few hundred thousand at most) so percentiles are exact. */
export class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private count = 0;

  record(latencyMs: number): void {
    if (this.count === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.count++] = latencyMs;
  }

  /** Nearest-rank percentiles, e.g. [0.5, 0.99, 0.999]; NaN when nothing was recorded. */
  percentiles(ranks: readonly number[]): number[] {
    const sorted = this.values.slice(0, this.count).sort();
    return ranks.map((p) => (this.count === 0 ? NaN : sorted[Math.min(this.count - 1, Math.ceil(p * this.count) - 1)]!));
  }
}

export class PhaseStats {
  readonly latency = new LatencyRecorder();
  readonly errors = new Map<string, number>();
  requests = 0;
  /** Record-batch bytes acknowledged (produce) or received (fetch). */
  batchBytes = 0;
  records = 0;
  startedAtMs = performance.now();
  lastResponseAtMs = this.startedAtMs;

  error(name: string, count = 1): void {
    this.errors.set(name, (this.errors.get(name) ?? 0) + count);
  }

  get errorCount(): number {
    let n = 0;
    for (const c of this.errors.values()) n += c;
    return n;
  }

  get elapsedSeconds(): number {
    return Math.max(1e-9, (this.lastResponseAtMs - this.startedAtMs) / 1000);
  }
}

export interface CpuSample {
  wallSeconds: number;
  loadgenCpuSeconds: number;
  brokerCpuSeconds: number | null;
}

export function sampleCpu(brokerCpuSeconds: () => number | null): CpuSample {
  const usage = process.cpuUsage();
  return {
    wallSeconds: performance.now() / 1000,
    loadgenCpuSeconds: (usage.user + usage.system) / 1e6,
    brokerCpuSeconds: brokerCpuSeconds(),
  };
}

export function formatPhase(name: string, s: PhaseStats, before: CpuSample, after: CpuSample): string {
  const seconds = s.elapsedSeconds;
  const [p50, p99, p999] = s.latency.percentiles([0.5, 0.99, 0.999]);
  const wall = after.wallSeconds - before.wallSeconds;
  const loadgenCpu = (after.loadgenCpuSeconds - before.loadgenCpuSeconds) / wall;
  const brokerCpu = after.brokerCpuSeconds === null || before.brokerCpuSeconds === null
    ? "unknown (pass --broker-pid)"
    : `${pct((after.brokerCpuSeconds - before.brokerCpuSeconds) / wall)} of one core`;
  const errors = s.errorCount === 0 ? "0" : `${s.errorCount} (${[...s.errors].map(([k, v]) => `${k}×${v}`).join(", ")})`;
  return [
    `${name}: ${seconds.toFixed(2)} s`,
    `  throughput  ${(s.batchBytes / seconds / 1e6).toFixed(1)} MB/s   ${fmt(s.records / seconds)} msgs/s   ${fmt(s.requests / seconds)} requests/s`,
    `  latency     p50 ${ms(p50!)}   p99 ${ms(p99!)}   p999 ${ms(p999!)}   (${fmt(s.requests)} requests, send → response)`,
    `  cpu         loadgen ${pct(loadgenCpu)} of one core, broker ${brokerCpu}`,
    `  errors      ${errors}`,
  ].join("\n");
}

/** The phase as bench/results/ keeps it (for `--json`): rates and the latency CDF. */
export function phaseResult(name: string, s: PhaseStats): PhaseResult {
  const seconds = s.elapsedSeconds;
  const latencies = s.latency.percentiles(CDF_RANKS);
  return {
    name,
    mbps: round(s.batchBytes / seconds / 1e6, 1),
    msgsPerSec: Math.round(s.records / seconds),
    requestsPerSec: Math.round(s.requests / seconds),
    latencyMs: CDF_RANKS.map((rank, i) => [rank, round(latencies[i]!, 3)]),
  };
}

const round = (v: number, decimals: number) => Number(v.toFixed(decimals));
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (fraction: number) => `${(fraction * 100).toFixed(0)}%`;
const ms = (v: number) => (Number.isNaN(v) ? "-" : `${v.toFixed(2)} ms`);

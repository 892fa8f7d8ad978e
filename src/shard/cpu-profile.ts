/**
 * A shard's CPU profile for operators (Redpanda's /v1/debug/cpu_profile): JavaScriptCore's
 * sampling profiler runs on the shard's own thread for a while, and the samples come back
 * summarized per function, by self time (the innermost frame) and inclusive time (anywhere on
 * the stack). Samples are only taken while JavaScript runs; time in the kernel, in Bun's native
 * socket and timer code and in io_uring is not in them (use perf for that).
 */
import { profile } from "bun:jsc";

export const CPU_PROFILE_WAIT_MS_MAX = 60_000;
export const CPU_PROFILE_INTERVAL_US_MIN = 100;
const TOP_FUNCTIONS = 40;

export interface CpuProfileRow {
  /** `name (file:line)`; native functions have no file. */
  fn: string;
  samples: number;
}

export interface CpuProfileSummary {
  intervalUs: number;
  waitMs: number;
  samples: number;
  self: CpuProfileRow[];
  inclusive: CpuProfileRow[];
}

interface Frame {
  name: string;
  sourceURL?: string;
  line: number;
}

export async function profileShard(waitMs: number, intervalUs: number): Promise<CpuProfileSummary> {
  const result = await profile(() => Bun.sleep(waitMs), intervalUs);
  return summarize(result.stackTraces.traces, waitMs, intervalUs);
}

/** Counts, per function, the samples it was innermost in and the samples it was anywhere in. */
export function summarize(traces: ReadonlyArray<{ frames: readonly Frame[] }>, waitMs: number, intervalUs: number): CpuProfileSummary {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let samples = 0;
  for (const { frames } of traces) {
    if (frames.length === 0) continue;
    samples++;
    const seen = new Set<string>();
    frames.forEach((frame, depth) => {
      const fn = describe(frame);
      if (depth === 0) self.set(fn, (self.get(fn) ?? 0) + 1);
      if (!seen.has(fn)) {
        seen.add(fn);
        inclusive.set(fn, (inclusive.get(fn) ?? 0) + 1);
      }
    });
  }
  return { intervalUs, waitMs, samples, self: top(self), inclusive: top(inclusive) };
}

function describe(frame: Frame): string {
  const name = frame.name === "" ? "(anonymous)" : frame.name;
  if (frame.sourceURL === undefined) return name;
  const file = frame.sourceURL.replace(/^.*\/src\//, "src/");
  return `${name} (${file}:${frame.line})`;
}

function top(counts: Map<string, number>): CpuProfileRow[] {
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS).map(([fn, samples]) => ({ fn, samples }));
}

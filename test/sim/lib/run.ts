/** One simulation run from a seed to a result: what the CLI, the tests and the soak share. */
import { plantedBugs, resetPlantedBugs, type PlantedBugs } from "../../../src/raft/planted-bugs.ts";
import { Cluster, defaultTimings, type SimOptions } from "./cluster.ts";

export interface SimResult {
  seed: number;
  steps: number;
  nodes: number;
  elections: number;
  committed: number;
  acked: number;
  faults: number;
  /** Kafka compaction passes that rewrote segments (0 when the seed does not compact). */
  compactions: number;
  virtualMs: number;
  traceHash: string;
  violation: { property: string; detail: string } | null;
  traceTail: string[];
}

export type RunOptions = Partial<SimOptions> & { seed: number; steps: number; bug?: keyof PlantedBugs };

export async function runSim(options: RunOptions): Promise<SimResult> {
  const opts: SimOptions = { nodes: 3, faults: true, ...defaultTimings, ...options };
  resetPlantedBugs();
  if (options.bug) plantedBugs[options.bug] = true;
  try {
    const cluster = new Cluster(opts);
    await cluster.run();
    const v = cluster.violation;
    return {
      seed: opts.seed,
      steps: cluster.scheduler.stepsRun,
      nodes: opts.nodes,
      elections: cluster.checker.elections,
      committed: cluster.checker.committedEntries,
      acked: cluster.workload.acknowledged,
      faults: cluster.faults.total(),
      compactions: cluster.compaction?.passes ?? 0,
      virtualMs: cluster.scheduler.nowMs(),
      traceHash: cluster.trace.hex(),
      violation: v ? { property: v.property, detail: v.detail } : null,
      traceTail: v ? cluster.trace.last() : [],
    };
  } finally {
    resetPlantedBugs();
  }
}

export function summaryLine(r: SimResult): string {
  return `raft-sim: seed=${r.seed} steps=${r.steps} nodes=${r.nodes} elections=${r.elections} committed=${r.committed} faults=${r.faults} violations=${r.violation ? 1 : 0}`;
}

/** What a failing run prints: enough to reproduce and read it. */
export function violationReport(r: SimResult): string {
  if (!r.violation) return "";
  const lines = [`VIOLATION seed=${r.seed} property=${r.violation.property}`, `  ${r.violation.detail}`, `reproduce: bun run test/sim/raft.ts --seed ${r.seed} --steps ${r.steps} --nodes ${r.nodes}`, `last ${r.traceTail.length} trace lines:`];
  for (const line of r.traceTail) lines.push(`  ${line}`);
  return lines.join("\n");
}

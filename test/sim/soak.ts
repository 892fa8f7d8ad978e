/**
 * Soak: runs simulator seeds one after another until stopped (Ctrl-C) or for --seconds, then
 * reports seeds run, total steps, steps per second and violations; exits 1 at the first violation,
 * printing its seed and trace.
 *   bun run test/sim/soak.ts [--seconds N] [--nodes 3|5] [--steps S] [--first-seed N]
 * Without --nodes, seeds alternate between 3 and 5 nodes. Seeds count up from --first-seed
 * (default: derived from the start time, printed).
 */
import { parseArgs } from "node:util";
import { runSim, summaryLine, violationReport } from "./lib/run.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string" }, nodes: { type: "string" }, steps: { type: "string" }, "first-seed": { type: "string" } },
  strict: true,
});
const secondsMax = values.seconds === undefined ? Number.POSITIVE_INFINITY : Number(values.seconds);
const nodesFixed = values.nodes === undefined ? null : Number(values.nodes);
const stepsPerSeed = Number(values.steps ?? 20_000);
if (!(secondsMax > 0) || (nodesFixed !== null && nodesFixed !== 3 && nodesFixed !== 5) || !(stepsPerSeed > 0)) {
  console.error("usage: bun run test/sim/soak.ts [--seconds N] [--nodes 3|5] [--steps S] [--first-seed N]");
  process.exit(2);
}
const firstSeed = values["first-seed"] === undefined ? Date.now() % 1_000_000_000 : Number(values["first-seed"]);

let seeds = 0;
let steps = 0;
let stopping = false;
const startMs = performance.now();
process.on("SIGINT", () => {
  stopping = true;
});

function report(final: boolean): void {
  const seconds = (performance.now() - startMs) / 1000;
  const rate = Math.round(steps / seconds);
  console.log(`raft-soak${final ? "" : " (running)"}: seeds=${seeds} steps=${steps} seconds=${seconds.toFixed(0)} steps/s=${rate} violations=0 first-seed=${firstSeed} last-seed=${firstSeed + seeds - 1}`);
}

console.log(`raft-soak: first seed ${firstSeed}, ${stepsPerSeed} steps per seed, nodes ${nodesFixed ?? "3 and 5"}`);
let lastReportMs = performance.now();
while (!stopping && (performance.now() - startMs) / 1000 < secondsMax) {
  const seed = firstSeed + seeds;
  const nodes = nodesFixed ?? (seeds % 2 === 0 ? 3 : 5);
  const result = await runSim({ seed, steps: stepsPerSeed, nodes });
  seeds++;
  steps += result.steps;
  if (result.violation) {
    console.log(violationReport(result));
    console.log(summaryLine(result));
    console.log(`raft-soak: FAILED at seed ${seed} (nodes=${nodes}) after ${seeds} seeds, ${steps} steps`);
    process.exit(1);
  }
  if (performance.now() - lastReportMs > 30_000) {
    report(false);
    lastReportMs = performance.now();
  }
}
report(true);

/**
 * The deterministic Raft simulator's command line:
 *   bun run test/sim/raft.ts --seed N --steps S [--nodes 3|5] [--trace] [--calm] [--bug NAME]
 * Runs the real src/raft code on 3 or 5 simulated nodes from one seed; the last line is the
 * summary; a violation prints the seed, the property and the trace tail, and exits 1.
 */
import { parseArgs } from "node:util";
import { plantedBugs, type PlantedBugs } from "../../src/raft/planted-bugs.ts";
import { runSim, summaryLine, violationReport } from "./lib/run.ts";

const BUGS = Object.keys(plantedBugs) as Array<keyof PlantedBugs>;

function usage(problem: string): never {
  console.error(`raft-sim: ${problem}\nusage: bun run test/sim/raft.ts --seed N --steps S [--nodes 3|5] [--trace] [--calm] [--bug ${BUGS.join("|")}]`);
  process.exit(2);
}

function positiveInt(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) usage(`--${name} is required`);
    return fallback;
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) usage(`--${name} must be a non-negative integer, got ${text}`);
  return n;
}

const { values } = parseArgs({
  options: { seed: { type: "string" }, steps: { type: "string" }, nodes: { type: "string" }, trace: { type: "boolean" }, calm: { type: "boolean" }, bug: { type: "string" } },
  strict: true,
});
const seed = positiveInt("seed", values.seed);
const steps = positiveInt("steps", values.steps);
const nodes = positiveInt("nodes", values.nodes, 3);
if (nodes !== 3 && nodes !== 5) usage("--nodes must be 3 or 5");
const bug = values.bug as keyof PlantedBugs | undefined;
if (bug !== undefined && !BUGS.includes(bug)) usage(`unknown --bug ${bug}`);

const result = await runSim({ seed, steps, nodes, faults: !values.calm, bug, echo: values.trace ? (line) => console.log(line) : undefined });
if (result.violation) console.log(violationReport(result));
console.log(`trace-hash=${result.traceHash} acked=${result.acked} virtual-ms=${result.virtualMs.toFixed(0)} compactions=${result.compactions}`);
console.log(summaryLine(result));
process.exit(result.violation ? 1 : 0);

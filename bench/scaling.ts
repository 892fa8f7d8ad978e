/**
 * Does a second shard pay? Runs the load generator against dist/skua with --smp 1 and then
 * --smp 2 (same topic shape, connections and batch size) and prints produce MB/s for each and
 * the ratio. Extra flags go to the load generator; --json FILE writes both runs for bench/plots.ts.
 * Run: bun run bench/scaling.ts [--seconds 5] [--partitions 12] [--connections 4] [--json FILE]
 */
import { join } from "node:path";
import { runSource, takeJsonFlag, writeResult } from "./lib/results.ts";

const REPO_DIR = join(import.meta.dir, "..");
const extra = process.argv.slice(2);
const jsonFile = takeJsonFlag(extra);

function produceMBps(output: string, acks: string): number {
  const section = output.split(`produce acks=${acks}:`)[1] ?? "";
  return Number(section.match(/throughput\s+([0-9.]+) MB\/s/)?.[1] ?? NaN);
}

const results: Record<number, { acksAll: number; acksOne: number }> = {};
for (const smp of [1, 2]) {
  const run = Bun.spawnSync(["bun", "run", join(REPO_DIR, "bench/loadgen.ts"), "--smp", String(smp), "--partitions", "12", "--connections", "4", ...extra], {
    cwd: REPO_DIR,
    env: { ...process.env, PATH: `${join(REPO_DIR, "node_modules/.bin")}:${process.env.PATH}` },
  });
  const output = run.stdout.toString();
  console.log(`===== --smp ${smp}\n${output}`);
  if (run.exitCode !== 0) throw new Error(`loadgen --smp ${smp} failed: ${run.stderr.toString()}`);
  results[smp] = { acksAll: produceMBps(output, "-1"), acksOne: produceMBps(output, "1") };
}
console.log("===== scaling, produce MB/s (same run)");
for (const key of ["acksAll", "acksOne"] as const) {
  const label = key === "acksAll" ? "acks=-1" : "acks=1 ";
  console.log(`  ${label}  --smp 1 ${results[1][key].toFixed(1)}   --smp 2 ${results[2][key].toFixed(1)}   ratio ${(results[2][key] / results[1][key]).toFixed(2)}x`);
}
if (jsonFile !== null) {
  writeResult(jsonFile, {
    kind: "scaling", source: runSource("bench/scaling.ts", process.argv.slice(2)), label: extra.length === 0 ? "defaults" : extra.join(" "),
    runs: [1, 2].map((smp) => ({ smp, acksAllMBps: results[smp]!.acksAll, acksOneMBps: results[smp]!.acksOne })),
  });
}

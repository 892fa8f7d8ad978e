/**
 * Long crash test: `bun run bench/crash-soak.ts --cycles N --io uring|posix [--seed S]`.
 * Each cycle produces with acks=-1 against dist/skua, kill -9s it at a random moment,
 * restarts it and verifies every record acknowledged so far (see test/helpers/crash-cycles.ts).
 * Prints cycles run and records verified; exits 1 on any lost, moved or invented record.
 */
import { parseArgs } from "node:util";
import { runCrashCycles } from "../test/helpers/crash-cycles.ts";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "20" },
    io: { type: "string", default: "uring" },
    seed: { type: "string" },
    "kill-after-ms-max": { type: "string", default: "1000" },
  },
});
const io = values.io;
if (io !== "uring" && io !== "posix") {
  console.error("crash-soak: --io must be uring or posix");
  process.exit(2);
}
const cycles = Number(values.cycles);
const seed = values.seed ? Number(values.seed) : Date.now() >>> 0;
console.log(`crash-soak: --io ${io}, ${cycles} cycles, seed ${seed}`);
const startedMs = Date.now();
const result = await runCrashCycles({ io, cycles, seed, killAfterMsMax: Number(values["kill-after-ms-max"]), log: (line) => console.log(line) });
const seconds = ((Date.now() - startedMs) / 1000).toFixed(1);
console.log(`crash-soak --io ${io}: ${result.cycles} cycles in ${seconds} s; ${result.verifiedRecords} of ${result.ackedRecords} acknowledged records verified; problems: ${result.problems.length}`);
for (const p of result.problems.slice(0, 20)) console.log(`  ${p}`);
process.exit(result.problems.length === 0 && result.verifiedRecords === result.ackedRecords ? 0 : 1);

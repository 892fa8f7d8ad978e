/**
 * kill -9 at random moments of compaction: `bun run bench/compaction-crash.ts --cycles 20 [--seed S]`.
 * Each cycle produces keyed records to a compacted topic with small segments, kills the broker while
 * compaction passes run, restarts it and checks every key's latest acknowledged value
 * (test/helpers/compaction-crash.ts). Exits 1 on any wrong value.
 */
import { parseArgs } from "node:util";
import { startBroker } from "../test/helpers/broker.ts";
import { runCompactionCrashCycles } from "../test/helpers/compaction-crash.ts";

const { values } = parseArgs({ options: { cycles: { type: "string", default: "20" }, seed: { type: "string" } } });
const cycles = Number(values.cycles);
const seed = values.seed ? Number(values.seed) : Date.now() >>> 0;
console.log(`compaction-crash: ${cycles} cycles, seed ${seed}`);
const startedMs = Date.now();
await using broker = await startBroker({ smp: 1, sets: { log_compaction_interval_ms: 20 } });
const result = await runCompactionCrashCycles(broker, { cycles, seed, log: (line) => console.log(line) });
const seconds = ((Date.now() - startedMs) / 1000).toFixed(1);
console.log(`compaction-crash: ${result.cycles} kill -9 cycles in ${seconds} s; ${result.recordsAcked} records acknowledged; ${result.keysVerified} key checks; compaction passes logged before the kills: ${result.passesLogged}; problems: ${result.problems.length}`);
for (const p of result.problems.slice(0, 20)) console.log(`  ${p}`);
process.exitCode = result.problems.length === 0 ? 0 : 1;

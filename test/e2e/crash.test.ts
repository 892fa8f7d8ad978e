/**
 * Crash safety on both disk backends: kill -9 of dist/skua at random moments during acks=-1
 * production, restart, and every acknowledged record is at its offset with its bytes; offsets
 * dense. Seeded (printed); the long version is `bun run bench/crash-soak.ts`.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { runCrashCycles } from "../helpers/crash-cycles.ts";

setDefaultTimeout(30_000);

const CYCLES = 3;

for (const io of ["uring", "posix"] as const) {
  const seed = process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : Date.now() >>> 0;
  test(`--io ${io}: ${CYCLES} kill -9 cycles lose no acknowledged record (seed ${seed})`, async () => {
    console.log(`crash test --io ${io} seed=${seed}`);
    const result = await runCrashCycles({ io, cycles: CYCLES, seed, log: (line) => console.log(`  ${io}: ${line}`) });
    expect(result.backendsSeen).toEqual([io]);
    expect(result.problems.slice(0, 10)).toEqual([]);
    expect(result.ackedRecords).toBeGreaterThan(0);
    expect(result.verifiedRecords).toBe(result.ackedRecords);
  });
}

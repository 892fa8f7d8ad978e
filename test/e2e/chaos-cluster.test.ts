/**
 * A short chaos run in the suite: `test/chaos/cluster.ts` with a fixed seed, 3 nodes, 2 fault
 * cycles drawn from kill, pause, isolate, restart, cut (network namespaces), as a user runs it; it must exit
 * 0 with nothing lost, duplicated or diverged, and the consumer group's committed offsets never
 * moving backwards (groups live in the replicated __consumer_offsets). The long runs are in
 * test/README.md.
 */
import { expect, test } from "bun:test";
import { runChaosCommand } from "../chaos/run.ts";

const SEED = 11;
const CYCLES = 2; // seed 11: isolate, then kill (its third cycle was isolate again)

test(`chaos: seed ${SEED}, 3 nodes, ${CYCLES} cycles: nothing lost, duplicated or diverged`, async () => {
  const { code, last } = await runChaosCommand("cluster.ts", ["--seed", String(SEED), "--nodes", "3", "--cycles", String(CYCLES)], 110_000);
  expect(last).toMatch(new RegExp(`^chaos: seed=${SEED} nodes=3 cycles=${CYCLES} acked=[1-9]\\d* lost=0 duplicated=0 diverged=0$`));
  expect(code).toBe(0);
}, 120_000);

/**
 * A short transactional chaos run in the suite: `test/chaos/cluster.ts --transactions` with a
 * fixed seed, 3 nodes, 2 fault cycles, as a user runs it. Transactional kafkajs producers commit
 * and abort over 1-3 partitions with their group offsets, a read_committed group reads meanwhile;
 * it must exit 0 with no committed record lost, no aborted one read (kcat's read_committed final
 * read and the group's), no transaction half visible, no offset without its records, and no
 * replica diverged. The long runs are in test/README.md.
 */
import { expect, test } from "bun:test";
import { runChaosCommand } from "../chaos/run.ts";

const SEED = 22;
const CYCLES = 2; // seed 22 drawing from kill and restart: restart 1, then kill 0

test(`transactional chaos: seed ${SEED}, 3 nodes, ${CYCLES} cycles: nothing lost, no aborted read, nothing half visible`, async () => {
  const { code, last } = await runChaosCommand("cluster.ts", ["--seed", String(SEED), "--nodes", "3", "--cycles", String(CYCLES), "--faults", "kill,restart", "--transactions"], 110_000);
  expect(last).toMatch(new RegExp(`^chaos: seed=${SEED} nodes=3 cycles=${CYCLES} transactions=\\d+ committed=[1-9]\\d* lost=0 aborted-reads=0 partial=0 duplicated=0 diverged=0$`));
  expect(code).toBe(0);
}, 120_000);

/**
 * Grow and shrink under load in the suite (issue 13, item 7): `test/chaos/grow.ts` as a user runs
 * it, 3 founders → 5 (two join through the seeds, the partition balancer evens the replica
 * counts) → 3 (nodes 0 and 1, founders and controller voters, are decommissioned one after the
 * other and leave), idempotent acks=-1 producers running throughout; it must exit 0 with nothing
 * lost, duplicated or diverged. No consumer group here (`--no-group`): its 50 `__consumer_offsets`
 * partitions would be most of what moves and take the run past the suite's budget; the run with
 * the group is in test/README.md.
 */
import { expect, test } from "bun:test";
import { runChaosCommand } from "../chaos/run.ts";

const SEED = 5;

test(`grow and shrink: seed ${SEED}, 3 -> 5 -> 3 nodes under acks=-1 produce: nothing lost, duplicated or diverged`, async () => {
  const args = ["--seed", String(SEED), "--partitions", "3", "--baseline-ms", "2000", "--step-timeout-ms", "20000", "--no-group"];
  const { code, stdout, last } = await runChaosCommand("grow.ts", args, 55_000);
  expect(stdout).toMatch(/balanced on 5 nodes in/);
  expect(stdout).toMatch(/node 1 decommissioned and left in/);
  expect(last).toMatch(new RegExp(`^chaos: seed=${SEED} nodes=3->5->3 acked=[1-9]\\d* lost=0 duplicated=0 diverged=0$`));
  expect(code).toBe(0);
}, 60_000);

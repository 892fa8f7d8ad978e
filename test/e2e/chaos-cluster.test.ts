/**
 * A short chaos run in the suite: `test/chaos/cluster.ts` with a fixed seed, 3 nodes, 4 fault
 * cycles (network namespaces: kill, pause, isolate, restart, cut), as a user runs it; it must exit
 * 0 with nothing lost, duplicated or diverged, and the consumer group's committed offsets never
 * moving backwards (groups live in the replicated __consumer_offsets). The long runs are in
 * test/README.md.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/broker.ts";

const SEED = 11;
const CYCLES = 4;

test(`chaos: seed ${SEED}, 3 nodes, ${CYCLES} cycles: nothing lost, duplicated or diverged`, async () => {
  const proc = Bun.spawn(["bun", "run", join(REPO_ROOT, "test/chaos/cluster.ts"), "--seed", String(SEED), "--nodes", "3", "--cycles", String(CYCLES)], {
    stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH: `${join(REPO_ROOT, "node_modules/.bin")}:${process.env.PATH}` },
  });
  const timer = setTimeout(() => proc.kill("SIGINT"), 110_000); // SIGINT: the run removes its namespaces
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0) console.log(stdout.slice(-8000), stderr.slice(-4000));
  expect(last).toMatch(new RegExp(`^chaos: seed=${SEED} nodes=3 cycles=${CYCLES} acked=[1-9]\\d* lost=0 duplicated=0 diverged=0$`));
  expect(code).toBe(0);
}, 120_000);

/**
 * How fast a restarted node gets its share of leaderships back (issue 13, item 4): three
 * `dist/skua` nodes (helpers/cluster.ts), a topic of `--partitions` partitions at RF=3; each
 * round kills one node with kill -9 (round-robin), waits until the others lead everything,
 * restarts it, and times from its ready until leader counts differ by at most one (the leader
 * balancer's default timings unless `--set name=value` overrides them).
 *
 *     bun run bench/leader-recovery.ts [--partitions 48] [--rounds 3] [--set leader_balancer_idle_timeout=2000]
 */
import { withAdmin } from "../test/chaos/workload.ts";
import { startCluster } from "../test/helpers/cluster.ts";
import { evenCounts, killAndRestart, leaderCounts, waitForLeaders } from "../test/helpers/leaders.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const partitions = Number(option("partitions", "48"));
const rounds = Number(option("rounds", "3"));
const sets: Record<string, string> = {};
args.forEach((a, i) => {
  if (a !== "--set") return;
  const [name, value] = args[i + 1]!.split("=");
  sets[name!] = value!;
});
const TOPIC = "leader-recovery";
const BOUND_MS = 120_000;

await using cluster = await startCluster({ nodes: 3, sets });
const ids = cluster.nodes.map((n) => n.id);
await withAdmin(cluster.bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: true }));
const wait = (what: string, done: Parameters<typeof waitForLeaders>[4]) => waitForLeaders(cluster.bootstrap, TOPIC, partitions, what, done, BOUND_MS);
await wait("every replica in sync, counts even", (s) => s.every((p) => p.isr.length === 3) && evenCounts(leaderCounts(s, ids)));
const results: Array<{ victim: number; fromReadyMs: number; fromKillMs: number; counts: number[] }> = [];
for (let round = 0; round < rounds; round++) {
  const victim = ids[round % ids.length]!;
  const { killedAtMs, readyAtMs } = await killAndRestart(cluster, victim, TOPIC, partitions);
  const state = await wait("even leader counts again", (s) => evenCounts(leaderCounts(s, ids)));
  const now = Date.now();
  results.push({ victim, fromReadyMs: now - readyAtMs, fromKillMs: now - killedAtMs, counts: leaderCounts(state, ids) });
  console.log(`round ${round + 1}: node ${victim} killed; counts ${leaderCounts(state, ids).join(",")} ${now - readyAtMs} ms after its restart was ready (${now - killedAtMs} ms after the kill)`);
}
const sorted = results.map((r) => r.fromReadyMs).sort((a, b) => a - b);
console.log(`${partitions} partitions RF=3, ${rounds} rounds: from ready to even leader counts median ${sorted[Math.floor((sorted.length - 1) / 2)]} ms, max ${sorted[sorted.length - 1]} ms`);

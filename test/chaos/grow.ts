/**
 * Grow and shrink under load (issue 13, item 7), against a real skua cluster on this machine:
 *   bun run test/chaos/grow.ts --seed N [--nodes 3] [--grow 5] [--partitions 6]
 * Starts `--nodes` founders, creates the chaos topic (RF 3), runs the chaos load (workload.ts:
 * idempotent acks=-1 producers and a consumer group); after a baseline it joins the spares one
 * after the other (through the founders' seeds) and waits until the partition balancer evened the
 * replica counts (max − min ≤ 1, no move left); then decommissions as many nodes (by default the
 * lowest ids: founders, controller voters among them), one after the other, each until it left the
 * cluster, and stops it. Then the chaos end (run.ts): stop the load, settle, read every partition,
 * compare the replicas' disks. Prints the produce latency of the baseline against that during the
 * moves (acknowledged sends by their start time), and last
 *   chaos: seed=N nodes=3->5->3 acked=A lost=L duplicated=D diverged=V
 * exiting 1 if anything failed.
 */
import { parseArgs } from "node:util";
import { pollUntil } from "../helpers/broker.ts";
import { startCluster, type Cluster, type ClusterNetwork } from "../helpers/cluster.ts";
import type { History } from "./history.ts";
import { topicState } from "./workload.ts";
import { createTopic, dumpNodes, helpExit, intOption, log, networkOption, startLoad, TOPIC } from "./run.ts";

const usage = `Usage: bun run test/chaos/grow.ts [options]
  --seed N                 the producers' keys (default: random, printed)
  --nodes N                founders, at least 3 (default 3)
  --grow N                 nodes after growing (default nodes + 2); then as many are decommissioned
  --decommission IDS       which nodes leave, in order (default the lowest ids)
  --partitions N           partitions of the topic, RF 3 (default 6)
  --producers N            concurrent idempotent producers (default 3)
  --keys N                 distinct keys (default 8)
  --baseline-ms N          load before the first join, the latency baseline (default 5000)
  --step-timeout-ms N      how long balancing or one decommission may take (default 120000)
  --no-group               no consumer group (no __consumer_offsets: its 50 partitions are most of what moves)
  --network netns|loopback default netns when root
  --set KEY=VALUE          cluster property for every node, repeatable (e.g. raft_learner_recovery_rate=1048576)`;

interface Options {
  seed: number; nodes: number; grow: number; decommission: number[] | null; partitions: number; producers: number; keys: number;
  group: boolean; baselineMs: number; stepTimeoutMs: number; network: ClusterNetwork | undefined; sets: Record<string, string>;
}

const REPLICATION_FACTOR = 3;
const POLL_MS = 250;
const SETTLE_TIMEOUT_MS = 60_000;
const GROUP_TOPIC = "__consumer_offsets";

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: "string" }, nodes: { type: "string" }, grow: { type: "string" }, decommission: { type: "string" }, partitions: { type: "string" },
      producers: { type: "string" }, keys: { type: "string" }, "baseline-ms": { type: "string" }, "step-timeout-ms": { type: "string" },
      network: { type: "string" }, "no-group": { type: "boolean" }, set: { type: "string", multiple: true }, help: { type: "boolean" },
    },
  });
  helpExit(values.help, usage);
  const int = intOption;
  const nodes = int("nodes", values.nodes, 3, 3);
  const grow = int("grow", values.grow, nodes + 2, nodes + 1);
  const network = networkOption(values.network);
  const decommission = values.decommission === undefined ? null : values.decommission.split(",").map((id) => int("decommission", id, 0, 0));
  if (decommission !== null && (decommission.length !== grow - nodes || decommission.some((id) => id >= grow))) {
    throw new Error(`--decommission needs ${grow - nodes} node ids below ${grow}`);
  }
  const sets: Record<string, string> = {};
  for (const kv of values.set ?? []) {
    const at = kv.indexOf("=");
    if (at <= 0) throw new Error(`--set wants KEY=VALUE, got '${kv}'`);
    sets[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return {
    seed: int("seed", values.seed, Math.floor(Math.random() * 1_000_000), 0), nodes, grow, decommission,
    partitions: int("partitions", values.partitions, 6), producers: int("producers", values.producers, 3), keys: int("keys", values.keys, 8),
    group: !(values["no-group"] ?? false), baselineMs: int("baseline-ms", values["baseline-ms"], 5000), stepTimeoutMs: int("step-timeout-ms", values["step-timeout-ms"], 120_000),
    network: network, sets,
  };
}

/** GET on a running node's admin API (any that answers); JSON. */
async function adminGet<T>(cluster: Cluster, path: string): Promise<T> {
  let lastError: unknown = null;
  for (const node of cluster.nodes) {
    if (node.state !== "running") continue;
    try {
      const answer = await fetch(`${node.adminUrl}${path}`, { signal: AbortSignal.timeout(5000) });
      if (answer.status === 200) return (await answer.json()) as T;
      lastError = new Error(`GET ${path} via node ${node.id}: ${answer.status} ${await answer.text()}`);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError ?? new Error(`GET ${path}: no running node`);
}

/** The topics whose replicas the balancer moves here: the chaos topic, and the group's `__consumer_offsets` (50 partitions). */
let balancedTopics = [TOPIC];

/** Replicas per member node over `balancedTopics` (the balancer counts every partition alike), from Metadata. */
async function replicaCounts(cluster: Cluster): Promise<Map<number, number>> {
  const counts = new Map(cluster.nodes.map((n) => [n.id, 0]));
  for (const topic of balancedTopics) {
    for (const p of await topicState(cluster.bootstrap, topic)) for (const id of p.replicas) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const show = (counts: Map<number, number>) => [...counts].map(([id, n]) => `${id}:${n}`).join(" ");

async function waitBalanced(cluster: Cluster, timeoutMs: number): Promise<Map<number, number>> {
  return pollUntil("replica counts within one of each other, no move left", async () => {
    const moves = await adminGet<unknown[]>(cluster, "/v1/partitions/reconfigurations");
    if (moves.length > 0) return undefined;
    const counts = await replicaCounts(cluster);
    const values = [...counts.values()];
    return Math.max(...values) - Math.min(...values) <= 1 ? counts : undefined;
  }, timeoutMs, POLL_MS);
}

async function decommission(cluster: Cluster, id: number, timeoutMs: number): Promise<void> {
  const via = cluster.nodes.find((n) => n.id !== id && n.state === "running");
  if (via === undefined) throw new Error("no other running node to ask");
  const answer = await fetch(`${via.adminUrl}/v1/brokers/${id}/decommission`, { method: "PUT", headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(5000) });
  if (answer.status !== 200) throw new Error(`decommission ${id}: ${answer.status} ${await answer.text()}`);
  await pollUntil(`node ${id} drained and removed`, async () => {
    const progress = await adminGet<{ status: string; replicas_left: number }>(cluster, `/v1/brokers/${id}/decommission`);
    return progress.status === "removed" ? progress : undefined;
  }, timeoutMs, POLL_MS);
}

interface LatencySummary { sends: number; failed: number; p50: number; p99: number; max: number }

/** Produce latency of the sends started in [fromMs, toMs): acknowledged ones' percentiles, failed ones counted. */
function latency(history: History, fromMs: number, toMs: number): LatencySummary {
  const started = history.attempts.filter((a) => a.sentAtMs !== undefined && a.sentAtMs >= fromMs && a.sentAtMs < toMs);
  const ms = started.flatMap((a) => (a.ackedAtMs === undefined ? [] : [a.ackedAtMs - a.sentAtMs!])).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? NaN;
  return { sends: started.length, failed: started.length - ms.length, p50: at(0.5), p99: at(0.99), max: ms.at(-1) ?? NaN };
}

const describe = (name: string, l: LatencySummary, spanMs: number) =>
  `${name} (${(spanMs / 1000).toFixed(1)} s): ${l.sends} sends, ${l.failed} failed, p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms`;

async function run(cluster: Cluster, o: Options, problems: string[], clock: () => number): Promise<number> {
  log(`seed ${o.seed}: ${o.nodes} founders on ${cluster.network}, spares ${cluster.spareIds.join(",")}`);
  await createTopic(cluster, o.partitions, REPLICATION_FACTOR);
  log(`topic ${TOPIC}: ${o.partitions} partitions, RF ${REPLICATION_FACTOR}; counts ${show(await replicaCounts(cluster))}`);
  const load = await startLoad(cluster, { seed: o.seed, producers: o.producers, keys: o.keys, group: o.group }, clock);
  if (o.group) {
    await pollUntil("the group's __consumer_offsets", async () => ((await topicState(cluster.bootstrap, GROUP_TOPIC)).length > 0 ? true : undefined), o.stepTimeoutMs, POLL_MS);
    balancedTopics = [TOPIC, GROUP_TOPIC];
  }
  const baselineFrom = clock();
  await Bun.sleep(o.baselineMs); // the latency baseline: load on the founders alone
  const movesFrom = clock();

  for (const id of cluster.spareIds) {
    await cluster.join(id);
    log(`node ${id} joined`);
  }
  const balanced = await waitBalanced(cluster, o.stepTimeoutMs);
  const grownMs = clock();
  log(`balanced on ${cluster.nodes.length} nodes in ${((grownMs - movesFrom) / 1000).toFixed(1)} s: ${show(balanced)}`);

  const leaving = o.decommission ?? cluster.nodes.map((n) => n.id).sort((a, b) => a - b).slice(0, o.grow - o.nodes);
  for (const id of leaving) {
    const fromMs = clock();
    await decommission(cluster, id, o.stepTimeoutMs);
    const code = await cluster.retire(id);
    if (code !== 0) problems.push(`node ${id} exited with ${code} on SIGTERM after leaving`);
    log(`node ${id} decommissioned and left in ${((clock() - fromMs) / 1000).toFixed(1)} s; counts ${show(await replicaCounts(cluster))}`);
  }
  const movesTo = clock();
  await Bun.sleep(2000); // traffic on the shrunk cluster
  await load.stopProducers(problems);
  await load.finish(o.partitions, REPLICATION_FACTOR, SETTLE_TIMEOUT_MS, problems);

  const before = latency(load.history, baselineFrom, movesFrom);
  const during = latency(load.history, movesFrom, movesTo);
  console.log("produce latency (acks=-1, one record per send, by send start):");
  console.log(`  ${describe("before the moves", before, movesFrom - baselineFrom)}`);
  console.log(`  ${describe("during joins, balancing and decommissions", during, movesTo - movesFrom)}`);
  if (during.sends - during.failed === 0) problems.push("no send was acknowledged during the moves");
  return load.judge(problems, `chaos: seed=${o.seed} nodes=${o.nodes}->${o.grow}->${o.nodes}`);
}

async function main(): Promise<number> {
  const o = parseOptions(Bun.argv.slice(2));
  const problems: string[] = [];
  const startedMs = Date.now();
  const clock = () => Date.now() - startedMs;
  await using cluster = await startCluster({ nodes: o.nodes, spares: o.grow - o.nodes, network: o.network, sets: o.sets });
  try {
    return await run(cluster, o, problems, clock);
  } catch (error) {
    dumpNodes(cluster);
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`chaos: FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);

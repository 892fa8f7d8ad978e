/**
 * The parts of a chaos run that every chaos command shares (cluster.ts: faults; grow.ts: 3 → 5 → 3
 * nodes): the topic, the load (idempotent acks=-1 producers, a consumer group, the commit poller;
 * `--transactions` swaps in txn-workload.ts behind the same Load interface), and the end (stop the load, settle, read everything, stop the nodes, read the replicas' disks,
 * the checker's verdict printed line by line).
 */
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/broker.ts";
import type { Cluster, ClusterNetwork } from "../helpers/cluster.ts";
import { check, failures } from "./checker.ts";
import { settleAndRead, stopAndReadReplicas } from "./final-check.ts";
import type { History } from "./history.ts";
import type { MoveTarget } from "./mover.ts";
import { isPlantKind, plant } from "./plant.ts";
import { ChaosProducer, pollCommits, startGroup, topicState, withAdmin } from "./workload.ts";

export const TOPIC = "chaos";
export const GROUP = "chaos-group";

/** An integer flag's value (`fallback` when absent); throws on anything else or below `min`. */
export function intOption(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

/** `--network`: netns, loopback or absent (the cluster helper's default). */
export function networkOption(raw: string | undefined): ClusterNetwork | undefined {
  if (raw !== undefined && raw !== "netns" && raw !== "loopback") throw new Error(`--network must be netns or loopback, got '${raw}'`);
  return raw;
}

/** Prints `usage` and exits 0 when --help was given. */
export function helpExit(help: boolean | undefined, usage: string): void {
  if (!help) return;
  console.log(usage);
  process.exit(0);
}

export function log(text: string): void {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${text}`);
}

export async function createTopic(cluster: Cluster, partitions: number, replicationFactor: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (true) {
    try {
      await withAdmin(cluster.bootstrap, (admin) =>
        admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: partitions, replicationFactor }], waitForLeaders: true }));
      const state = await topicState(cluster.bootstrap, TOPIC);
      if (state.length === partitions) return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`CreateTopics ${TOPIC} (RF ${replicationFactor}) failed: ${String(error)}`);
    }
    await Bun.sleep(500);
  }
}

export interface LoadOptions {
  seed: number;
  producers: number;
  keys: number;
  group: boolean;
  /** Members of the consumer group (default 1). */
  groupMembers?: number;
  /** The transactional load's client (default kafkajs). */
  txnClient?: "kafkajs" | "librdkafka";
}

/** A chaos workload on TOPIC: the idempotent one here, the transactional one in txn-workload.ts. */
export interface Load {
  /** Stops the producers (the group keeps reading until `finish`); pushes a problem if nothing was acknowledged. */
  stopProducers(problems: string[]): Promise<void>;
  finish(partitions: number, replicationFactor: number, settleTimeoutMs: number, problems: string[]): Promise<void>;
  /** Corrupts the history the planted way (`--plant KIND`); what it changed, or null when it found nothing to corrupt. */
  plant(kind: string): string | null;
  /** Prints each check and PROBLEM lines, then the last line, starting with `prefix`; returns the exit code. */
  judge(problems: string[], prefix: string): number;
  /** Partitions besides TOPIC's that `--moves` may move (the internal partitions this load's coordinators live on). */
  movableInternals: MoveTarget[];
}

/** Starts the idempotent producers, the consumer group and the commit poller on TOPIC. */
export async function startLoad(cluster: Cluster, o: LoadOptions, clock: () => number): Promise<Load & { history: History }> {
  const history: History = { attempts: [], finalLog: [], groupReads: [], commits: [], replicas: [] };
  const keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  const producers = Array.from({ length: o.producers }, (_, i) => new ChaosProducer(cluster.bootstrap, TOPIC, i, keys, history, clock, o.seed * 31 + i));
  for (const producer of producers) producer.start();
  const group = o.group ? await startGroup(cluster.bootstrap, TOPIC, GROUP, o.groupMembers ?? 1, history) : null;
  const commits = o.group ? pollCommits(cluster.bootstrap, TOPIC, GROUP, history, clock) : null;
  return {
    history,
    async stopProducers(problems) {
      for (const producer of producers) await producer.stop();
      const acked = history.attempts.filter((a) => a.acked !== null).length;
      log(`producers stopped: ${history.attempts.length} sends, ${acked} acknowledged, ${producers.reduce((n, p) => n + p.failures, 0)} failed`);
      if (acked === 0) problems.push(`no send was acknowledged (last errors: ${producers.map((p) => p.lastError).join(" | ")})`);
    },
    async finish(partitions, replicationFactor, settleTimeoutMs, problems) {
      const settled = await settleAndRead(cluster, TOPIC, partitions, replicationFactor, history, settleTimeoutMs, log);
      await Bun.sleep(1500); // let the group commit what it read
      await commits?.stop(problems);
      await group?.stop(problems);
      problems.push(...(await stopAndReadReplicas(cluster, TOPIC, settled, history, log)));
      log(`the group was delivered ${history.groupReads.length} records; ${history.commits.length} committed-offset samples`);
    },
    plant(kind) {
      if (!isPlantKind(kind)) throw new Error(`--plant: unknown kind '${kind}'`);
      return plant(history, kind);
    },
    judge: (problems, prefix) => judge(history, problems, prefix),
    movableInternals: [],
  };
}

function judge(history: History, problems: string[], prefix: string): number {
  const verdict = check(history);
  console.log("checked:");
  console.log(`  attempted ${verdict.attempted} sends, ${verdict.acked} acknowledged, ${verdict.unackedPresent} unacknowledged present (allowed once)`);
  console.log(`  every acknowledged value present exactly once at its acknowledged offset: lost ${verdict.lost}, misplaced ${verdict.misplaced}, duplicated ${verdict.duplicated}`);
  console.log(`  nothing read that was never produced (final log and group reads): phantom ${verdict.phantom}`);
  console.log(`  group reads agree with the final log at their offsets: dirty reads ${verdict.dirtyReads}`);
  console.log(`  per producer and key, acknowledged values in send order: violations ${verdict.orderViolations}`);
  console.log(`  committed offsets never move backwards: regressions ${verdict.commitRegressions}`);
  console.log(`  every record below the group's committed offset delivered to a member: skipped ${verdict.skipped}`);
  console.log(`  replicas identical on disk up to the committed offset (${verdict.comparedPartitions} partitions compared): diverged ${verdict.diverged}; uncommitted tails past it ${verdict.uncommittedTails} (allowed)`);
  for (const line of [...verdict.problems, ...problems]) console.log(`  PROBLEM ${line}`);
  console.log(`${prefix} acked=${verdict.acked} lost=${verdict.lost} duplicated=${verdict.duplicated} diverged=${verdict.diverged}`);
  return failures(verdict) === 0 && problems.length === 0 ? 0 : 1;
}

/** Prints the nodes' last stderr lines (for a run that threw). */
export function dumpNodes(cluster: Cluster): void {
  for (const node of cluster.nodes) console.error(`--- node ${node.id} (${node.state}) stderr, last lines:\n${cluster.tail(node.id, 15)}`);
}

/** Each node's last warnings and errors (its whole stderr is kept in memory until the run ends). */
export function dumpWarnings(cluster: Cluster): void {
  for (const node of cluster.nodes) {
    const lines = cluster.tail(node.id, 100_000).split("\n").filter((l) => / (WARN|ERROR) /.test(l));
    console.error(`--- node ${node.id}: its last ${Math.min(40, lines.length)} of ${lines.length} warnings and errors:\n${lines.slice(-40).join("\n")}`);
  }
}

/** For the suite: runs a chaos command (`test/chaos/<script>`) as a user does; SIGINT after `killAfterMs` (the run then removes its namespaces). */
export async function runChaosCommand(script: string, args: string[], killAfterMs: number): Promise<{ code: number; stdout: string; last: string }> {
  const proc = Bun.spawn(["bun", "run", join(REPO_ROOT, "test/chaos", script), ...args], {
    stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH: `${join(REPO_ROOT, "node_modules/.bin")}:${process.env.PATH}` },
  });
  const timer = setTimeout(() => proc.kill("SIGINT"), killAfterMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0) console.log(stdout.slice(-8000), stderr.slice(-4000));
  return { code, stdout, last: stdout.trim().split("\n").at(-1) ?? "" };
}

/**
 * The end of a fault run, shared by the chaos command and the failover tests: wait until every
 * partition has a leader and a full in-sync set, read every partition into the history, wait
 * until every replica holds what its leader committed, then stop the nodes cleanly and read each
 * replica's batches from its disk.
 *
 * Why the wait: a full in-sync set does not mean every replica holds the committed end. The
 * leader counts a follower in sync when it holds what was committed at the previous leadership
 * report (up to a second before), and an entry commits on a majority, so a follower may still
 * miss the last committed batches when the nodes are stopped. And a node that outlives its
 * leader during the parallel stop may win an election and append its term's configuration batch
 * to its own log only. Neither breaks Raft; what Raft promises is that every replica holds the
 * same committed prefix. So the replicas are compared up to the committed offset each one was
 * seen holding before the stop (`ReplicaLog.committedOffset`, checker.ts); a replica that does
 * not reach it within the bound is a problem.
 */
import type { Cluster, ClusterNode } from "../helpers/cluster.ts";
import { readDiskBatches } from "./disk-log.ts";
import type { History } from "./history.ts";
import { readAll, waitSettled, type PartitionState } from "./workload.ts";

/** How long every replica may take to reach its leader's commit index once the load stopped. */
const CATCH_UP_TIMEOUT_MS = 30_000;
const CATCH_UP_POLL_MS = 100;
const ADMIN_REQUEST_TIMEOUT_MS = 2_000;

export async function settleAndRead(
  cluster: Cluster, topic: string, partitions: number, replicationFactor: number, history: Pick<History, "finalLog">, settleTimeoutMs: number,
  log: (text: string) => void = () => {},
): Promise<PartitionState[]> {
  const state = await waitSettled(cluster.bootstrap, topic, settleTimeoutMs);
  const short = state.filter((p) => p.replicas.length !== replicationFactor);
  if (short.length > 0) throw new Error(`partitions with other than ${replicationFactor} replicas: ${JSON.stringify(short)}`);
  log(`settled: ${state.map((p) => `p${p.partition} leader ${p.leader} isr [${p.isr}]`).join(", ")}`);
  history.finalLog = await readAll(cluster.bootstrap, topic, partitions, 60_000);
  log(`final read: ${history.finalLog.length} records`);
  return state;
}

/**
 * Waits until every replica holds its leader's commit index, stops every node (SIGTERM) and fills
 * `history.replicas`; returns problems (a replica that never caught up, a bad exit, a replica
 * without the partition).
 */
export async function stopAndReadReplicas(
  cluster: Cluster, topic: string, state: PartitionState[], history: Pick<History, "replicas">, log: (text: string) => void = () => {},
): Promise<string[]> {
  const problems: string[] = [];
  const caughtUp = await waitCaughtUp(cluster, topic, state, CATCH_UP_TIMEOUT_MS);
  log(caughtUp.text);
  problems.push(...caughtUp.problems);
  const exits = await cluster.stopAll();
  for (const [id, code] of exits) if (code !== 0) problems.push(`node ${id} exited with ${code} on SIGTERM:\n${cluster.tail(id)}`);
  for (const p of state) {
    const committedOffset = caughtUp.committed.get(p.partition) ?? null;
    for (const nodeId of p.replicas) {
      const batches = readDiskBatches(cluster.node(nodeId).dataDir, topic, p.partition);
      if (batches === null) problems.push(`partition ${p.partition} has no directory on replica node ${nodeId}`);
      else history.replicas.push({ nodeId, partition: p.partition, batches, committedOffset });
    }
  }
  return problems;
}

/** What a node's admin API says of its replica of a partition (`GET /v1/partitions/kafka/{topic}/{partition}`). */
interface ReplicaView {
  role: string;
  commit_index: number;
  last_index: number;
}

async function replicaView(node: ClusterNode, topic: string, partition: number): Promise<ReplicaView | null> {
  try {
    const answer = await fetch(`${node.adminUrl}/v1/partitions/kafka/${topic}/${partition}`, { signal: AbortSignal.timeout(ADMIN_REQUEST_TIMEOUT_MS) });
    if (!answer.ok) return null;
    return ((await answer.json()) as { this_replica: ReplicaView | null }).this_replica;
  } catch {
    return null; // not answering now: asked again on the next poll
  }
}

/** One partition's replicas as seen in one poll: the leader's commit index, and the replicas not yet holding it. */
async function lookAt(cluster: Cluster, topic: string, p: PartitionState): Promise<{ committed: number | null; behind: string[] }> {
  const views = await Promise.all(p.replicas.map(async (id) => ({ id, view: await replicaView(cluster.node(id), topic, p.partition) })));
  const leaders = views.filter((v) => v.view?.role === "leader");
  if (leaders.length !== 1) return { committed: null, behind: [`${leaders.length} leaders among [${p.replicas}]`] };
  const committed = leaders[0]!.view!.commit_index;
  // A follower's commit index is the leader's clipped to what it matched in this term: at `committed` it holds the leader's log through it.
  const behind = views.filter((v) => v.view === null || v.view.commit_index < committed)
    .map((v) => (v.view === null ? `node ${v.id}: no answer` : `node ${v.id} at commit ${v.view.commit_index}, last ${v.view.last_index}`));
  return { committed, behind };
}

/**
 * Polls every replica of every partition until each holds its leader's commit index (the load
 * has stopped, so it no longer grows); the committed offset per partition, and what the wait took.
 */
async function waitCaughtUp(cluster: Cluster, topic: string, state: PartitionState[], timeoutMs: number): Promise<{ committed: Map<number, number>; problems: string[]; text: string }> {
  const startedMs = Date.now();
  const committed = new Map<number, number>();
  let firstBehind: string[] | null = null;
  let behind: string[] = [];
  do {
    if (firstBehind !== null) await Bun.sleep(CATCH_UP_POLL_MS); // poll interval
    behind = [];
    for (const p of state) {
      const seen = await lookAt(cluster, topic, p);
      if (seen.committed !== null) committed.set(p.partition, seen.committed);
      if (seen.behind.length > 0) behind.push(`partition ${p.partition} (leader's commit index ${seen.committed ?? "unknown"}): ${seen.behind.join(", ")}`);
    }
    firstBehind ??= behind;
  } while (behind.length > 0 && Date.now() - startedMs < timeoutMs);
  const tookMs = Date.now() - startedMs;
  const problems = behind.map((b) => `replicas short of their leader's commit index after ${tookMs} ms: ${b}`);
  const offsets = [...committed].sort((a, b) => a[0] - b[0]).map(([p, c]) => `p${p} ${c}`).join(", ");
  const wait = firstBehind.length === 0 ? "every replica held it at first look"
    : `behind at first look: ${firstBehind.join("; ")}; ${problems.length === 0 ? "all caught up" : "not all caught up"} after ${tookMs} ms`;
  return { committed, problems, text: `committed offsets ${offsets}; ${wait}` };
}

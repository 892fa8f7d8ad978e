/**
 * Leader counts of a topic in a test cluster (helpers/cluster.ts), for the leader-balancing test
 * and benchmark: metadata polls until a condition on the partitions' leaders holds, and a kill -9
 * followed by a restart of one node.
 */
import { topicState, type PartitionState } from "../chaos/workload.ts";
import type { Cluster } from "./cluster.ts";

/** Partitions led by each of `nodes`, in that order. */
export function leaderCounts(state: PartitionState[], nodes: number[]): number[] {
  return nodes.map((n) => state.filter((p) => p.leader === n).length);
}

/** Leader counts differ by at most one. */
export const evenCounts = (counts: number[]) => Math.max(...counts) - Math.min(...counts) <= 1;

/** Polls the topic's metadata through `via` until all `partitions` are listed and `done` holds; returns that state. */
export async function waitForLeaders(via: string[], topic: string, partitions: number, what: string, done: (state: PartitionState[]) => boolean, timeoutMs: number): Promise<PartitionState[]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const state = await topicState(via, topic);
      if (state.length === partitions && done(state)) return state;
      last = state;
    } catch (error) {
      last = String(error);
    }
    await Bun.sleep(100); // poll interval
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
}

/** kill -9 of `victim`, until the other nodes lead every partition, then a restart; returns when it was ready (ms since the epoch). */
export async function killAndRestart(cluster: Cluster, victim: number, topic: string, partitions: number): Promise<{ killedAtMs: number; readyAtMs: number }> {
  const others = cluster.nodes.filter((n) => n.id !== victim).map((n) => n.kafkaAddress);
  const killedAtMs = Date.now();
  await cluster.kill9(victim);
  await waitForLeaders(others, topic, partitions, "leaders on the other nodes", (s) => s.every((p) => p.leader >= 0 && p.leader !== victim), 20_000);
  await cluster.start(victim);
  return { killedAtMs, readyAtMs: Date.now() };
}

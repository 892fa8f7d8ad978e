/**
 * The chaos run's replica mover (`--moves`): while the nemesis runs, every `intervalMs` it asks a
 * random running node's admin API to move a random partition of its targets (the chaos topic's;
 * with `--transactions` also the coordinators' partitions of `__transaction_state` and
 * `__consumer_offsets`) to a random set of nodes, as many as its replication factor (seeded; core 0 .. smp-1),
 * Redpanda's `POST /v1/partitions/kafka/{topic}/{p}/replicas`.
 * A refusal (a move of that partition under way, no controller reachable) is counted, not a
 * failure: the run's verdict is the checker's, after every move of the chaos topic has finished
 * (the final settle waits for its full in-sync sets, which a move in flight does not have; the
 * coordinators' partitions need only answer, which the final reads of offsets and transactions wait for).
 */
import type { Cluster } from "../helpers/cluster.ts";
import { random } from "./nemesis.ts";

export interface MoveTarget {
  topic: string;
  partitions: number[];
  /** Replicas to move each to (the topic's replication factor). */
  replicationFactor: number;
}

export interface MoverOptions {
  seed: number;
  targets: MoveTarget[];
  smp: number;
  intervalMs: number;
  log: (text: string) => void;
}

const REQUEST_TIMEOUT_MS = 5000;

/** Each replica's core as the node's admin API tells (empty when it does not answer: the move is then asked with drawn cores). */
async function currentCores(adminUrl: string, topic: string, partition: number): Promise<Map<number, number>> {
  try {
    const answer = await fetch(`${adminUrl}/v1/partitions/kafka/${topic}/${partition}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!answer.ok) return new Map();
    const view = (await answer.json()) as { replicas: Array<{ node_id: number; core: number }> };
    return new Map(view.replicas.map((r) => [r.node_id, r.core]));
  } catch {
    return new Map();
  }
}

export function startMover(cluster: Cluster, o: MoverOptions): { stop(): Promise<{ asked: number; accepted: number }> } {
  const next = random(o.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let running = true;
  let asked = 0;
  let accepted = 0;
  const done = (async () => {
    while (running) {
      await Bun.sleep(o.intervalMs); // the mover's pace
      if (!running) break;
      const { topic, partitions, replicationFactor } = pick(o.targets);
      const partition = pick(partitions);
      const ids = cluster.nodes.map((n) => n.id);
      const chosen: number[] = [];
      while (chosen.length < Math.min(replicationFactor, ids.length)) {
        const id = pick(ids);
        if (!chosen.includes(id)) chosen.push(id);
      }
      const cores = chosen.map(() => Math.floor(next() * o.smp));
      const via = cluster.nodes.filter((n) => n.state === "running");
      if (via.length === 0) continue;
      const node = pick(via);
      asked++;
      try {
        // A replica that stays keeps its core: a move between nodes may not also move cores.
        const now = await currentCores(node.adminUrl, topic, partition);
        const body = chosen.map((id, i) => ({ node_id: id, core: now.get(id) ?? cores[i]! }));
        const answer = await fetch(`${node.adminUrl}/v1/partitions/kafka/${topic}/${partition}/replicas`, {
          method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await answer.text();
        if (answer.status === 200) accepted++;
        o.log(`mover: ${topic}/${partition} -> [${chosen.join(",")}] via node ${node.id}: ${answer.status}${answer.status === 200 ? "" : ` ${text.slice(0, 160)}`}`);
      } catch (error) {
        o.log(`mover: ${topic}/${partition} -> [${chosen.join(",")}] via node ${node.id}: ${String(error)}`);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { asked, accepted };
    },
  };
}

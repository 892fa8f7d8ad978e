/**
 * What a librdkafka bench runs against: one dist/skua (lib/broker.ts), or with `rf` > 1 that many
 * brokers on this machine (test/helpers/cluster.ts: loopback, each on its share of the cores)
 * whose topics the bench creates at that replication factor. Either way: a bootstrap list, a
 * restart of every broker on its data (nothing left in the caches), and disposal.
 */
import { join } from "node:path";
import type { Admin } from "kafkajs";
import { waitSettled, withAdmin } from "../../test/chaos/workload.ts";
import { startCluster } from "../../test/helpers/cluster.ts";
import { startBroker } from "./broker.ts";

export interface Brokers extends AsyncDisposable {
  readonly rf: number;
  /** host:port,… of every broker. */
  readonly bootstrap: string;
  /** Process ids of the brokers running now. */
  readonly pids: number[];
  /**
   * Stops every broker and starts it again on its data (a single broker only when started
   * `restartable`); resolves once `topic`'s partitions have leaders and full ISRs.
   */
  restart(topic: string): Promise<void>;
}

const SETTLE_TIMEOUT_MS = 60_000;

/**
 * `dataDir`: where a single broker's data dir goes (removed on disposal), or with `restartable`
 * the directory whose `data` it keeps across restarts (its owner removes it). A cluster's data
 * lives in the cluster helper's own temp dirs.
 */
export async function startBrokers(o: { rf: number; smp: number; repo: string; dataDir: string; restartable?: boolean; extraArgs?: string[] }): Promise<Brokers> {
  if (o.rf > 1) {
    const cluster = await startCluster({ nodes: o.rf, smp: o.smp, network: "loopback", extraArgs: o.extraArgs });
    return {
      rf: o.rf,
      bootstrap: cluster.bootstrap.join(","),
      get pids() {
        return cluster.nodes.map((node) => node.pid);
      },
      async restart(topic) {
        const ends = await withAdmin(cluster.bootstrap, (admin) => endOffsets(admin, topic));
        for (const node of cluster.nodes) await cluster.stop(node.id);
        // Together: a node waits for a quorum of its peers before it says ready.
        await Promise.all(cluster.nodes.map((node) => cluster.start(node.id)));
        await waitSettled(cluster.bootstrap, topic, SETTLE_TIMEOUT_MS);
        await withAdmin(cluster.bootstrap, (admin) => waitEndOffsets(admin, topic, ends));
      },
      [Symbol.asyncDispose]: () => cluster[Symbol.asyncDispose](),
    };
  }
  const kept = o.restartable ? join(o.dataDir, "data") : null;
  let broker = await startBroker(o.repo, o.smp, o.dataDir, o.extraArgs ?? [], kept);
  return {
    rf: 1,
    get bootstrap() {
      return `${broker.host}:${broker.kafkaPort}`;
    },
    get pids() {
      return [broker.pid];
    },
    async restart() {
      if (kept === null) throw new Error("startBrokers: a restart needs `restartable`");
      await broker[Symbol.asyncDispose]();
      broker = await startBroker(o.repo, o.smp, o.dataDir, o.extraArgs ?? [], kept);
    },
    [Symbol.asyncDispose]: () => broker[Symbol.asyncDispose](),
  };
}

/** The high watermark of each partition of `topic`, by partition. */
async function endOffsets(admin: Admin, topic: string): Promise<number[]> {
  const ends: number[] = [];
  for (const p of await admin.fetchTopicOffsets(topic)) ends[p.partition] = Number(p.high);
  return ends;
}

/**
 * Until the restarted leaders answer at least the end offsets of before (a new leader's first
 * entry, its term's configuration, takes one more): its high watermark is its commit index,
 * which comes back only once it committed an entry of its term, and a consumer reading to the end
 * (`rdkafka_performance -e`) would stop short.
 */
async function waitEndOffsets(admin: Admin, topic: string, before: number[]): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (let now = await endOffsets(admin, topic); before.some((end, p) => (now[p] ?? -1) < end); now = await endOffsets(admin, topic)) {
    if (Date.now() > deadline) throw new Error(`${topic}: end offsets ${now} after the restart, ${before} before`);
    await Bun.sleep(250); // poll interval
  }
}

/** Creates the topics at the brokers' replication factor and waits for their leaders. */
export function createTopics(brokers: Brokers, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  return withAdmin(brokers.bootstrap.split(","), async (admin) => {
    await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: brokers.rf })), waitForLeaders: true });
  });
}

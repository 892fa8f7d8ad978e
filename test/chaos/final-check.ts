/**
 * The end of a fault run, shared by the chaos command and the failover tests: wait until every
 * partition has a leader and a full in-sync set, read every partition into the history, then stop
 * the nodes cleanly and read each replica's batches from its disk.
 */
import type { Cluster } from "../helpers/cluster.ts";
import { readDiskBatches } from "./disk-log.ts";
import type { History } from "./history.ts";
import { readAll, waitSettled, type PartitionState } from "./workload.ts";

export async function settleAndRead(
  cluster: Cluster, topic: string, partitions: number, replicationFactor: number, history: History, settleTimeoutMs: number,
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

/** Stops every node (SIGTERM) and fills `history.replicas`; returns problems (a bad exit, a replica without the partition). */
export async function stopAndReadReplicas(cluster: Cluster, topic: string, state: PartitionState[], history: History): Promise<string[]> {
  const problems: string[] = [];
  const exits = await cluster.stopAll();
  for (const [id, code] of exits) if (code !== 0) problems.push(`node ${id} exited with ${code} on SIGTERM:\n${cluster.tail(id)}`);
  for (const p of state) {
    for (const nodeId of p.replicas) {
      const batches = readDiskBatches(cluster.node(nodeId).dataDir, topic, p.partition);
      if (batches === null) problems.push(`partition ${p.partition} has no directory on replica node ${nodeId}`);
      else history.replicas.push({ nodeId, partition: p.partition, batches });
    }
  }
  return problems;
}

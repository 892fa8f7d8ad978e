/**
 * An idle cluster's cost: 3 nodes × 2 shards in this process, over real RPC on loopback, with
 * `--partitions` partitions at RF=3 (every node holds a replica of each; shards alternate), in
 * three modes in the same run: light heartbeats on one ticker per shard, batched per node pair (as
 * the broker runs); full heartbeats on a timer per group, batched; every group message alone (the
 * baseline). After every group has a leader
 * and the cluster has settled, it measures over `--seconds`: CPU of this process (all 3 nodes),
 * bytes on the RPC links (both directions) and network/group messages per second.
 * Logs live on SimDisk (in memory): 10,000 logs per node would pass the fd limit (20,000) in one
 * process, and an idle cluster writes nothing.
 *
 *     bun run bench/cluster-idle.ts --partitions 10000 --seconds 10 [--only light|batched|unbatched] [--elect-wait-s 600]
 */
import { PartitionedSimDisk } from "./lib/partitioned-sim-disk.ts";
import type { TopicRecord } from "../src/cluster/metadata.ts";
import type { HeartbeatMode } from "../src/replication/shard-replication.ts";
import { TestCluster, until } from "../src/replication/test-nodes.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const partitions = Number(args.get("partitions") ?? 10_000);
const seconds = Number(args.get("seconds") ?? 10);
const only = args.get("only"); // "light", "batched" or "unbatched"
const electWaitS = Number(args.get("elect-wait-s") ?? 600);

function topic(): TopicRecord {
  return {
    name: "idle", id: "00000000-0000-0000-0000-0000000000aa", shards: Array.from({ length: partitions }, (_, p) => p % 2), configs: {},
    assignments: Array.from({ length: partitions }, (_, p) => ({ group: p + 1, replicas: [1, 2, 3].map((node) => ({ node, shard: (p + node) % 2 })) })),
  };
}

function linkBytes(cluster: TestCluster): number {
  let total = 0;
  for (const node of cluster.nodes) {
    for (const shard of node.shards) for (const link of (shard.rpc.endpoint as any).nodeLinks.values()) total += link.bytesSent + link.bytesReceived;
  }
  return total;
}

function messages(cluster: TestCluster): { node: number; group: number; dropped: number } {
  const sum = { node: 0, group: 0, dropped: 0 };
  for (const node of cluster.nodes) {
    for (const shard of node.shards) {
      const c = shard.replication.network.counters;
      sum.node += c.nodeMessages;
      sum.group += c.groupMessages;
      sum.dropped += c.dropped;
    }
  }
  return sum;
}

async function measure(mode: HeartbeatMode) {
  const cluster = new TestCluster(3, 2, { election_timeout_ms: 1500, raft_heartbeat_interval_ms: 150 }, () => new PartitionedSimDisk(), mode);
  const startedMs = Date.now();
  await cluster.start([topic()]);
  console.error(`  ${mode}: ${partitions * 3} groups open after ${Math.round((Date.now() - startedMs) / 1000)} s`);
  const leaders = () => {
    let n = 0;
    for (const node of cluster.nodes) for (const shard of node.shards) for (const r of shard.replication.partitions.all()) if (r.isLeader) n++;
    return n;
  };
  let lastLogMs = Date.now();
  const electing = until("every group has a leader", () => {
    const n = leaders();
    if (Date.now() - lastLogMs > 5000) {
      lastLogMs = Date.now();
      console.error(`  ${mode}: ${n} of ${partitions} groups led after ${Math.round((Date.now() - startedMs) / 1000)} s; ${JSON.stringify(messages(cluster))}`);
    }
    return n === partitions;
  }, electWaitS * 1000);
  // A cluster this process cannot carry never gets there: it is measured anyway, as it is.
  const allElected = await electing.then(() => true, () => false);
  const electedMs = Date.now() - startedMs;
  await Bun.sleep(3000); // leadership reports and the first in-sync sets settle
  const cpu0 = process.cpuUsage();
  const bytes0 = linkBytes(cluster);
  const m0 = messages(cluster);
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const m1 = messages(cluster);
  const result = {
    mode,
    electedMs,
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100,
    bytesPerS: (linkBytes(cluster) - bytes0) / elapsedS,
    nodeMessagesPerS: (m1.node - m0.node) / elapsedS,
    groupMessagesPerS: (m1.group - m0.group) / elapsedS,
    droppedPerS: (m1.dropped - m0.dropped) / elapsedS,
    allElected,
    ledAtEnd: leaders(),
    leadersStable: leaders() === partitions,
  };
  await cluster.stop();
  return result;
}

const modes: HeartbeatMode[] = only !== undefined ? [only as HeartbeatMode] : ["light", "batched", "unbatched"];
const results = [];
for (const mode of modes) {
  const r = await measure(mode);
  results.push(r);
  console.log(JSON.stringify(r));
}
console.log(`\n${partitions} partitions at RF=3 on 3 nodes × 2 shards (one process), idle for ${seconds} s:\n`);
console.log("| heartbeats | CPU (% of one core, all 3 nodes) | RPC bytes/s (both directions, all links) | network messages/s | group messages/s | groups led at the end |");
console.log("|---|---|---|---|---|---|");
for (const r of results) {
  console.log(`| ${r.mode} | ${r.cpuPercent.toFixed(1)} | ${Math.round(r.bytesPerS).toLocaleString("en")} | ${Math.round(r.nodeMessagesPerS).toLocaleString("en")} | ${Math.round(r.groupMessagesPerS).toLocaleString("en")} | ${r.ledAtEnd.toLocaleString("en")} |`);
}
const baseline = results.find((r) => r.mode === "unbatched");
for (const r of results) {
  if (baseline === undefined || r === baseline) continue;
  console.log(`${r.mode} / unbatched: CPU ${(r.cpuPercent / baseline.cpuPercent).toFixed(2)}×, bytes ${(r.bytesPerS / baseline.bytesPerS).toFixed(2)}×, network messages ${(r.nodeMessagesPerS / baseline.nodeMessagesPerS).toFixed(3)}×`);
}
process.exit(0);

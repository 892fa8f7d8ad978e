/**
 * Replication cost, same run (issue 11, item 10): RF=1 on one broker against RF=3 on three
 * brokers, all on this machine (test/helpers/cluster.ts starts them). For each:
 *   1. throughput: produce acks=-1, closed loop, with the load generator's pipelining client
 *      (bench/lib: pre-encoded frames), each connection to the leader of the partitions it sends;
 *   2. end to end: a fixed load (--e2e-msgs records/s, open loop), each record carrying its
 *      scheduled send time; one long-polling Fetch loop per partition at its leader; latency =
 *      when a consumer got the record - when it was due to be sent (p50/p99/p99.9).
 * CPU of every broker process and of this generator is sampled around each phase: on 2 cores
 * shared by three brokers and the generator it says what bounds RF=3.
 * Run: bun run bench/cluster.ts --seconds 10
 */
import { parseArgs } from "node:util";
import { KafkaClient } from "../src/client/client.ts";
import { listOffsets, LATEST } from "../src/client/offsets.ts";
import { decodeRecords, encodeBatch } from "../src/client/records.ts";
import { encodeRequestFrame } from "../src/protocol/frame.ts";
import type { ProduceResponse } from "../src/protocol/messages/index.ts";
import { withAdmin, type PartitionState } from "../test/chaos/workload.ts";
import { startCluster, type Cluster, type ClusterNetwork } from "../test/helpers/cluster.ts";
import { evenCounts, leaderCounts, waitForLeaders } from "../test/helpers/leaders.ts";
import { processCpuSeconds } from "./lib/broker.ts";
import { KafkaConnection } from "./lib/client.ts";
import { runProducePhase, type ProducePlan } from "./lib/phases.ts";
import { LatencyRecorder, PhaseStats } from "./lib/stats.ts";
import { batchOfSize, KiB } from "./payload.ts";

const usage = `Usage: bun run bench/cluster.ts [options]
  --seconds N              length of the throughput phase (default 10)
  --e2e-seconds N          length of the end-to-end phase (default 10)
  --e2e-msgs N             records/s offered in the end-to-end phase (default 2000)
  --e2e-batch N            records per produce batch in the end-to-end phase (default 10)
  --partitions N           partitions of the topic (default 6)
  --connections N          throughput connections per leader broker (default 2)
  --depth N                requests in flight per connection (default 4)
  --batch-bytes N          bytes per batch in the throughput phase (default 65536)
  --record-bytes N         bytes per record (default 1024)
  --smp N                  shards per broker (default 1)
  --network netns|loopback where the brokers listen (default loopback)
  --profile                each broker's CPU profile over 4 s of the throughput phase: its top costs`;

interface Options {
  seconds: number; e2eSeconds: number; e2eMsgs: number; e2eBatch: number; partitions: number;
  connections: number; depth: number; batchBytes: number; recordBytes: number; smp: number; network: ClusterNetwork; profile: boolean;
}

function parseOptions(): Options {
  const names = ["seconds", "e2e-seconds", "e2e-msgs", "e2e-batch", "partitions", "connections", "depth", "batch-bytes", "record-bytes", "smp", "network"];
  const { values } = parseArgs({
    options: { ...Object.fromEntries(names.map((name) => [name, { type: "string" as const }])), help: { type: "boolean" as const }, profile: { type: "boolean" as const } },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name: string, fallback: number) => {
    const raw = (values as Record<string, unknown>)[name] as string | undefined;
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer >= 1, got ${raw}`);
    return n;
  };
  const network = ((values as Record<string, unknown>).network as string | undefined) ?? "loopback";
  if (network !== "netns" && network !== "loopback") throw new Error(`--network must be netns or loopback`);
  return {
    seconds: int("seconds", 10), e2eSeconds: int("e2e-seconds", 10), e2eMsgs: int("e2e-msgs", 2000), e2eBatch: int("e2e-batch", 10),
    partitions: int("partitions", 6), connections: int("connections", 2), depth: int("depth", 4), batchBytes: int("batch-bytes", 64 * KiB),
    recordBytes: int("record-bytes", 1024), smp: int("smp", 1), network, profile: values.profile === true,
  };
}

interface Result {
  name: string;
  mbps: number;
  produceP50: number;
  produceP99: number;
  brokerCpu: number;
  generatorCpu: number;
  errors: number;
  e2eP50: number;
  e2eP99: number;
  e2eP999: number;
  e2eRecords: number;
  e2eOffered: number;
  e2eBrokerCpu: number;
}

const TOPIC = "bench-cluster";
const SETTLE_TIMEOUT_MS = 60_000;

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** CPU seconds of every broker process and of this process, as a sampler of cores used. */
function cpuMeter(cluster: Cluster): () => { broker: number; generator: number } {
  const sample = () => {
    const usage = process.cpuUsage();
    return {
      broker: cluster.nodes.reduce((sum, node) => sum + (processCpuSeconds(node.pid) ?? 0), 0),
      generator: (usage.user + usage.system) / 1e6,
      wall: performance.now() / 1000,
    };
  };
  const start = sample();
  return () => {
    const end = sample();
    const wall = end.wall - start.wall;
    return { broker: (end.broker - start.broker) / wall, generator: (end.generator - start.generator) / wall };
  };
}

const PROFILE_MS = 4000;
const PROFILE_TOP = 12;
type Profile = { shard: number; samples: number; self: Array<{ fn: string; samples: number }>; inclusive: Array<{ fn: string; samples: number }> };

/** Every shard's sampled profile of one node (`/v1/debug/cpu_profile`), taken while the load runs. */
async function cpuProfile(adminUrl: string, waitMs: number): Promise<Profile[]> {
  const response = await fetch(`${adminUrl}/v1/debug/cpu_profile?wait_ms=${Math.max(waitMs, 500)}&sample_us=500`);
  if (!response.ok) throw new Error(`cpu_profile: HTTP ${response.status}`);
  return (await response.json()) as Profile[];
}

function printProfiles(nodes: Profile[][]): void {
  const share = (n: number, total: number) => `${((100 * n) / total).toFixed(0)}%`;
  nodes.forEach((shards, node) => {
    for (const p of shards) {
      console.log(`  profile node ${node} shard ${p.shard}: ${p.samples} samples (0.5 ms each)`);
      console.log(`    self: ${p.self.slice(0, PROFILE_TOP).map((e) => `${e.fn} ${share(e.samples, p.samples)}`).join(", ")}`);
      console.log(`    inclusive: ${p.inclusive.slice(0, PROFILE_TOP).map((e) => `${e.fn} ${share(e.samples, p.samples)}`).join(", ")}`);
    }
  });
}

/** Connections to each leader, each owning a share of that leader's partitions. */
async function leaderConnections(cluster: Cluster, state: PartitionState[], perLeader: number): Promise<{ conns: KafkaConnection[]; owned: number[][] }> {
  const conns: KafkaConnection[] = [];
  const owned: number[][] = [];
  const byLeader = new Map<number, number[]>();
  for (const p of state) byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), p.partition]);
  for (const [leader, partitions] of byLeader) {
    const { host, port } = hostPort(cluster.node(leader).kafkaAddress);
    const count = Math.min(perLeader, partitions.length);
    for (let i = 0; i < count; i++) {
      conns.push(await KafkaConnection.open(host, port));
      owned.push(partitions.filter((_, j) => j % count === i));
    }
  }
  return { conns, owned };
}

async function throughput(cluster: Cluster, state: PartitionState[], options: Options): Promise<{ stats: PhaseStats; cpu: { broker: number; generator: number } }> {
  const batch = batchOfSize(options.batchBytes, options.recordBytes);
  const { conns, owned } = await leaderConnections(cluster, state, options.connections);
  const plan: ProducePlan = {
    topic: TOPIC, partitions: options.partitions, acks: -1, depth: options.depth, batch: batch.bytes, batchRecords: batch.records,
    ackedRecords: [], rateMBps: null, ownedByConnection: owned,
  };
  await runProducePhase(conns, plan, 1); // warm-up: files opened, JIT warm
  const cpu = cpuMeter(cluster);
  const profiles = options.profile ? Promise.all(cluster.nodes.map((node) => cpuProfile(node.adminUrl, Math.min(PROFILE_MS, options.seconds * 1000 - 1000)))) : null;
  const stats = await runProducePhase(conns, plan, options.seconds);
  const used = cpu();
  if (profiles !== null) printProfiles(await profiles);
  for (const c of conns) c.close();
  return { stats, cpu: used };
}

/** Fixed load, open loop: records stamped with their scheduled send time, read back by one Fetch loop per partition. */
async function endToEnd(cluster: Cluster, state: PartitionState[], options: Options): Promise<{ latency: LatencyRecorder; received: number; offered: number; cpu: { broker: number } }> {
  const client = new KafkaClient(cluster.bootstrap.map(hostPort), "bench-e2e");
  await client.metadata([TOPIC]);
  const partitions = state.map((p) => p.partition);
  const starts = await listOffsets(client, TOPIC, partitions, LATEST);
  const producers = new Map<number, KafkaConnection>();
  for (const p of state) {
    const { host, port } = hostPort(cluster.node(p.leader).kafkaAddress);
    producers.set(p.partition, await KafkaConnection.open(host, port));
  }
  const latency = new LatencyRecorder();
  let received = 0;
  let offered = 0;
  let errors = 0;
  const cpu = cpuMeter(cluster);
  const startMs = performance.now();
  const endMs = startMs + options.e2eSeconds * 1000;
  const intervalMs = (1000 * options.e2eBatch) / options.e2eMsgs;
  const padding = new Uint8Array(Math.max(0, options.recordBytes - 8));

  const consumers = state.map(async (p) => {
    let position = starts.get(p.partition)!;
    while (performance.now() < endMs + 2000) {
      const response = await client.callNode(p.leader, "Fetch", {
        replicaId: -1, maxWaitMs: 200, minBytes: 1, maxBytes: 8 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: TOPIC, partitions: [{ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: position, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 4 * 1024 * 1024 }] }],
        forgottenTopicsData: [], rackId: "",
      });
      const now = performance.now();
      const part = response.responses[0]?.partitions[0];
      if (part === undefined || part.errorCode !== 0) {
        errors++;
        await Bun.sleep(50);
        continue;
      }
      for (const record of decodeRecords(part.records, p.partition)) {
        if (record.offset < position) continue;
        position = record.offset + 1;
        const sentMs = new DataView(record.value!.buffer, record.value!.byteOffset, 8).getFloat64(0);
        latency.record(now - sentMs);
        received++;
      }
    }
  });

  let next = 0;
  for (let dueMs = startMs; dueMs < endMs; dueMs += intervalMs) {
    const waitMs = dueMs - performance.now();
    if (waitMs > 1) await Bun.sleep(waitMs);
    const partition = partitions[next++ % partitions.length]!;
    const records = Array.from({ length: options.e2eBatch }, () => {
      const value = new Uint8Array(8 + padding.length);
      new DataView(value.buffer).setFloat64(0, dueMs);
      return { key: null, value, headers: [] };
    });
    const body = { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: encodeBatch(records, "none", Date.now()) }] }] };
    offered += options.e2eBatch;
    producers.get(partition)!.request<ProduceResponse>(encodeRequestFrame(0, 9, 0, "bench-e2e", body)).then(
      (r) => { if (r.responses[0]?.partitionResponses[0]?.errorCode !== 0) errors++; },
      () => errors++,
    );
  }
  await Promise.all(consumers);
  const used = cpu();
  for (const c of producers.values()) c.close();
  client.close();
  if (errors > 0) console.log(`  end to end: ${errors} errors`);
  return { latency, received, offered, cpu: used };
}

async function measure(name: string, nodes: number, rf: number, options: Options): Promise<Result> {
  await using cluster = await startCluster({ nodes, smp: options.smp, network: options.network });
  await withAdmin(cluster.bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: options.partitions, replicationFactor: rf }], waitForLeaders: true }));
  // Full ISRs and even leader counts: then the balancer has nothing to move while we measure (a
  // move mid-run answers the connection at the old leader NOT_LEADER_OR_FOLLOWER).
  const ids = cluster.nodes.map((node) => node.id);
  const state = await waitForLeaders(cluster.bootstrap, TOPIC, options.partitions, "full ISRs and even leader counts",
    (s) => s.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length) && evenCounts(leaderCounts(s, ids)), SETTLE_TIMEOUT_MS);
  if (!state.every((p) => p.replicas.length === rf)) throw new Error(`${name}: not every partition has ${rf} replicas: ${JSON.stringify(state)}`);
  console.log(`${name}: leaders ${state.map((p) => `p${p.partition}→${p.leader}`).join(" ")}`);
  const { stats, cpu } = await throughput(cluster, state, options);
  const [p50, p99] = stats.latency.percentiles([0.5, 0.99]);
  const mbps = stats.batchBytes / stats.elapsedSeconds / 1e6;
  console.log(`  produce acks=-1: ${mbps.toFixed(1)} MB/s, p50 ${p50!.toFixed(1)} ms, p99 ${p99!.toFixed(1)} ms, brokers ${(cpu.broker * 100).toFixed(0)}% of a core, generator ${(cpu.generator * 100).toFixed(0)}%, errors ${stats.errorCount}`);
  const e2e = await endToEnd(cluster, state, options);
  const [e50, e99, e999] = e2e.latency.percentiles([0.5, 0.99, 0.999]);
  console.log(`  end to end at ${options.e2eMsgs} msgs/s: p50 ${e50!.toFixed(1)} ms, p99 ${e99!.toFixed(1)} ms, p99.9 ${e999!.toFixed(1)} ms (${e2e.received} of ${e2e.offered} records read), brokers ${(e2e.cpu.broker * 100).toFixed(0)}%`);
  return {
    name, mbps, produceP50: p50!, produceP99: p99!, brokerCpu: cpu.broker, generatorCpu: cpu.generator, errors: stats.errorCount,
    e2eP50: e50!, e2eP99: e99!, e2eP999: e999!, e2eRecords: e2e.received, e2eOffered: e2e.offered, e2eBrokerCpu: e2e.cpu.broker,
  };
}

async function main(): Promise<number> {
  const options = parseOptions();
  console.log(`bench/cluster.ts: ${options.partitions} partitions, ${options.batchBytes} B batches of ${options.recordBytes} B records, ${options.connections} connections × ${options.depth} in flight per leader, ${options.seconds} s; end to end ${options.e2eMsgs} msgs/s for ${options.e2eSeconds} s; --smp ${options.smp}, ${options.network}`);
  const single = await measure("RF=1, 1 broker", 1, 1, options);
  const replicated = await measure("RF=3, 3 brokers", 3, 3, options);
  console.log("");
  console.log("| setup | acks=-1 MB/s | produce p50 | produce p99 | brokers' CPU | generator CPU | e2e p50 | e2e p99 | e2e p99.9 | e2e brokers' CPU |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of [single, replicated]) {
    console.log(`| ${r.name} | ${r.mbps.toFixed(1)} | ${r.produceP50.toFixed(1)} ms | ${r.produceP99.toFixed(1)} ms | ${(r.brokerCpu * 100).toFixed(0)}% | ${(r.generatorCpu * 100).toFixed(0)}% | ${r.e2eP50.toFixed(1)} ms | ${r.e2eP99.toFixed(1)} ms | ${r.e2eP999.toFixed(1)} ms | ${(r.e2eBrokerCpu * 100).toFixed(0)}% |`);
  }
  console.log(`RF=3 ÷ RF=1: throughput ${(replicated.mbps / single.mbps).toFixed(2)}×, e2e p50 ${(replicated.e2eP50 / single.e2eP50).toFixed(2)}×, e2e p99 ${(replicated.e2eP99 / single.e2eP99).toFixed(2)}×`);
  const failures = single.errors + replicated.errors + (single.e2eRecords < single.e2eOffered ? 1 : 0) + (replicated.e2eRecords < replicated.e2eOffered ? 1 : 0);
  return failures === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});

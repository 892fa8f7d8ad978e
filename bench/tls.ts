/**
 * What TLS costs, same run: one broker with a plaintext and a TLS listener (same port layout,
 * same shards), produce acks=1 and fetch from offset 0 with the load generator's pipelining
 * client, alternating plaintext and TLS over --rounds rounds, each on its own topic. Prints
 * MB/s and broker CPU per round and the TLS ÷ plaintext ratio of the medians.
 * Run: bun run bench/tls.ts --seconds 5 --rounds 3
 */
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { encodeRequestFrame } from "../src/protocol/frame.ts";
import type { CreateTopicsResponse } from "../src/protocol/messages/index.ts";
import { makeCerts } from "../test/helpers/certs.ts";
import { freePort } from "../test/helpers/broker.ts";
import { processCpuSeconds, startBroker } from "./lib/broker.ts";
import { KafkaConnection } from "./lib/client.ts";
import { runFetchPhase, runProducePhase } from "./lib/phases.ts";
import { sampleCpu } from "./lib/stats.ts";
import { batchOfSize } from "./payload.ts";

const REPO_DIR = join(dirname(import.meta.path), "..");

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" }, rounds: { type: "string", default: "3" }, smp: { type: "string", default: "1" },
    partitions: { type: "string", default: "8" }, connections: { type: "string", default: "4" }, depth: { type: "string", default: "8" },
    "batch-bytes": { type: "string", default: "65536" },
  },
});
const seconds = Number(values.seconds), rounds = Number(values.rounds), smp = Number(values.smp);
const partitions = Number(values.partitions), connections = Number(values.connections), depth = Number(values.depth), batchBytes = Number(values["batch-bytes"]);

type Mode = "plaintext" | "tls";
interface Round { mode: Mode; produceMBps: number; fetchMBps: number; produceCpu: number; fetchCpu: number; errors: number }

await using certs = await makeCerts();
const configPath = join(certs.dir, "bench.yaml");
writeFileSync(configPath, `redpanda:\n  kafka_api_tls:\n    - name: tls\n      enabled: true\n      cert_file: ${certs.serverCert}\n      key_file: ${certs.serverKey}\n`);
const plainPort = freePort(), tlsPort = freePort();
await using broker = await startBroker(REPO_DIR, smp, undefined, ["--config", configPath, "--kafka-addr", `plain://127.0.0.1:${plainPort},tls://127.0.0.1:${tlsPort}`]);
const ca = readFileSync(certs.caCert, "utf8");
const open = (mode: Mode) => (mode === "tls" ? KafkaConnection.open("127.0.0.1", tlsPort, { ca, serverName: "localhost" }) : KafkaConnection.open("127.0.0.1", plainPort));
const brokerCpu = () => processCpuSeconds(broker.pid);
const batch = batchOfSize(batchBytes, 1024);

console.log(`dist/skua --smp ${smp}; ${availableParallelism()} cores shared with this generator; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`${partitions} partitions, ${connections} connections × ${depth} in flight, ${batch.bytes.length} B batches, produce acks=1 then fetch from 0, ${seconds} s each, ${rounds} rounds alternating\n`);

const results: Round[] = [];
for (let round = 0; round < rounds; round++) {
  for (const mode of (round % 2 === 0 ? ["plaintext", "tls"] : ["tls", "plaintext"]) as Mode[]) {
    const topic = `tls-bench-${mode}-${round}`;
    await createTopic(await open(mode), topic);
    const ackedRecords: number[] = [];
    let conns = await Promise.all(Array.from({ length: connections }, () => open(mode)));
    let before = sampleCpu(brokerCpu);
    const produced = await runProducePhase(conns, { topic, partitions, acks: 1, depth, batch: batch.bytes, batchRecords: batch.records, ackedRecords, rateMBps: null }, seconds);
    const produceCpu = cpuShare(before, sampleCpu(brokerCpu));
    for (const c of conns) c.close();
    conns = await Promise.all(Array.from({ length: Math.min(connections, partitions) }, () => open(mode)));
    before = sampleCpu(brokerCpu);
    const fetched = await runFetchPhase(conns, { topic, partitions, depth, partitionMaxBytes: 1 << 20, fetchedRecords: [], caughtUp: new Set() }, seconds);
    const fetchCpu = cpuShare(before, sampleCpu(brokerCpu));
    for (const c of conns) c.close();
    const r = { mode, produceMBps: produced.batchBytes / produced.elapsedSeconds / 1e6, fetchMBps: fetched.batchBytes / fetched.elapsedSeconds / 1e6, produceCpu, fetchCpu, errors: produced.errorCount + fetched.errorCount };
    results.push(r);
    console.log(`round ${round + 1} ${mode.padEnd(9)}  produce ${r.produceMBps.toFixed(1)} MB/s (broker ${pct(produceCpu)} of a core)   fetch ${r.fetchMBps.toFixed(1)} MB/s (broker ${pct(fetchCpu)})   errors ${r.errors}`);
  }
}

const median = (mode: Mode, value: (r: Round) => number) => {
  const sorted = results.filter((r) => r.mode === mode).map(value).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
// Broker CPU per MB moved (per round, then the median) is steadier than MB/s on a shared machine: it does not depend on who else got the cores.
console.log("\n(medians over the rounds)\n| phase | plaintext MB/s | TLS MB/s | TLS ÷ plaintext | broker CPU ms/MB plaintext | broker CPU ms/MB TLS | TLS ÷ plaintext |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const [name, mbps, cpu] of [["produce acks=1", "produceMBps", "produceCpu"], ["fetch from 0", "fetchMBps", "fetchCpu"]] as const) {
  const plain = median("plaintext", (r) => r[mbps]), tls = median("tls", (r) => r[mbps]);
  const plainCpu = median("plaintext", (r) => (r[cpu] * 1000) / r[mbps]), tlsCpu = median("tls", (r) => (r[cpu] * 1000) / r[mbps]);
  console.log(`| ${name} | ${plain.toFixed(1)} | ${tls.toFixed(1)} | ${(tls / plain).toFixed(2)}× | ${plainCpu.toFixed(2)} | ${tlsCpu.toFixed(2)} | ${(tlsCpu / plainCpu).toFixed(2)}× |`);
}
process.exitCode = results.some((r) => r.errors > 0) ? 1 : 0;

function cpuShare(before: ReturnType<typeof sampleCpu>, after: ReturnType<typeof sampleCpu>): number {
  return ((after.brokerCpuSeconds ?? 0) - (before.brokerCpuSeconds ?? 0)) / (after.wallSeconds - before.wallSeconds);
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(0)}%`;
}

async function createTopic(conn: KafkaConnection, topic: string): Promise<void> {
  const created = await conn.request<CreateTopicsResponse>(
    encodeRequestFrame(19, 7, 0, "skua-tls-bench", { topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false }),
  );
  conn.close();
  if (created.topics[0]?.errorCode !== 0) throw new Error(`CreateTopics ${topic}: error ${created.topics[0]?.errorCode}`);
  await Bun.sleep(200); // the new partitions open on their shards
}

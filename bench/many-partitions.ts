/**
 * 10,000 partitions on one broker: create them, produce one batch to each, fetch each back,
 * then measure resident memory per partition and the start-up time after a clean stop.
 * Run: bun run bench/many-partitions.ts [--partitions 10000] [--smp 2] [--io uring|posix]
 */
import { parseArgs } from "node:util";
import { limits } from "../src/base/limits.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { startBroker } from "../test/helpers/broker.ts";
import { ApiKey, fetchOnce, produce, WireClient } from "../test/helpers/wire.ts";

const { values } = parseArgs({
  options: { partitions: { type: "string", default: "10000" }, smp: { type: "string", default: "2" }, io: { type: "string" } },
});
const PARTITIONS = Number(values.partitions);
const SMP = Number(values.smp);
const TOPICS = Math.ceil(PARTITIONS / 1000);
const CHUNK = 500; // partitions per produce / fetch request

function rssBytes(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)![1]) * 1024;
}

await using broker = await startBroker({
  smp: SMP,
  sets: { topic_partitions_per_shard: Math.ceil(PARTITIONS / SMP) },
  extraArgs: values.io ? ["--io", values.io] : [],
});
const pid = Number((await Bun.$`pgrep -f -n -- ${"data-dir " + broker.dataDir}`.text()).trim());
const client = await WireClient.connect(broker.kafkaPort);
const rssEmpty = rssBytes(pid);

let t = performance.now();
const perTopic = Math.ceil(PARTITIONS / TOPICS);
for (let i = 0; i < TOPICS; i++) {
  const created: any = await client.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: `many-${i}`, numPartitions: perTopic, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 60_000, validateOnly: false,
  });
  if (created.topics[0].errorCode !== 0) throw new Error(`create many-${i}: ${created.topics[0].errorMessage}`);
}
const createMs = performance.now() - t;
const rssCreated = rssBytes(pid);

const value = new Uint8Array(100).fill(1);
t = performance.now();
for (let i = 0; i < TOPICS; i++) {
  for (let from = 0; from < perTopic; from += CHUNK) {
    const parts = Array.from({ length: Math.min(CHUNK, perTopic - from) }, (_, k) => ({ partition: from + k, records: buildBatch({ records: [{ value }] }) }));
    const response = await produce(client, `many-${i}`, parts, 1);
    if (response.responses[0].partitionResponses.some((p) => p.errorCode !== 0)) throw new Error("produce failed");
  }
}
const produceMs = performance.now() - t;
const rssProduced = rssBytes(pid);

t = performance.now();
let fetched = 0;
for (let i = 0; i < TOPICS; i++) {
  for (let from = 0; from < perTopic; from += CHUNK) {
    const parts = Array.from({ length: Math.min(CHUNK, perTopic - from) }, (_, k) => ({ partition: from + k, offset: 0 }));
    const response = await fetchOnce(client, `many-${i}`, parts, 0, 1024);
    fetched += response.responses[0].partitions.filter((p) => p.errorCode === 0 && (p.records?.length ?? 0) > 0).length;
  }
}
const fetchMs = performance.now() - t;
const rssFull = rssBytes(pid);
client.close();
// Idle: past a shard's next collection check (base/big-buffers.ts), with nothing sent meanwhile.
await Bun.sleep(limits.idleCollectCheckMs + 3000);
const rssIdle = rssBytes(pid);

expectEqual(fetched, TOPICS * perTopic, "partitions fetched back");
t = performance.now();
await broker.stop("SIGTERM");
const stopMs = performance.now() - t;
t = performance.now();
await broker.restart();
const startMs = performance.now() - t;

console.log(`${(TOPICS * perTopic).toLocaleString("en-US")} partitions in ${TOPICS} topics on --smp ${SMP}`);
console.log(`  create      ${createMs.toFixed(0)} ms`);
console.log(`  produce     ${produceMs.toFixed(0)} ms (one 1-record batch to every partition, acks=1)`);
console.log(`  fetch       ${fetchMs.toFixed(0)} ms (every partition read back: ${fetched.toLocaleString("en-US")})`);
const perPartitionKiB = (rss: number) => ((rss - rssEmpty) / (TOPICS * perTopic) / 1024).toFixed(1);
console.log(`  memory      ${(rssEmpty / 2 ** 20).toFixed(0)} MiB empty → ${(rssFull / 2 ** 20).toFixed(0)} MiB; ${perPartitionKiB(rssFull)} KiB per partition (created ${perPartitionKiB(rssCreated)}, after produce ${perPartitionKiB(rssProduced)}); idle ${(limits.idleCollectCheckMs + 3000) / 1000} s later ${perPartitionKiB(rssIdle)} KiB per partition`);
console.log(`  stop        ${stopMs.toFixed(0)} ms from SIGTERM to exit (every log flushed and closed, producer snapshots written)`);
console.log(`  start       ${startMs.toFixed(0)} ms from spawn to ready after that clean stop`);

function expectEqual(got: number, want: number, what: string): void {
  if (got !== want) throw new Error(`${what}: got ${got}, want ${want}`);
}

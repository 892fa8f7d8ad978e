/**
 * Resident memory against what is configured (issue 12, item 4): a fresh broker, `--gib` GiB of
 * 1 KiB records produced to a 12-partition topic (librdkafka's `rdkafka_performance -P`, acks=1),
 * then read back whole by one consumer (`-C -o beginning`), with the broker's VmRSS sampled every
 * 250 ms. Prints idle, peak while producing, peak while consuming and 10 s after, against the
 * per-shard budgets (recent-batch cache, read-ahead, request memory, and the io_uring backend's
 * write-behind and pooled write buffers) times the shards plus the idle broker's own footprint.
 * Exits 1 when a peak passes that sum plus `--overhead-mib`.
 *
 *     bun run bench/memory.ts [--gib 10] [--smp 2] [--partitions 12] [--overhead-mib 256] [--data-parent DIR]
 *
 * Needs native/build/rdkafka/rdkafka_performance (`bash scripts/setup.sh --bench`).
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { limits } from "../src/base/limits.ts";
import { defaultProperties } from "../src/cluster/properties.ts";
import { startBroker } from "./lib/broker.ts";

const { values } = parseArgs({
  options: { gib: { type: "string" }, smp: { type: "string" }, partitions: { type: "string" }, "overhead-mib": { type: "string" }, "data-parent": { type: "string" } },
});
const gib = Number(values.gib ?? 10);
const smp = Number(values.smp ?? 2);
const partitions = Number(values.partitions ?? 12);
const overheadMib = Number(values["overhead-mib"] ?? 256);
const RECORD_BYTES = 1024;
const records = Math.round((gib * 1024 ** 3) / RECORD_BYTES);
const REPO = join(import.meta.dir, "..");
const RDKAFKA = join(REPO, "native/build/rdkafka/rdkafka_performance");
const MiB = 1024 * 1024;

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

/** What the shards say they hold (`skua_memory_bytes`), summed over the shards, by use. */
async function heldByUse(adminUrl: string): Promise<Map<string, number>> {
  const text = await fetch(`${adminUrl}/metrics`).then((r) => r.text());
  const held = new Map<string, number>();
  for (const m of text.matchAll(/^skua_memory_bytes\{shard="\d+",use="(\w+)"\} (\d+)$/gm)) held.set(m[1]!, (held.get(m[1]!) ?? 0) + Number(m[2]));
  return held;
}

/** Runs `cmd` to the end while sampling the broker's RSS; the peak seen, and what the shards held at the sample nearest it. */
async function peakWhile(pid: number, adminUrl: string, cmd: string[], what: string): Promise<{ peak: number; seconds: number; held: Map<string, number> }> {
  let peak = rssBytes(pid);
  let held = new Map<string, number>();
  let sampling = false;
  const timer = setInterval(async () => {
    const rss = rssBytes(pid);
    if (rss <= peak || sampling) return void (peak = Math.max(peak, rss));
    peak = rss;
    sampling = true;
    held = await heldByUse(adminUrl).catch(() => held);
    sampling = false;
  }, 250);
  const started = performance.now();
  const child = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearInterval(timer);
  if (code !== 0) throw new Error(`${what} failed (${code}): ${(out + err).slice(-2000)}`);
  return { peak: Math.max(peak, rssBytes(pid)), seconds: (performance.now() - started) / 1000, held };
}

const props = defaultProperties();
const perShard = {
  "recent-batch cache": limits.recentBatchCacheBytesMax,
  "read-ahead": limits.readAheadBytesMax,
  "request memory": props.kafka_request_memory_per_shard_bytes,
  "write-behind": limits.uringWriteBehindShardBytesMax,
  "pooled write buffers": limits.uringWriteBuffersPooledBytesMax,
};
const budgetPerShard = Object.values(perShard).reduce((a, b) => a + b, 0);
const mib = (b: number) => `${(b / MiB).toFixed(0)} MiB`;

const broker = await startBroker(REPO, smp, values["data-parent"] ?? tmpdir());
let failed = false;
try {
  const topic = `memory-${Date.now().toString(36)}`;
  const admin = new Kafka({ brokers: [`${broker.host}:${broker.kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  await Bun.sleep(2000);
  const idle = rssBytes(broker.pid);
  const bootstrap = `${broker.host}:${broker.kafkaPort}`;
  const produced = await peakWhile(broker.pid, broker.adminUrl, [RDKAFKA, "-P", "-t", topic, "-s", String(RECORD_BYTES), "-c", String(records), "-a", "1", "-b", bootstrap, "-q"], "rdkafka_performance -P");
  const afterProduce = rssBytes(broker.pid);
  const consumed = await peakWhile(broker.pid, broker.adminUrl, [RDKAFKA, "-C", "-t", topic, ...Array.from({ length: partitions }, (_, p) => ["-p", String(p)]).flat(),
    "-o", "beginning", "-e", "-c", String(records), "-b", bootstrap, "-q"], "rdkafka_performance -C");
  await Bun.sleep(10_000);
  const settled = rssBytes(broker.pid);
  const bound = idle + smp * budgetPerShard + overheadMib * MiB;
  console.log(`dist/skua --smp ${smp}; ${gib} GiB of ${RECORD_BYTES} B records to ${partitions} partitions (acks=1), then read back whole by one consumer`);
  console.log(`configured per shard: ${Object.entries(perShard).map(([name, bytes]) => `${name} ${mib(bytes)}`).join(" + ")} = ${mib(budgetPerShard)}`);
  console.log(`bound: idle ${mib(idle)} + ${smp} × ${mib(budgetPerShard)} + overhead ${overheadMib} MiB = ${mib(bound)}`);
  console.log(`resident: idle ${mib(idle)}; producing peak ${mib(produced.peak)} (${produced.seconds.toFixed(0)} s), after ${mib(afterProduce)}; consuming peak ${mib(consumed.peak)} (${consumed.seconds.toFixed(0)} s); 10 s later ${mib(settled)}`);
  const describe = (held: Map<string, number>) => [...held].map(([use, bytes]) => `${use} ${mib(bytes)}`).join(", ");
  const metrics = await fetch(`${broker.adminUrl}/metrics`).then((r) => r.text());
  const sum = (name: string) => [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.]+)$`, "gm"))].reduce((a, m) => a + Number(m[1]), 0);
  console.log(`full collections for large buffers: ${sum("skua_memory_collections_total")}, ${(sum("skua_memory_collection_seconds_total") * 1000).toFixed(0)} ms in all`);
  console.log(`held at the producing peak: ${describe(produced.held)}`);
  console.log(`held at the consuming peak: ${describe(consumed.held)}`);
  for (const [name, value] of [["producing peak", produced.peak], ["consuming peak", consumed.peak], ["settled", settled]] as const) {
    if (value > bound) {
      console.log(`OVER: ${name} ${mib(value)} > ${mib(bound)}`);
      failed = true;
    }
  }
} finally {
  await broker[Symbol.asyncDispose]();
}
process.exit(failed ? 1 : 0);

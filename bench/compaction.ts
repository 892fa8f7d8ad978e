/**
 * Compaction benchmark, one run: `bun run bench/compaction.ts [--records 200000] [--keys 1000] [--seconds 5] [--rate 200]`.
 *
 * 1. Storage, in process (posix disk, temp dir): a log of `--records` records over `--keys` keys on
 *    1 MiB segments is compacted in one pass; throughput in MB/s of input segments, against a
 *    baseline in the same run: reading the same segments through the same Segment reads.
 * 2. End to end (dist/skua, --smp 1): the same records go to a compacted topic (segment.bytes 64 KiB)
 *    whose compaction is held back by min.compaction.lag.ms; then produce p99 at a fixed load
 *    (`--rate` requests/s of one 16 KiB batch, acks=-1) to another topic on the same shard for
 *    `--seconds`, first with compaction idle, then after releasing it (lag 0), so it runs during the
 *    second phase. Then: exactly one (the latest) value per key read back with kcat, and the
 *    topic's bytes on disk before and after.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/base/clock.ts";
import { PosixDisk } from "../src/io/posix-disk.ts";
import { ErrorCode } from "../src/protocol/errors.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { compactLog } from "../src/storage/compaction.ts";
import { PartitionLog } from "../src/storage/partition-log.ts";
import { startBroker, type Broker } from "../test/helpers/broker.ts";
import { kafkaClient, withAdmin } from "../test/helpers/kafka.ts";
import { kcatConsumeAll } from "../test/helpers/kcat.ts";
import { ApiKey, produce, WireClient } from "../test/helpers/wire.ts";
import { LatencyRecorder } from "./lib/stats.ts";

const { values } = parseArgs({ options: { records: { type: "string", default: "200000" }, keys: { type: "string", default: "1000" }, seconds: { type: "string", default: "5" }, rate: { type: "string", default: "200" } } });
const RECORDS = Number(values.records);
const KEYS = Number(values.keys);
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const PER_BATCH = 1000;
const MB = 1024 * 1024;

function keyedBatch(from: number, count: number): Uint8Array {
  const records = Array.from({ length: count }, (_, i) => ({ key: `key-${(from + i) % KEYS}`, value: `value-${from + i}`.padEnd(100, "."), timestampDelta: 0 }));
  return buildBatch({ records, baseTimestamp: Date.now() - 60_000 });
}

async function storagePass(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "skua-compaction-bench-"));
  try {
    const cleanup = { delete: false, compact: true, deleteRetentionMs: 86_400_000, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, minCleanableDirtyRatio: 0.5 };
    const log = await PartitionLog.open({ disk: new PosixDisk(), dir, clock: systemClock, config: { segmentBytes: MB, segmentMs: 86_400_000, maxMessageBytes: 8 * MB, retentionMs: -1, retentionBytes: -1, cleanup } });
    for (let sent = 0; sent < RECORDS; sent += PER_BATCH) await log.append(keyedBatch(sent, PER_BATCH), Date.now()).written;
    await log.append(keyedBatch(RECORDS, 1), Date.now() + 1).written; // rolls nothing; the active segment stays as is
    await log.idle();
    const sizeBefore = log.sizeBytes;
    // Baseline: the same bytes read through the log, batch by batch, as compaction reads them.
    const readStart = performance.now();
    let readBytes = 0;
    for (let offset = 0; offset < log.highWatermark; ) {
      const r = await log.read(offset, MB);
      if (!r.ok || r.bytes.length === 0) break;
      readBytes += r.bytes.length;
      const dv = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
      let at = 0;
      while (at + 61 <= r.bytes.length) {
        offset = Number(dv.getBigInt64(at)) + dv.getInt32(at + 23) + 1;
        at += dv.getInt32(at + 8) + 12;
      }
    }
    const readSeconds = (performance.now() - readStart) / 1000;
    const start = performance.now();
    const stats = await compactLog(log, { nowMs: Date.now(), keyMapBudgetBytes: 128 * MB, stableOffset: log.highWatermark });
    const seconds = (performance.now() - start) / 1000;
    if (stats === null) throw new Error("compaction did not run");
    const mbps = stats.bytesIn / MB / seconds;
    const readMbps = readBytes / MB / readSeconds;
    console.log(`storage: ${RECORDS} records over ${KEYS} keys, ${(sizeBefore / MB).toFixed(1)} MiB in ${log.segmentCount} segments after`);
    console.log(`storage: compaction ${(stats.bytesIn / MB).toFixed(1)} MiB of input segments in ${seconds.toFixed(2)} s = ${mbps.toFixed(1)} MB/s (${stats.segmentsIn} segments -> ${stats.segmentsOut}, ${stats.recordsRemoved} records removed, ${(stats.bytesOut / 1024).toFixed(0)} KiB out)`);
    console.log(`storage: baseline read of the same log ${(readBytes / MB).toFixed(1)} MiB at ${readMbps.toFixed(1)} MB/s; compaction/read = ${(mbps / readMbps).toFixed(2)}`);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function topicBytes(broker: Broker, topic: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const st = statSync(join(d, name));
      if (st.isDirectory()) walk(join(d, name));
      else total += st.size;
    }
  };
  walk(join(broker.dataDir, "kafka", topic));
  return total;
}

async function create(client: WireClient, name: string, configs: Record<string, string>): Promise<void> {
  const created: any = await client.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }], timeoutMs: 5000, validateOnly: false });
  if (created.topics[0].errorCode !== ErrorCode.NONE) throw new Error(`create ${name}: ${created.topics[0].errorCode}`);
}

/** `RATE` produce requests per second for SECONDS, each scheduled on time whatever the answers; latency from the scheduled time. */
async function fixedLoad(client: WireClient, topic: string): Promise<LatencyRecorder> {
  const latency = new LatencyRecorder();
  const batch = buildBatch({ records: Array.from({ length: 16 }, (_, i) => ({ value: "x".repeat(1000), timestampDelta: i })) });
  const intervalMs = 1000 / RATE;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    inflight.push(produce(client, topic, [{ partition: 0, records: batch.slice() }]).then((r) => {
      if (r.responses[0].partitionResponses[0].errorCode !== 0) throw new Error(`produce error ${r.responses[0].partitionResponses[0].errorCode}`);
      latency.record(performance.now() - due);
    }));
  }
  await Promise.all(inflight);
  return latency;
}

const fmt = (l: LatencyRecorder) => l.percentiles([0.5, 0.99, 0.999]).map((v) => v.toFixed(2)).join(" / ");

async function endToEnd(): Promise<void> {
  await using broker = await startBroker({ smp: 1, sets: { log_compaction_interval_ms: 100 } });
  const client = await WireClient.connect(broker.kafkaPort);
  await create(client, "table", { "cleanup.policy": "compact", "segment.bytes": "65536", "min.compaction.lag.ms": "3600000" });
  await create(client, "load", {});
  for (let sent = 0; sent < RECORDS; sent += PER_BATCH) await produce(client, "table", [{ partition: 0, records: keyedBatch(sent, PER_BATCH) }]);
  // Filler under keys of their own: the data above leaves the active segment, which is never compacted.
  for (let i = 0; i < 2; i++) {
    const filler = buildBatch({ records: Array.from({ length: 500 }, (_, j) => ({ key: `filler-${i * 500 + j}`, value: "f".repeat(100) })), baseTimestamp: Date.now() - 60_000 });
    await produce(client, "table", [{ partition: 0, records: filler }]);
  }
  const before = topicBytes(broker, "table");
  const idle = await fixedLoad(client, "load");
  const releasedAt = Date.now();
  await withAdmin(kafkaClient(broker), (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "table", configEntries: [{ name: "cleanup.policy", value: "compact" }, { name: "segment.bytes", value: "65536" }, { name: "min.compaction.lag.ms", value: "0" }] }] }));
  const busy = await fixedLoad(client, "load");
  const passes = () => broker.stderr().split("\n").filter((l) => l.includes("compacted partition=table/0"));
  for (let waited = 0; waited < 60_000 && topicBytes(broker, "table") * 10 > before; waited += 200) await Bun.sleep(200);
  const lines = passes();
  const bytesIn = lines.reduce((sum, l) => sum + Number(/bytesIn=(\d+)/.exec(l)?.[1] ?? 0), 0);
  const lastAt = lines.length > 0 ? Date.parse(lines[lines.length - 1]!.slice(0, 24)) : releasedAt;
  const after = topicBytes(broker, "table");
  console.log(`e2e: produce p50 / p99 / p99.9 ms at ${RATE} req/s × 16 KiB, acks=-1, ${SECONDS} s each: compaction idle ${fmt(idle)}; compaction running ${fmt(busy)}; p99 ratio ${(busy.percentiles([0.99])[0]! / idle.percentiles([0.99])[0]!).toFixed(2)}`);
  console.log(`e2e: ${lines.length} compaction passes took ${(bytesIn / MB).toFixed(1)} MiB of input segments in ${((lastAt - releasedAt) / 1000).toFixed(1)} s after release (under the load above)`);
  console.log(`e2e: topic bytes on disk ${before} before, ${after} after: ${(before / after).toFixed(1)}x smaller`);
  const read = await kcatConsumeAll(broker.brokers, "table", [], 60_000);
  const latest = new Map<string, string>();
  for (let i = 0; i < RECORDS; i++) latest.set(`key-${i % KEYS}`, `value-${i}`.padEnd(100, "."));
  const dataKeys = read.filter((l) => l.key.startsWith("key-"));
  const exact = dataKeys.length === KEYS && dataKeys.every((l) => latest.get(l.key) === l.value);
  console.log(`e2e: kcat read ${read.length} records, ${dataKeys.length} data keys; exactly one latest value per key: ${exact}`);
  client.close();
  if (!exact || before < after * 10) process.exitCode = 1;
}

await storagePass();
await endToEnd();

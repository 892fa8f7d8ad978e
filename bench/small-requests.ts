/**
 * Small requests (issue 12, item 2): single-record produce requests at a fixed rate with one
 * consumer tailing the partition, against fio's latency for a 4 KiB write + fdatasync in the same
 * data dir's file system, measured in the same run. Then the most single-record requests per second
 * the broker answers with many connections (closed loop, one request in flight per connection),
 * acks=-1 and acks=1.
 *
 *     bun run bench/small-requests.ts [--rate 5000] [--seconds 10] [--connections 4]
 *       [--record-bytes 1024] [--max-connections 64] [--max-partitions 12] [--max-seconds 5]
 *       [--smp 2] [--data-parent DIR] [--skip-max] [-- extra broker args]
 *
 * Each record's value ends with the time its request was handed to the socket (float64 ms, this
 * process's clock); the tailing consumer reads it back, so "end to end" is send → the consumer has
 * the record. Sends come from a 1 ms tick; how late each went against its schedule is printed
 * apart (a broker that falls behind shows as requests piling up in flight, then skipped). Needs fio.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decode } from "../src/protocol/codec.ts";
import { encodeRequestFrame } from "../src/protocol/frame.ts";
import { FetchResponse, ProduceResponse, type CreateTopicsRequest, type CreateTopicsResponse, type FetchRequest, type ProduceRequest } from "../src/protocol/messages/index.ts";
import { Writer } from "../src/protocol/writer.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { BATCH_HEADER_BYTES, batchSizeBytes, lastOffset } from "../src/storage/record-batch.ts";
import { processCpuSeconds, startBroker, type BrokerProcess } from "./lib/broker.ts";
import { KafkaConnection } from "./lib/client.ts";
import { fioSyncLatency } from "./lib/fio.ts";
import { errorName, runProducePhase } from "./lib/phases.ts";
import { LatencyRecorder } from "./lib/stats.ts";
import { batchOfSize, patternBytes } from "./payload.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rate: { type: "string" }, seconds: { type: "string" }, connections: { type: "string" }, "record-bytes": { type: "string" },
    "max-connections": { type: "string" }, "max-partitions": { type: "string" }, "max-seconds": { type: "string" },
    smp: { type: "string" }, "data-parent": { type: "string" }, "skip-max": { type: "boolean" }, "warmup-seconds": { type: "string" },
  },
});
const num = (name: string, fallback: number) => {
  const raw = values[name as keyof typeof values];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants a number ≥ 0, got ${raw}`);
  return n;
};
const rate = num("rate", 5000);
const seconds = num("seconds", 10);
const warmupSeconds = num("warmup-seconds", 2);
const connections = num("connections", 4);
const recordBytes = num("record-bytes", 1024);
const maxConnections = num("max-connections", 64);
const maxPartitions = num("max-partitions", 12);
const maxSeconds = num("max-seconds", 5);
const smp = num("smp", 2);
const dataParent = values["data-parent"] ?? tmpdir();
const REPO = join(import.meta.dir, "..");
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;
const CLIENT_ID = "skua-small-requests";
/** Requests one connection may have unanswered before the schedule counts a send as skipped. */
const IN_FLIGHT_MAX = 64;
const TICK_MS = 1;

/** Sums over all shards of the broker's /metrics lines whose names start with each of `prefixes`. */
async function metricSums<K extends string>(broker: BrokerProcess, prefixes: Record<K, string>): Promise<Record<K, number>> {
  const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  const sums = Object.fromEntries(Object.keys(prefixes).map((k) => [k, 0])) as Record<K, number>;
  for (const line of text.split("\n")) {
    const [name, value] = line.split(" ");
    for (const k of Object.keys(prefixes) as K[]) if (name?.startsWith(prefixes[k])) sums[k] += Number(value);
  }
  return sums;
}

const BROKER_COUNTERS = {
  fsyncs: "skua_storage_fsync_latency_seconds_count",
  fsyncSeconds: "skua_storage_fsync_latency_seconds_sum",
  collections: "skua_memory_collections_total",
  collectionSeconds: "skua_memory_collection_seconds_total",
  produces: 'skua_kafka_request_latency_seconds_count{api="Produce"',
  produceSeconds: 'skua_kafka_request_latency_seconds_sum{api="Produce"',
};

async function createTopic(conn: KafkaConnection, name: string, partitions: number): Promise<void> {
  const body: CreateTopicsRequest = {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false,
  };
  const res = await conn.request<CreateTopicsResponse>(encodeRequestFrame(19, 7, 0, CLIENT_ID, body));
  const t = res.topics[0];
  if (t === undefined || t.errorCode !== 0) throw new Error(`CreateTopics ${name}: ${t === undefined ? "no answer" : errorName(t.errorCode)}`);
}

const pattern = patternBytes(Math.max(8, recordBytes - 9));

/** A produce frame of one single-record batch whose value ends with `sentAtMs` (0: not measured). */
function produceFrame(topic: string, sentAtMs: number, acks: -1 | 1): Uint8Array {
  const value = pattern.slice();
  new DataView(value.buffer).setFloat64(value.length - 8, sentAtMs);
  const records = buildBatch({ baseTimestamp: Date.now(), records: [{ value }] });
  const body: ProduceRequest = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
  return encodeRequestFrame(0, PRODUCE_VERSION, 0, CLIENT_ID, body, new Writer(records.length + 128));
}

function fetchFrame(topic: string, offset: number): Uint8Array {
  const body: Partial<FetchRequest> = {
    replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{
      topic, topicId: "00000000-0000-0000-0000-000000000000",
      partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: "00000000-0000-0000-0000-000000000000" }],
    }],
    forgottenTopicsData: [], rackId: "",
  };
  return encodeRequestFrame(1, FETCH_VERSION, 0, CLIENT_ID, body, new Writer(256));
}

interface FixedRateResult {
  sent: number; acked: number; skipped: number; consumed: number; errors: Map<string, number>;
  produceLatency: LatencyRecorder; endToEnd: LatencyRecorder; lateness: LatencyRecorder; brokerCpuCores: number; wallSeconds: number;
}

/**
 * Sends `rate` requests per second spread over the connections, on a 1 ms tick that sends every
 * request whose time has come; a consumer tails partition 0. Only requests scheduled after the
 * warm-up count, and the broker's CPU is sampled over the same window.
 */
async function fixedRate(broker: BrokerProcess, topic: string): Promise<FixedRateResult> {
  const producers = await Promise.all(Array.from({ length: connections }, () => KafkaConnection.open(broker.host, broker.kafkaPort)));
  const consumer = await KafkaConnection.open(broker.host, broker.kafkaPort);
  const errors = new Map<string, number>();
  const error = (name: string) => errors.set(name, (errors.get(name) ?? 0) + 1);
  const produceLatency = new LatencyRecorder();
  const endToEnd = new LatencyRecorder();
  const lateness = new LatencyRecorder();
  const startMs = performance.now();
  const measureFromMs = startMs + warmupSeconds * 1000;
  const endMs = measureFromMs + seconds * 1000;
  let sent = 0, acked = 0, skipped = 0, consumed = 0;
  let cpuBefore = 0, cpuAfter = 0, measuredWallStart = 0, measuredWallEnd = 0;

  // Consumer: one fetch in flight from offset 0; acknowledged records hold offsets 0…acked-1, so it
  // is done once producing ended and it read past them.
  let fetchOffset = 0;
  let consumerDone!: () => void;
  const consumerFinished = new Promise<void>((r) => (consumerDone = r));
  let producingDone = false;
  const onFetch = (body: import("../src/protocol/reader.ts").Reader) => {
    const nowMs = performance.now();
    const res = decode(FetchResponse, FETCH_VERSION, body);
    const p = res.responses[0]?.partitions[0];
    if (res.errorCode !== 0 || p === undefined || p.errorCode !== 0) error(`fetch ${errorName(p?.errorCode ?? res.errorCode)}`);
    const b = p?.records ?? new Uint8Array(0);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let at = 0; b.length - at >= BATCH_HEADER_BYTES;) {
      const size = batchSizeBytes(b, at);
      if (at + size > b.length) break;
      if (lastOffset(b, at) >= fetchOffset) {
        // One record, no headers: its value ends one byte (the header count) before the batch does.
        const sentAtMs = view.getFloat64(at + size - 9);
        if (sentAtMs > 0) endToEnd.record(nowMs - sentAtMs);
        consumed++;
        fetchOffset = lastOffset(b, at) + 1;
      }
      at += size;
    }
    if (producingDone && fetchOffset >= acked) return consumerDone();
    consumer.send(fetchFrame(topic, fetchOffset), onFetch, (reason) => { error(reason); consumerDone(); });
  };
  consumer.send(fetchFrame(topic, 0), onFetch, (reason) => { error(reason); consumerDone(); });

  const perConnIntervalMs = (1000 * connections) / rate;
  const next = producers.map((_, i) => startMs + (i * perConnIntervalMs) / connections);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const nowMs = performance.now();
      if (measuredWallStart === 0 && nowMs >= measureFromMs) {
        measuredWallStart = nowMs;
        cpuBefore = processCpuSeconds(broker.pid) ?? NaN;
      }
      for (let i = 0; i < producers.length; i++) {
        const conn = producers[i]!;
        while (next[i]! <= nowMs && next[i]! < endMs) {
          const scheduledMs = next[i]!;
          next[i]! += perConnIntervalMs;
          if (conn.inFlightCount >= IN_FLIGHT_MAX) {
            if (scheduledMs >= measureFromMs) skipped++;
            continue;
          }
          const measured = scheduledMs >= measureFromMs;
          const sentAtMs = performance.now();
          if (measured) {
            sent++;
            lateness.record(sentAtMs - scheduledMs);
          }
          conn.send(produceFrame(topic, measured ? sentAtMs : 0, -1), (body) => {
            const res = decode(ProduceResponse, PRODUCE_VERSION, body);
            const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
            if (code !== 0) return error(`produce ${errorName(code)}`);
            acked++;
            if (measured) produceLatency.record(performance.now() - sentAtMs);
          }, error);
        }
      }
      if (nowMs >= endMs) {
        clearInterval(tick);
        measuredWallEnd = nowMs;
        cpuAfter = processCpuSeconds(broker.pid) ?? NaN;
        resolve();
      }
    }, TICK_MS);
  });
  // Let the last answers and the consumer catch up (bounded).
  const drainUntil = performance.now() + 10_000;
  while (producers.some((c) => c.inFlightCount > 0) && performance.now() < drainUntil) await Bun.sleep(5);
  producingDone = true;
  await Promise.race([consumerFinished, Bun.sleep(10_000)]);
  if (fetchOffset < acked) error(`consumer stopped at offset ${fetchOffset} of ${acked} acknowledged`);
  for (const c of [...producers, consumer]) c.close();
  const wallSeconds = (measuredWallEnd - measuredWallStart) / 1000;
  return { sent, acked, skipped, consumed, errors, produceLatency, endToEnd, lateness, brokerCpuCores: (cpuAfter - cpuBefore) / wallSeconds, wallSeconds };
}

/** Closed loop: `maxConnections` connections, one single-record request in flight each. */
async function maxRate(broker: BrokerProcess, topic: string, acks: -1 | 1) {
  const conns = await Promise.all(Array.from({ length: maxConnections }, () => KafkaConnection.open(broker.host, broker.kafkaPort)));
  const batch = batchOfSize(recordBytes, recordBytes);
  const plan = { topic, partitions: maxPartitions, acks, depth: 1, batch: batch.bytes, batchRecords: 1, ackedRecords: [], rateMBps: null };
  await runProducePhase(conns, plan, 1); // warm-up
  const cpuBefore = processCpuSeconds(broker.pid) ?? NaN;
  const stats = await runProducePhase(conns, plan, maxSeconds);
  const cpu = ((processCpuSeconds(broker.pid) ?? NaN) - cpuBefore) / stats.elapsedSeconds;
  for (const c of conns) c.close();
  const [p50, p99] = stats.latency.percentiles([0.5, 0.99]);
  return { requestsPerSec: stats.requests / stats.elapsedSeconds, p50: p50!, p99: p99!, cpu, errors: stats.errorCount };
}

const ms = (v: number) => `${v.toFixed(2)} ms`;
let failed = false;
if (Bun.which("fio") === null) throw new Error("fio not found: bash scripts/setup.sh --bench");
const fioDir = mkdtempSync(join(dataParent, "skua-fio-"));
const fio = fioSyncLatency(fioDir);
rmSync(fioDir, { recursive: true, force: true });
console.log(`fio 4 KiB write + fdatasync (psync, one at a time) in ${dataParent}: p50 ${ms(fio.p50)}, p99 ${ms(fio.p99)}, mean per operation ${ms(fio.meanOp)}`);

const broker = await startBroker(REPO, smp, dataParent, positionals);
try {
  const admin = await KafkaConnection.open(broker.host, broker.kafkaPort);
  const topic = `small-${Date.now().toString(36)}`;
  await createTopic(admin, topic, 1);
  await createTopic(admin, `${topic}-max`, maxPartitions);
  admin.close();
  await Bun.sleep(500);

  const countersBefore = await metricSums(broker, BROKER_COUNTERS);
  const r = await fixedRate(broker, topic);
  const counters = await metricSums(broker, BROKER_COUNTERS);
  for (const k of Object.keys(counters) as Array<keyof typeof counters>) counters[k] -= countersBefore[k];
  const [pp50, pp99] = r.produceLatency.percentiles([0.5, 0.99]);
  const [e50, e99, e999] = r.endToEnd.percentiles([0.5, 0.99, 0.999]);
  console.log(`\nfixed rate: ${rate} single-record produce requests/s (acks=-1, ${recordBytes} B records) over ${connections} connections, one consumer tailing, ${seconds} s after ${warmupSeconds} s of warm-up`);
  console.log(`  sent ${r.sent}, acknowledged ${r.acked} (whole run), skipped ${r.skipped} (${IN_FLIGHT_MAX} in flight on a connection), consumed ${r.consumed}`);
  const [l50, l99] = r.lateness.percentiles([0.5, 0.99]);
  console.log(`  produce latency  p50 ${ms(pp50!)}  p99 ${ms(pp99!)}   (sent → acknowledged)`);
  console.log(`  end to end       p50 ${ms(e50!)}  p99 ${ms(e99!)}  p999 ${ms(e999!)}   (sent → consumer has it)`);
  console.log(`  send lateness    p50 ${ms(l50!)}  p99 ${ms(l99!)}   (schedule → sent, the generator's 1 ms tick)`);
  const rounds = Math.max(1, counters.fsyncs);
  console.log(`  fdatasync rounds ${counters.fsyncs} (${(r.acked / rounds).toFixed(2)} requests each), mean ${ms((1000 * counters.fsyncSeconds) / rounds)}   (the broker's group commits, whole run)`);
  console.log(`  in the broker    mean ${ms((1000 * counters.produceSeconds) / Math.max(1, counters.produces))} a produce request   (arrival → response encoded, whole run)`);
  console.log(`  full collections ${counters.collections}, ${ms(1000 * counters.collectionSeconds)} in all   (the broker's, whole run)`);
  console.log(`  broker cpu       ${(r.brokerCpuCores * 100).toFixed(1)}% of one core over ${r.wallSeconds.toFixed(1)} s`);
  console.log(`  vs fio           e2e p50 / fio p50 = ${(e50! / fio.p50).toFixed(2)} (target ≤ 1.5); p99 ${ms(e99!)} (target < 8 ms); cpu ${r.brokerCpuCores.toFixed(3)} core (target ≤ 0.15)`);
  if (r.errors.size > 0 || r.skipped > 0) {
    failed = true;
    console.log(`  errors           ${[...r.errors].map(([k, v]) => `${k}×${v}`).join(", ") || "none"}; skipped ${r.skipped}`);
  }

  if (values["skip-max"] !== true) {
    console.log(`\nmost single-record requests/s: ${maxConnections} connections × 1 in flight, ${maxPartitions} partitions, ${maxSeconds} s`);
    for (const acks of [-1, 1] as const) {
      const m = await maxRate(broker, `${topic}-max`, acks);
      console.log(`  acks=${acks}: ${Math.round(m.requestsPerSec).toLocaleString("en-US")} requests/s, p50 ${ms(m.p50)}, p99 ${ms(m.p99)}, broker cpu ${(m.cpu * 100).toFixed(0)}% of one core, errors ${m.errors}`);
      if (m.errors > 0) failed = true;
    }
  }
} finally {
  await broker[Symbol.asyncDispose]();
}
process.exit(failed ? 1 : 0);

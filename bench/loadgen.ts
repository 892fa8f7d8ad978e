/**
 * End-to-end load generator: starts dist/skua (or targets --brokers), creates a topic
 * with CreateTopics, then runs three phases of --seconds each over raw TCP with a
 * minimal pipelining client built on src/protocol:
 *   1. produce, acks=-1     2. produce, acks=1     3. fetch everything back from offset 0
 * Prints MB/s (10^6 bytes of record batches), msgs/s, requests/s, per-request latency
 * percentiles, errors, and the CPU the generator and the broker used. Exits 1 on any error.
 * Run: npm run bench:e2e -- --seconds 10 --connections 4 --depth 8
 */
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { encodeRequestFrame } from "../src/protocol/frame.ts";
import type { CreateTopicsRequest, CreateTopicsResponse, MetadataRequest, MetadataResponse } from "../src/protocol/messages/index.ts";
import { processCpuSeconds, startBroker, type BrokerProcess } from "./lib/broker.ts";
import { printRoutes } from "./lib/routes.ts";
import { KafkaConnection } from "./lib/client.ts";
import { errorName, runFetchPhase, runProducePhase, type FetchPlan, type ProducePlan } from "./lib/phases.ts";
import { runSource, writeResult, type PhaseResult } from "./lib/results.ts";
import { formatPhase, phaseResult, PhaseStats, sampleCpu } from "./lib/stats.ts";
import { batchOfSize, formatBytes, KiB } from "./payload.ts";

const REPO_DIR = join(dirname(import.meta.path), "..");
const TOPIC_READY_TIMEOUT_MS = 30_000;

const usage = `Usage: bun run bench/loadgen.ts [options]
  --seconds N            length of each phase (default 5)
  --smp N                shards of the broker this starts (default 2)
  --partitions N         partitions of the topic (default 12)
  --connections N        producer connections (default 4)
  --depth N              requests in flight per connection (default 8)
  --batch-bytes N        bytes per batch, one batch per owned partition per request (default 65536)
  --record-bytes N       bytes per record (default 1024)
  --fetch-connections N  fetch connections, at most one per partition (default: --connections)
  --fetch-max-bytes N    partition max bytes per fetch (default 1048576)
  --brokers HOST:PORT    use a running broker instead of starting dist/skua
  --broker-pid PID       with --brokers: read that process's CPU time from /proc
  --disk-baseline        run bench/disk-baseline.sh first and compare acks=-1 MB/s to it
  --io uring|posix       disk backend of the broker this starts (default: the broker's choice)
  --acks-all-only        run only the produce acks=-1 phase (for backend comparisons)
  --warmup-seconds N     unmeasured produce before each produce phase (default 1): first file
                         opens and JIT warm-up stay out of the percentiles
  --rate-mbps N          produce open loop: offer N MB/s on a fixed schedule (each of the
                         connections × depth slots still has one request in flight at most);
                         latency counts from the scheduled send (default: closed loop)
  --data-parent DIR      where the broker's temp data dir goes (default: the OS temp dir)
  --json FILE            also write each phase's rates and latency CDF to FILE (for bench/plots.ts)`;

interface Options {
  seconds: number; smp: number; partitions: number; connections: number; depth: number;
  batchBytes: number; recordBytes: number; fetchConnections: number; fetchMaxBytes: number;
  brokers: string | null; brokerPid: number | null; diskBaseline: boolean; dataParent: string;
  io: string | null; acksAllOnly: boolean; rateMBps: number | null; warmupSeconds: number; json: string | null;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string" }, smp: { type: "string" }, partitions: { type: "string" },
      connections: { type: "string" }, depth: { type: "string" }, "batch-bytes": { type: "string" },
      "record-bytes": { type: "string" }, "fetch-connections": { type: "string" }, "fetch-max-bytes": { type: "string" },
      brokers: { type: "string" }, "broker-pid": { type: "string" }, "disk-baseline": { type: "boolean" },
      "data-parent": { type: "string" }, help: { type: "boolean" }, io: { type: "string" }, "acks-all-only": { type: "boolean" },
      "rate-mbps": { type: "string" }, "warmup-seconds": { type: "string" }, json: { type: "string" },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min = 1) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return n;
  };
  const connections = int("connections", values.connections, 4);
  return {
    seconds: int("seconds", values.seconds, 5),
    smp: int("smp", values.smp, 2),
    partitions: int("partitions", values.partitions, 12),
    connections,
    depth: int("depth", values.depth, 8),
    batchBytes: int("batch-bytes", values["batch-bytes"], 64 * KiB, 128),
    recordBytes: int("record-bytes", values["record-bytes"], 1024, 16),
    fetchConnections: int("fetch-connections", values["fetch-connections"], connections),
    fetchMaxBytes: int("fetch-max-bytes", values["fetch-max-bytes"], 1024 * KiB),
    brokers: values.brokers ?? null,
    brokerPid: values["broker-pid"] === undefined ? null : int("broker-pid", values["broker-pid"], 0),
    diskBaseline: values["disk-baseline"] === true,
    dataParent: values["data-parent"] ?? tmpdir(),
    io: values.io ?? null,
    acksAllOnly: values["acks-all-only"] === true,
    rateMBps: values["rate-mbps"] === undefined ? null : int("rate-mbps", values["rate-mbps"], 0),
    warmupSeconds: int("warmup-seconds", values["warmup-seconds"], 1, 0),
    json: values.json ?? null,
  };
}

function parseHostPort(s: string): { host: string; port: number } {
  const at = s.lastIndexOf(":");
  const port = Number(s.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) throw new Error(`--brokers wants HOST:PORT, got ${s}`);
  return { host: s.slice(0, at), port };
}

/** fdatasync'ed sequential write MB/s of the disk under `dir`, from bench/disk-baseline.sh. */
function diskBaseline(dir: string): { directMBps: number; fdatasyncMBps: number } {
  const run = Bun.spawnSync(["bash", join(REPO_DIR, "bench/disk-baseline.sh"), dir], { stderr: "inherit" });
  const out = run.stdout.toString();
  process.stdout.write(out);
  const read = (name: string) => Number(out.match(new RegExp(`^${name} ([0-9.]+)$`, "m"))?.[1] ?? NaN);
  if (run.exitCode !== 0) throw new Error("bench/disk-baseline.sh failed");
  return { directMBps: read("direct"), fdatasyncMBps: read("fdatasync") };
}

async function createTopic(host: string, port: number, topic: string, partitions: number): Promise<void> {
  const conn = await KafkaConnection.open(host, port);
  try {
    const create: CreateTopicsRequest = {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    };
    const created = await conn.request<CreateTopicsResponse>(encodeRequestFrame(19, 7, 0, "skua-loadgen", create));
    const result = created.topics[0];
    if (result === undefined || result.errorCode !== 0) {
      throw new Error(`CreateTopics ${topic}: ${result === undefined ? "no result" : `${errorName(result.errorCode)} ${result.errorMessage ?? ""}`}`);
    }
    await waitForLeaders(conn, topic, partitions);
  } finally {
    conn.close();
  }
}

/** Polls Metadata v12 until every partition of `topic` reports a leader without error. */
async function waitForLeaders(conn: KafkaConnection, topic: string, partitions: number): Promise<void> {
  const body: Partial<MetadataRequest> = {
    topics: [{ topicId: "00000000-0000-0000-0000-000000000000", name: topic }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  };
  const deadline = performance.now() + TOPIC_READY_TIMEOUT_MS;
  let last = "no answer";
  while (performance.now() < deadline) {
    const md = await conn.request<MetadataResponse>(encodeRequestFrame(3, 12, 0, "skua-loadgen", body));
    const t = md.topics.find((x) => x.name === topic);
    const ready = t !== undefined && t.errorCode === 0 && t.partitions.length === partitions &&
      t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0);
    if (ready) return;
    last = t === undefined ? "topic missing" : `topic ${errorName(t.errorCode)}, ${t.partitions.length} partitions`;
    await Bun.sleep(50);
  }
  throw new Error(`topic ${topic} not ready after ${TOPIC_READY_TIMEOUT_MS} ms: ${last}`);
}

async function openConnections(host: string, port: number, count: number): Promise<KafkaConnection[]> {
  return Promise.all(Array.from({ length: count }, () => KafkaConnection.open(host, port)));
}

let broker: BrokerProcess | null = null;

async function main(): Promise<number> {
  const opts = parseOptions();
  const disk = opts.diskBaseline ? diskBaseline(opts.dataParent) : null;
  if (opts.brokers === null) broker = await startBroker(REPO_DIR, opts.smp, opts.dataParent, opts.io === null ? [] : ["--io", opts.io]);
  const target = broker === null ? parseHostPort(opts.brokers!) : { host: broker.host, port: broker.kafkaPort };
  const brokerPid = broker?.pid ?? opts.brokerPid;
  const brokerCpu = () => (brokerPid === null ? null : processCpuSeconds(brokerPid));

  const topic = `loadgen-${Date.now().toString(36)}`;
  await createTopic(target.host, target.port, topic, opts.partitions);
  const batch = batchOfSize(opts.batchBytes, opts.recordBytes);
  printConfig(opts, target, topic, batch.bytes.length, batch.records);

  let errors = 0;
  const ackedRecords: number[] = [];
  const phases: PhaseResult[] = [];
  for (const acks of opts.acksAllOnly ? ([-1] as const) : ([-1, 1] as const)) {
    const conns = await openConnections(target.host, target.port, opts.connections);
    const plan: ProducePlan = { topic, partitions: opts.partitions, acks, depth: opts.depth, batch: batch.bytes, batchRecords: batch.records, ackedRecords, rateMBps: opts.rateMBps };
    if (opts.warmupSeconds > 0) errors += (await runProducePhase(conns, plan, opts.warmupSeconds)).errorCount;
    const before = sampleCpu(brokerCpu);
    const stats = await runProducePhase(conns, plan, opts.seconds);
    console.log(formatPhase(`produce acks=${acks}`, stats, before, sampleCpu(brokerCpu)));
    phases.push(phaseResult(`produce acks=${acks}`, stats));
    if (acks === -1 && disk !== null) printDiskRatio(stats, disk);
    errors += stats.errorCount;
    for (const c of conns) c.close();
  }
  if (!opts.acksAllOnly) errors += await fetchPhase(opts, target, topic, ackedRecords, brokerCpu, phases);
  if (opts.json !== null) writeResult(opts.json, { kind: "loadgen", source: runSource("bench/loadgen.ts", process.argv.slice(2)), label: runLabel(opts), phases });
  if (opts.acksAllOnly) return errors;
  if (broker !== null) {
    console.log("routes (whole run, from /metrics)");
    await printRoutes(broker.adminUrl);
  }
  return errors;
}

async function fetchPhase(
  opts: Options, target: { host: string; port: number }, topic: string, ackedRecords: number[], brokerCpu: () => number | null,
  phases: PhaseResult[],
): Promise<number> {
  const conns = await openConnections(target.host, target.port, Math.min(opts.fetchConnections, opts.partitions));
  const plan: FetchPlan = { topic, partitions: opts.partitions, depth: opts.depth, partitionMaxBytes: opts.fetchMaxBytes, fetchedRecords: [], caughtUp: new Set() };
  const before = sampleCpu(brokerCpu);
  const stats = await runFetchPhase(conns, plan, opts.seconds);
  const after = sampleCpu(brokerCpu);
  for (const c of conns) c.close();
  checkFetched(plan, ackedRecords, opts.partitions, stats);
  console.log(formatPhase("fetch from offset 0", stats, before, after));
  phases.push(phaseResult("fetch from offset 0", stats));
  const fetched = plan.fetchedRecords.reduce((a, b) => a + (b ?? 0), 0);
  const acked = ackedRecords.reduce((a, b) => a + (b ?? 0), 0);
  const complete = plan.caughtUp.size === opts.partitions;
  console.log(`  read back   ${fetched.toLocaleString("en-US")} records of ${acked.toLocaleString("en-US")} acknowledged; ` +
    (complete ? "every partition reached its high watermark" : `${plan.caughtUp.size}/${opts.partitions} partitions caught up before the deadline`));
  return stats.errorCount;
}

/** A partition read to its high watermark must hold at least what was acknowledged on it. */
function checkFetched(plan: FetchPlan, ackedRecords: number[], partitions: number, stats: PhaseStats): void {
  for (let p = 0; p < partitions; p++) {
    if (!plan.caughtUp.has(p)) continue;
    const fetched = plan.fetchedRecords[p] ?? 0;
    const acked = ackedRecords[p] ?? 0;
    if (fetched < acked) stats.error(`partition ${p}: fetched ${fetched} < acknowledged ${acked} records`);
  }
}

function printConfig(opts: Options, target: { host: string; port: number }, topic: string, batchBytes: number, batchRecords: number): void {
  const where = broker === null ? `broker ${target.host}:${target.port} (already running)` : `dist/skua --smp ${opts.smp}${opts.io === null ? "" : ` --io ${opts.io}`} on ${target.host}:${target.port}, data in ${broker.dataDir}`;
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`${where}; ${availableParallelism()} cores shared by the broker and this generator; load average ${load}`);
  console.log(`topic ${topic}: ${opts.partitions} partitions; ${opts.connections} connections × ${opts.depth} in flight; ` +
    `batch ${formatBytes(batchBytes)} = ${batchRecords} records of ~${opts.recordBytes} B; ${opts.seconds} s per phase after ${opts.warmupSeconds} s of warm-up; ` +
    (opts.rateMBps === null ? "produce closed loop" : `produce open loop at ${opts.rateMBps} MB/s offered`));
  console.log("MB = 10^6 bytes of record batches acknowledged (produce) or received (fetch); latency per request, send → response\n");
}

function runLabel(opts: Options): string {
  const load = opts.rateMBps === null ? "" : `, ${opts.rateMBps} MB/s offered`;
  return `--smp ${opts.smp}${opts.io === null ? "" : ` --io ${opts.io}`}, ${formatBytes(opts.batchBytes)} batches, ${opts.seconds} s phases${load}`;
}

function printDiskRatio(stats: PhaseStats, disk: { directMBps: number; fdatasyncMBps: number }): void {
  const mbps = stats.batchBytes / stats.elapsedSeconds / 1e6;
  console.log(`  vs disk     ${(mbps / disk.fdatasyncMBps).toFixed(2)}× the disk's fdatasync-per-MiB bandwidth ` +
    `(${disk.fdatasyncMBps.toFixed(1)} MB/s), ${(mbps / disk.directMBps).toFixed(2)}× its O_DIRECT bandwidth (${disk.directMBps.toFixed(1)} MB/s)`);
}

let stopping: Promise<void> | null = null;
let interrupted = false;

/** Stops the broker this started, once; every caller waits for the same cleanup. */
function shutdown(): Promise<void> {
  if (stopping === null) stopping = broker === null ? Promise.resolve() : Promise.resolve(broker[Symbol.asyncDispose]());
  return stopping;
}

process.once("SIGINT", () => {
  interrupted = true;
  void shutdown().then(() => process.exit(130));
});
let exitCode = 0;
try {
  const errors = await main();
  if (errors > 0) {
    console.log(`\n${errors} error(s): exiting 1`);
    exitCode = 1;
  }
} catch (err) {
  if (!interrupted) console.error(`loadgen: ${(err as Error).message}`);
  exitCode = 2;
} finally {
  await shutdown();
}
process.exit(interrupted ? 130 : exitCode);

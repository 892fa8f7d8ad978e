/**
 * Fetch against the machine's own ceilings, same run (issue 12, item 1). Three cases, each with its
 * baseline measured in the same round (the median of 3 runs), over `--rounds` rounds, medians printed:
 *
 * 1. one librdkafka consumer (`rdkafka_performance -C -p 0 -o beginning -e`) on one partition whose
 *    `--cached-mib` were just produced, so they sit in the shard's recent-batch cache, against
 *    iperf3's single-stream loopback bandwidth;
 * 2. four such consumers at once, three partitions each, on a 12-partition topic of `--partition-mib`
 *    per partition (in the caches of both shards), against iperf3; their bytes over the window from
 *    the first consumer's first record to the last one's last record (a run whose consumers' first
 *    records came over 100 ms apart, librdkafka having started one late, is run again);
 * 3. one consumer on a partition of `--disk-mib` after a broker restart (nothing cached: every batch
 *    comes from the disk), against fio's O_DIRECT sequential read (1 MiB reads, psync) of a file of
 *    the same size in the same directory.
 *
 * Records are 1 KiB (rdkafka_performance -P -s 1024, acks=1; at RF=3 acks=-1, so the high
 * watermark has reached them when the consumers start). Each consumer stops at its last
 * record (`-c`: the EOF that `-e` waits for costs one fetch.wait.max.ms long-poll, which no broker
 * can shorten), and must get every record produced, else the run fails. MB = 10^6 bytes of record
 * values, as rdkafka_performance counts.
 *
 *     bun run bench/fetch.ts [--rounds 5] [--smp 2] [--cached-mib 48]
 *       [--partition-mib 7] [--disk-mib 1024] [--data-parent DIR] [--iperf-seconds 2] [--rf 3]
 *       [--fetch-mib 1]
 *
 * `--fetch-mib`: the consumers' max.partition.fetch.bytes (librdkafka's default is 1 MiB). Case 3
 * also prints what the brokers read from the disk per byte consumed (/proc/<pid>/io): about 1×
 * (each segment's first fetch is read before the read-ahead starts).
 *
 * With `--rf 3`: three brokers on this machine (lib/brokers.ts), topics at RF=3 (consumers read
 * from the leaders), and case 3 restarts all three.
 *
 * Needs fio, iperf3 and native/build/rdkafka/rdkafka_performance (`bash scripts/setup.sh --bench`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/helpers/broker.ts";
import { type Brokers, createTopics, startBrokers } from "./lib/brokers.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const rounds = Number(args.get("rounds") ?? 5);
const rf = Number(args.get("rf") ?? 1);
const smp = Number(args.get("smp") ?? (rf > 1 ? 1 : 2));
const cachedMib = Number(args.get("cached-mib") ?? 48);
const partitionMib = Number(args.get("partition-mib") ?? 7);
const diskMib = Number(args.get("disk-mib") ?? 1024);
const dataParent = args.get("data-parent") ?? tmpdir();
const iperfSeconds = Number(args.get("iperf-seconds") ?? 2);
const fetchMib = Number(args.get("fetch-mib") ?? 1);
const repo = new URL("..", import.meta.url).pathname;
const RDKAFKA = join(repo, "native/build/rdkafka/rdkafka_performance");
const RECORD_BYTES = 1024;
const recordsIn = (mib: number) => Math.round((mib * 1024 * 1024) / RECORD_BYTES);

function run(cmd: string[], what: string): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${what} failed (${r.exitCode}): ${r.stderr.toString().slice(-2000)}`);
  return r.stdout.toString();
}

/** Each baseline is the median of this many runs: one fio or iperf3 run here moves by ±40% from the next. */
const BASELINE_RUNS = 3;

/** iperf3, one TCP stream over loopback for `iperfSeconds`: bytes/s received, median of BASELINE_RUNS runs. */
async function iperf3(): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) runs.push(await iperf3Once());
  return median(runs);
}

async function iperf3Once(): Promise<number> {
  const port = freePort();
  const server = Bun.spawn(["iperf3", "-s", "-1", "-p", String(port)], { stdout: "ignore", stderr: "ignore" });
  try {
    for (let i = 0; i < 50; i++) {
      const r = Bun.spawnSync(["iperf3", "-c", "127.0.0.1", "-p", String(port), "-t", String(iperfSeconds), "-J"], { stdout: "pipe", stderr: "pipe" });
      const report = r.exitCode === 0 ? JSON.parse(r.stdout.toString()) : null;
      const received = report?.end?.sum_received?.bits_per_second;
      if (typeof received === "number") return received / 8;
      await Bun.sleep(50); // the server is not listening yet (its JSON then holds an error)
    }
    throw new Error("iperf3 client never connected");
  } finally {
    server.kill();
    await server.exited;
  }
}

/** fio: sequential O_DIRECT reads of 1 MiB (psync, one at a time) of a `mib` file in `dir`: bytes/s, median of BASELINE_RUNS runs. */
function fioRead(dir: string, mib: number): number {
  return median(Array.from({ length: BASELINE_RUNS }, () => fioReadOnce(dir, mib)));
}

function fioReadOnce(dir: string, mib: number): number {
  const out = run(["fio", "--name=seqread", `--filename=${join(dir, "fio-read.dat")}`, `--size=${mib}m`, "--rw=read", "--bs=1m",
    "--direct=1", "--ioengine=psync", "--output-format=json"], "fio");
  return JSON.parse(out.slice(out.indexOf("{"))).jobs[0].read.bw_bytes;
}

function produce(brokers: Brokers, topic: string, partition: number, records: number): void {
  const out = run([RDKAFKA, "-P", "-t", topic, "-p", String(partition), "-s", String(RECORD_BYTES), "-c", String(records), "-a", brokers.rf > 1 ? "-1" : "1",
    "-b", brokers.bootstrap, "-q"], "rdkafka_performance -P");
  if (!out.includes(`${records} delivered`) || !out.includes(" 0 failed)")) throw new Error(`produce to ${topic}/${partition}: ${out}`);
}

interface Consumed {
  bytes: number;
  /** performance.now() of its first and last record. */
  startMs: number;
  endMs: number;
}

/** One rdkafka_performance consumer of `partitions` from the beginning until `records` came. */
async function consume(brokers: Brokers, topic: string, partitions: number[], records: number): Promise<Consumed> {
  const cmd = ["stdbuf", "-oL", RDKAFKA, "-C", "-t", topic, ...partitions.flatMap((p) => ["-p", String(p)]), "-o", "beginning", "-e",
    "-c", String(records), "-b", brokers.bootstrap, "-q", "-X", `max.partition.fetch.bytes=${fetchMib * 1024 * 1024}`];
  const child = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  let text = "";
  let endMs = 0;
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk);
    if (endMs === 0 && /consumed in \d+ms/.test(text)) endMs = performance.now(); // printed as its loop ends
  }
  await child.exited;
  const m = /(\d+) messages \((\d+) bytes\) consumed in (\d+)ms/.exec(text);
  if (child.exitCode !== 0 || !m || Number(m[1]) !== records) {
    throw new Error(`consumer of ${topic} ${partitions}: wanted ${records} records, got: ${text} ${await new Response(child.stderr).text()}`);
  }
  return { bytes: Number(m[2]), startMs: endMs - Number(m[3]), endMs };
}

/** Bytes the processes read from the block device so far (/proc/<pid>/io). */
function diskReadBytes(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + Number(/^read_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))![1]), 0);
}

/** Bytes/s of consumers running at once: all their bytes over the window from the first start to the last end. */
function together(runs: Consumed[]): number {
  const startMs = Math.min(...runs.map((r) => r.startMs));
  const endMs = Math.max(...runs.map((r) => r.endMs));
  return runs.reduce((sum, r) => sum + r.bytes, 0) / ((endMs - startMs) / 1000);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mbps = (bytesPerS: number) => (bytesPerS / 1e6).toFixed(0);

interface Row {
  round: number;
  baseline: number;
  skua: number;
}

for (const tool of ["fio", "iperf3", "stdbuf"]) if (Bun.which(tool) === null) throw new Error(`${tool} not found: bash scripts/setup.sh --bench`);
if (!existsSync(RDKAFKA)) run(["bash", join(repo, "scripts/build-rdkafka-performance.sh")], "build-rdkafka-performance");

const dataDir = mkdtempSync(join(dataParent, "skua-fetch-bench-"));
const results: Record<string, Row[]> = { cached1: [], cached4x12: [], disk: [] };
/** How far apart the four consumers' first records may be for their run to count as concurrent. */
const CONCURRENT_START_SPREAD_MS = 100;
/** Runs of four consumers a round may take to get its three concurrent ones. */
const CONCURRENT_ATTEMPTS_MAX = 9;
/** Start spreads of the 4-consumer runs that were taken again. */
const lateStarts: number[] = [];
/** Case 3: bytes the brokers read from the disk per record byte consumed, by round. */
const diskReadPerByte: number[] = [];
try {
  const brokers = await startBrokers({ rf, smp, repo, dataDir, restartable: true });
  try {
    await createTopics(brokers, [{ topic: "one", numPartitions: 1 }, { topic: "twelve", numPartitions: 12 }, { topic: "disk", numPartitions: 1 }]);
    // Case 1, then case 2: produced just before their rounds, so each is in the caches when read.
    const oneRecords = recordsIn(cachedMib);
    produce(brokers, "one", 0, oneRecords);
    for (let r = 1; r <= rounds; r++) {
      const baseline = await iperf3();
      const runs: number[] = [];
      for (let k = 0; k < 3; k++) runs.push(together([await consume(brokers, "one", [0], oneRecords)]));
      results.cached1!.push({ round: r, baseline, skua: median(runs) });
    }
    const partRecords = recordsIn(partitionMib);
    for (let p = 0; p < 12; p++) produce(brokers, "twelve", p, partRecords);
    for (let r = 1; r <= rounds; r++) {
      const baseline = await iperf3();
      const runs: number[] = [];
      const groups = [0, 1, 2, 3].map((c) => [c, c + 4, c + 8]);
      for (let attempt = 0; runs.length < 3; attempt++) {
        const consumed = await Promise.all(groups.map((g) => consume(brokers, "twelve", g, partRecords * g.length)));
        // librdkafka sometimes starts fetching half a second late (one more tick of its 500 ms
        // offset-query timer): four consumers that did not overlap are not a concurrent sample.
        const startSpreadMs = Math.max(...consumed.map((c) => c.startMs)) - Math.min(...consumed.map((c) => c.startMs));
        if (startSpreadMs <= CONCURRENT_START_SPREAD_MS) runs.push(together(consumed));
        else if (attempt >= CONCURRENT_ATTEMPTS_MAX) throw new Error(`4 consumers never started within ${CONCURRENT_START_SPREAD_MS} ms of each other`);
        else lateStarts.push(Math.round(startSpreadMs));
      }
      results.cached4x12!.push({ round: r, baseline, skua: median(runs) });
    }
    // Case 3: restarted, so nothing of it is in the cache; every round reads it from the disk.
    const diskRecords = recordsIn(diskMib);
    produce(brokers, "disk", 0, diskRecords);
    await brokers.restart("disk");
    for (let r = 1; r <= rounds; r++) {
      const baseline = fioRead(dataDir, diskMib);
      const readBefore = diskReadBytes(brokers.pids);
      const consumed = await consume(brokers, "disk", [0], diskRecords);
      diskReadPerByte.push((diskReadBytes(brokers.pids) - readBefore) / consumed.bytes);
      const skua = together([consumed]);
      results.disk!.push({ round: r, baseline, skua });
    }
  } finally {
    await brokers[Symbol.asyncDispose]();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const cases = [
  { key: "cached1", what: `1 consumer, 1 partition, ${cachedMib} MiB in the cache`, baseline: "iperf3 loopback", target: 0.25 },
  { key: "cached4x12", what: `4 consumers, 12 partitions × ${partitionMib} MiB in the caches`, baseline: "iperf3 loopback", target: 0.5 },
  { key: "disk", what: `1 consumer, 1 partition, ${diskMib} MiB after a restart (disk)`, baseline: `fio O_DIRECT read, ${diskMib} MiB`, target: 0.8 },
];
console.log(`\n${rf > 1 ? `${rf} brokers, RF=${rf}, ` : ""}dist/skua --smp ${smp}, rdkafka_performance -C (librdkafka 2.12.0, max.partition.fetch.bytes ${fetchMib} MiB), 1 KiB records, ${rounds} rounds (cached cases: median of 3 consumes per round)\n`);
console.log("| case | round | baseline MB/s | skua MB/s | ratio |");
console.log("|---|---|---|---|---|");
for (const c of cases) {
  for (const row of results[c.key]!) console.log(`| ${c.key} | ${row.round} | ${mbps(row.baseline)} | ${mbps(row.skua)} | ${(row.skua / row.baseline).toFixed(2)} |`);
}
console.log(`\ncase 3, read from the disk per byte consumed: ${diskReadPerByte.map((r) => `${r.toFixed(2)}×`).join(", ")} (max.partition.fetch.bytes ${fetchMib} MiB)`);
if (lateStarts.length > 0) console.log(`\n4-consumer runs taken again because their first records came ${lateStarts.join(", ")} ms apart (over ${CONCURRENT_START_SPREAD_MS} ms): ${lateStarts.length}`);
console.log("\n| case | baseline | baseline MB/s (median) | skua MB/s (median) | ratio (median of rounds) | target |");
console.log("|---|---|---|---|---|---|");
for (const c of cases) {
  const rows = results[c.key]!;
  const ratio = median(rows.map((r) => r.skua / r.baseline));
  console.log(`| ${c.what} | ${c.baseline} | ${mbps(median(rows.map((r) => r.baseline)))} | ${mbps(median(rows.map((r) => r.skua)))} | ${ratio.toFixed(2)} | ≥ ${c.target} ${ratio >= c.target ? "✓" : "✗"} |`);
}

/**
 * Produce acks=-1 against the disk's own ceiling, same run (issue 12, item 3). Each round: fio's
 * buffered sequential 1 MiB writes with an fdatasync after every write (bench/disk-baseline.sh's
 * "fdatasync" run) in the data dir's file system, then librdkafka's `rdkafka_performance -P -s 1024
 * -a -1` to one partition, then to a 12-partition topic (librdkafka's random partitioner), each
 * producing `--mib` MiB on a fresh topic. Prints every round and the medians of the ratios.
 * MB = 10^6 bytes of record values, as rdkafka_performance counts.
 *
 *     bun run bench/produce.ts [--rounds 5] [--smp 2] [--mib 1024]
 *       [--data-parent DIR] [--fio-mib 512] [-- extra broker args]
 *
 * Needs fio and native/build/rdkafka/rdkafka_performance (`bash scripts/build-rdkafka-performance.sh`,
 * or `--rdkafka PATH`).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { startBroker, type BrokerProcess } from "./lib/broker.ts";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const brokerArgs = dash >= 0 ? argv.slice(dash + 1) : [];
const args = new Map<string, string>();
const own = dash >= 0 ? argv.slice(0, dash) : argv;
for (let i = 0; i < own.length; i += 2) args.set(own[i]!.replace(/^--/, ""), own[i + 1]!);
const rounds = Number(args.get("rounds") ?? 5);
const smp = Number(args.get("smp") ?? 2);
const mib = Number(args.get("mib") ?? 1024);
const fioMib = Number(args.get("fio-mib") ?? 512);
const dataParent = args.get("data-parent") ?? tmpdir();
const repo = new URL("..", import.meta.url).pathname;
const RDKAFKA = args.get("rdkafka") ?? join(repo, "native/build/rdkafka/rdkafka_performance");
const RECORD_BYTES = 1024;
const records = Math.round((mib * 1024 * 1024) / RECORD_BYTES);

function run(cmd: string[], what: string): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${what} failed (${r.exitCode}): ${r.stderr.toString().slice(-2000)}`);
  return r.stdout.toString();
}

/** fio: buffered sequential 1 MiB writes, fdatasync after each, of `fioMib` in `dir`: bytes/s. */
function fioFdatasync(dir: string): number {
  const out = run(["fio", "--name=fdatasync", `--directory=${dir}`, "--rw=write", "--bs=1M", `--size=${fioMib}M`, "--ioengine=psync",
    "--fdatasync=1", "--end_fsync=1", "--output-format=json"], "fio");
  rmSync(join(dir, "fdatasync.0.0"), { force: true });
  return JSON.parse(out.slice(out.indexOf("{"))).jobs[0].write.bw_bytes;
}

/** rdkafka_performance -P acks=-1 of `records` 1 KiB records to `topic` (one partition or random): bytes/s it reports. */
function produce(broker: BrokerProcess, topic: string, partition: number | null): number {
  const out = run([RDKAFKA, "-P", "-t", topic, ...(partition === null ? [] : ["-p", String(partition)]), "-s", String(RECORD_BYTES),
    "-c", String(records), "-a", "-1", "-b", `${broker.host}:${broker.kafkaPort}`, "-q"], "rdkafka_performance -P");
  const m = /(\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms/.exec(out);
  if (!m || Number(m[1]) !== records || m[2] !== "0") throw new Error(`produce to ${topic}: ${out}`);
  return (records * RECORD_BYTES) / (Number(m[3]) / 1000);
}

async function createTopics(broker: BrokerProcess, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  const admin = new Kafka({ brokers: [`${broker.host}:${broker.kafkaPort}`], logLevel: logLevel.NOTHING, clientId: "bench-produce" }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mbps = (bytesPerS: number) => (bytesPerS / 1e6).toFixed(0);

if (Bun.which("fio") === null) throw new Error("fio not found");
if (!existsSync(RDKAFKA)) throw new Error(`${RDKAFKA} not found: bash scripts/build-rdkafka-performance.sh`);

interface Row { fio: number; one: number; twelve: number }
const rows: Row[] = [];
const dataDir = mkdtempSync(join(dataParent, "skua-produce-bench-"));
try {
  for (let r = 1; r <= rounds; r++) {
    const fio = fioFdatasync(dataDir);
    await using broker = await startBroker(repo, smp, dataDir, brokerArgs);
    await createTopics(broker, [{ topic: `one-${r}`, numPartitions: 1 }, { topic: `twelve-${r}`, numPartitions: 12 }]);
    const one = produce(broker, `one-${r}`, 0);
    const twelve = produce(broker, `twelve-${r}`, null);
    rows.push({ fio, one, twelve });
    console.error(`round ${r}: fio ${mbps(fio)} MB/s, 1 partition ${mbps(one)}, 12 partitions ${mbps(twelve)}`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`\ndist/skua --smp ${smp} ${brokerArgs.join(" ")}, rdkafka_performance -P -a -1 (librdkafka 2.12.0), 1 KiB records, ${mib} MiB per run, fio ${fioMib} MiB, ${rounds} rounds\n`);
console.log("| round | fio fdatasync 1 MiB MB/s | 1 partition MB/s | ratio | 12 partitions MB/s | ratio |");
console.log("|---|---|---|---|---|---|");
rows.forEach((row, i) => console.log(`| ${i + 1} | ${mbps(row.fio)} | ${mbps(row.one)} | ${(row.one / row.fio).toFixed(2)} | ${mbps(row.twelve)} | ${(row.twelve / row.fio).toFixed(2)} |`));
const one = median(rows.map((r) => r.one / r.fio));
const twelve = median(rows.map((r) => r.twelve / r.fio));
console.log(`| median | ${mbps(median(rows.map((r) => r.fio)))} | ${mbps(median(rows.map((r) => r.one)))} | ${one.toFixed(2)} (target ≥ 0.8) | ${mbps(median(rows.map((r) => r.twelve)))} | ${twelve.toFixed(2)} (target ≥ 0.9) |`);

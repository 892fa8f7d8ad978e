/**
 * Produce acks=-1 against the disk's own ceiling, same run (issue 12, item 3). Each round: fio's
 * buffered sequential 1 MiB writes with an fdatasync after every write (bench/disk-baseline.sh's
 * "fdatasync" run) in the data dir's file system, then librdkafka's `rdkafka_performance -P -s 1024
 * -a -1` to one partition, then to a 12-partition topic (librdkafka's random partitioner), each
 * producing `--mib` MiB on a fresh topic. Prints every round and the medians of the ratios.
 * MB = 10^6 bytes of record values, as rdkafka_performance counts.
 *
 * The ratios use the steady rate: records delivered from rdkafka_performance's first progress line
 * with a delivery to the first with 99% delivered, over that time. Its own figure (the whole run)
 * is printed too, but it holds two waits of the client's: its broker thread sends the first
 * batch only ~1 s after the connection is up (1 MiB took 1,005 ms, 100 MiB 1,066 ms), and the
 * last few hundred records sit in its queue for up to ~0.5 s. A 512 MiB run is a third waiting.
 *
 *     bun run bench/produce.ts [--rounds 5] [--smp 2] [--mib 2048] [--rf 3]
 *       [--data-parent DIR] [--fio-mib 512] [-- extra broker args]
 *
 * With `--rf 3`: a cluster of three brokers on this machine (test/helpers/cluster.ts: loopback,
 * each on its share of the cores, `--smp 1` unless given), topics at replication factor 3,
 * rdkafka_performance bootstrapped from all three. Every byte is then written and fdatasync'ed
 * by three brokers to the one disk fio measured: a third of fio's bandwidth is their share.
 *
 * Needs fio and native/build/rdkafka/rdkafka_performance (`bash scripts/build-rdkafka-performance.sh`,
 * or `--rdkafka PATH`).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTopics, startBrokers } from "./lib/brokers.ts";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const brokerArgs = dash >= 0 ? argv.slice(dash + 1) : [];
const args = new Map<string, string>();
const own = dash >= 0 ? argv.slice(0, dash) : argv;
for (let i = 0; i < own.length; i += 2) args.set(own[i]!.replace(/^--/, ""), own[i + 1]!);
const rounds = Number(args.get("rounds") ?? 5);
const rf = Number(args.get("rf") ?? 1);
const smp = Number(args.get("smp") ?? (rf > 1 ? 1 : 2));
const mib = Number(args.get("mib") ?? 2048);
const fioMib = Number(args.get("fio-mib") ?? 512);
const dataParent = args.get("data-parent") ?? tmpdir();
const repo = new URL("..", import.meta.url).pathname;
const RDKAFKA = args.get("rdkafka") ?? join(repo, "native/build/rdkafka/rdkafka_performance");
const RECORD_BYTES = 1024;
/** rdkafka_performance's progress lines (`-i`): delivered so far and the time since its start. */
const DISPLAY_MS = 100;
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

interface Produced {
  /** Bytes/s over the whole run, as rdkafka_performance reports it. */
  whole: number;
  /** Bytes/s between its first delivery and 99% delivered (see the top of this file). */
  steady: number;
}

/** rdkafka_performance -P acks=-1 of `records` 1 KiB records to `topic` (one partition or random). */
function produce(bootstrap: string, topic: string, partition: number | null): Produced {
  const out = run([RDKAFKA, "-P", "-t", topic, ...(partition === null ? [] : ["-p", String(partition)]), "-s", String(RECORD_BYTES),
    "-c", String(records), "-a", "-1", "-b", bootstrap, "-i", String(DISPLAY_MS)], "rdkafka_performance -P");
  const lines = [...out.matchAll(/(\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms/g)].map((m) => ({ delivered: Number(m[1]), failed: Number(m[2]), ms: Number(m[3]) }));
  const last = lines.at(-1);
  if (!last || last.delivered !== records || last.failed !== 0) throw new Error(`produce to ${topic}: ${out.slice(-2000)}`);
  const first = lines.find((l) => l.delivered > 0)!;
  const nearlyAll = lines.find((l) => l.delivered >= records * 0.99)!;
  const steady = nearlyAll.ms > first.ms ? ((nearlyAll.delivered - first.delivered) * RECORD_BYTES) / ((nearlyAll.ms - first.ms) / 1000) : NaN;
  return { whole: (records * RECORD_BYTES) / (last.ms / 1000), steady };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mbps = (bytesPerS: number) => (bytesPerS / 1e6).toFixed(0);

if (Bun.which("fio") === null) throw new Error("fio not found");
if (!existsSync(RDKAFKA)) throw new Error(`${RDKAFKA} not found: bash scripts/build-rdkafka-performance.sh`);

interface Row { fio: number; one: Produced; twelve: Produced }
const rows: Row[] = [];
const dataDir = mkdtempSync(join(dataParent, "skua-produce-bench-"));
try {
  for (let r = 1; r <= rounds; r++) {
    const fio = fioFdatasync(dataDir);
    await using brokers = await startBrokers({ rf, smp, repo, dataDir, extraArgs: brokerArgs });
    await createTopics(brokers, [{ topic: `one-${r}`, numPartitions: 1 }, { topic: `twelve-${r}`, numPartitions: 12 }]);
    const one = produce(brokers.bootstrap, `one-${r}`, 0);
    const twelve = produce(brokers.bootstrap, `twelve-${r}`, null);
    rows.push({ fio, one, twelve });
    console.error(`round ${r}: fio ${mbps(fio)} MB/s, 1 partition ${mbps(one.steady)} (whole run ${mbps(one.whole)}), 12 partitions ${mbps(twelve.steady)} (${mbps(twelve.whole)})`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`\n${rf > 1 ? `${rf} brokers, RF=${rf}, ` : ""}dist/skua --smp ${smp} ${brokerArgs.join(" ")}, rdkafka_performance -P -a -1 (librdkafka 2.12.0), 1 KiB records, ${mib} MiB per run, fio ${fioMib} MiB, ${rounds} rounds`);
console.log("MB/s steady (first delivery to 99% delivered), and in brackets rdkafka_performance's whole-run figure\n");
console.log("| round | fio fdatasync 1 MiB MB/s | 1 partition MB/s | ratio | 12 partitions MB/s | ratio |");
console.log("|---|---|---|---|---|---|");
const cell = (p: Produced) => `${mbps(p.steady)} (${mbps(p.whole)})`;
rows.forEach((row, i) => console.log(`| ${i + 1} | ${mbps(row.fio)} | ${cell(row.one)} | ${(row.one.steady / row.fio).toFixed(2)} | ${cell(row.twelve)} | ${(row.twelve.steady / row.fio).toFixed(2)} |`));
const one = median(rows.map((r) => r.one.steady / r.fio));
const twelve = median(rows.map((r) => r.twelve.steady / r.fio));
console.log(`| median | ${mbps(median(rows.map((r) => r.fio)))} | ${mbps(median(rows.map((r) => r.one.steady)))} | ${one.toFixed(2)} (target ≥ 0.8) | ${mbps(median(rows.map((r) => r.twelve.steady)))} | ${twelve.toFixed(2)} (target ≥ 0.9) |`);
if (rf > 1) console.log(`RF=${rf} on one disk: 1 partition ${(one * rf).toFixed(2)}×, 12 partitions ${(twelve * rf).toFixed(2)}× the replicas' share of fio (1/${rf})`);

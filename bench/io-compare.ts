/**
 * End-to-end disk backend comparison in one run: fio's fdatasync'ed sequential write bandwidth
 * first (bench/disk-baseline.sh), then for each batch size produce acks=-1 with 1 KiB records
 * on dist/skua with --io uring and --io posix, interleaved (bench/loadgen.ts --acks-all-only).
 *   bun run bench/io-compare.ts [--seconds 5] [--batches 16384,65536,262144,1044480]
 * (1044480 = 1020 KiB: its batch is 1,046,453 B; 1 MiB of records plus batch overhead would exceed the default
 * kafka_batch_max_bytes of 1 MiB.) Prints a markdown table: MB/s, p99, broker CPU, and MB/s as a ratio of the fdatasync baseline.
 */
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";

const REPO_DIR = join(dirname(import.meta.path), "..");
const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, batches: { type: "string", default: "16384,65536,262144,1044480" } } });
const batchSizes = values.batches.split(",").map(Number);

const baseline = Bun.spawnSync(["bash", join(REPO_DIR, "bench/disk-baseline.sh"), tmpdir()], { stderr: "inherit" }).stdout.toString();
process.stdout.write(baseline);
const fdatasyncMBps = Number(baseline.match(/^fdatasync ([0-9.]+)$/m)?.[1]);
const directMBps = Number(baseline.match(/^direct ([0-9.]+)$/m)?.[1]);

interface Row { io: string; batchBytes: number; mbps: number; p99: string; cpu: string; errors: string }
const rows: Row[] = [];
for (const batchBytes of batchSizes) {
  for (const io of ["uring", "posix"]) {
    const args = ["run", join(REPO_DIR, "bench/loadgen.ts"), "--seconds", values.seconds, "--io", io, "--acks-all-only", "--batch-bytes", String(batchBytes), "--record-bytes", "1024"];
    const out = Bun.spawnSync([process.execPath, ...args], { stderr: "inherit" }).stdout.toString();
    const mbps = Number(out.match(/throughput +([0-9.]+) MB\/s/)?.[1]);
    rows.push({
      io, batchBytes, mbps,
      p99: out.match(/p99 ([0-9.]+ ms)/)?.[1] ?? "?",
      cpu: out.match(/broker ([0-9]+%)/)?.[1] ?? "?",
      errors: out.match(/errors +(.*)/)?.[1] ?? "?",
    });
    console.log(`batch ${batchBytes / 1024} KiB --io ${io}: ${mbps} MB/s`);
  }
}
console.log(`\nfio: fdatasync ${fdatasyncMBps} MB/s, O_DIRECT ${directMBps} MB/s\n`);
console.log("| batch | io | MB/s acks=-1 | × fdatasync baseline | p99 | broker CPU | errors |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(`| ${r.batchBytes / 1024} KiB | ${r.io} | ${r.mbps.toFixed(1)} | ${(r.mbps / fdatasyncMBps).toFixed(2)} | ${r.p99} | ${r.cpu} | ${r.errors} |`);
}

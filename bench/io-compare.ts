/**
 * End-to-end disk backend comparison in one run: fio's fdatasync'ed sequential write bandwidth
 * first (bench/disk-baseline.sh), then for each batch size produce acks=-1 with 1 KiB records
 * on dist/skua with --io uring and --io posix (bench/loadgen.ts --acks-all-only), for --rounds
 * rounds. Each round runs both backends back to back, uring first in odd rounds and posix
 * first in even ones, so drift of this shared machine hits both alike; the summary compares
 * the medians over rounds.
 *   bun run bench/io-compare.ts [--seconds 5] [--rounds 3] [--batches 16384,65536,262144,1044480] [--rate-mbps N] [--data-parent DIR] [--json FILE]
 * With --rate-mbps the producers offer a fixed load (open loop, bench/loadgen.ts) instead of
 * saturating the broker: then p99 shows what each I/O path adds, not queueing.
 * (1044480 = 1020 KiB: its batch is 1,046,453 B; 1 MiB of records plus batch overhead would exceed the default
 * kafka_batch_max_bytes of 1 MiB.) Prints markdown tables: every run, then the medians with
 * MB/s as a ratio of the fdatasync baseline and uring's p99 over posix's. --json FILE also writes
 * the fio baseline and the medians for bench/plots.ts.
 */
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { runSource, writeResult, type IoCompareRow } from "./lib/results.ts";

const REPO_DIR = join(dirname(import.meta.path), "..");
const BACKENDS = ["uring", "posix"] as const;
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    batches: { type: "string", default: "16384,65536,262144,1044480" },
    "rate-mbps": { type: "string" },
    "data-parent": { type: "string" },
    json: { type: "string" },
  },
});
const batchSizes = values.batches.split(",").map(Number);
const rounds = Number(values.rounds);

// The broker's data and fio's files go to the same file system.
const dataParent = values["data-parent"] ?? tmpdir();
const baseline = Bun.spawnSync(["bash", join(REPO_DIR, "bench/disk-baseline.sh"), dataParent], { stderr: "inherit" }).stdout.toString();
process.stdout.write(baseline);
const fdatasyncMBps = Number(baseline.match(/^fdatasync ([0-9.]+)$/m)?.[1]);
const directMBps = Number(baseline.match(/^direct ([0-9.]+)$/m)?.[1]);

interface Run { io: string; batchBytes: number; round: number; mbps: number; p50Ms: number; p99Ms: number; cpu: string; errors: string }
const runs: Run[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const batchBytes of batchSizes) {
    const order = round % 2 === 1 ? BACKENDS : [...BACKENDS].reverse();
    for (const io of order) {
      const args = ["run", join(REPO_DIR, "bench/loadgen.ts"), "--seconds", values.seconds, "--io", io, "--acks-all-only", "--batch-bytes", String(batchBytes), "--record-bytes", "1024", "--data-parent", dataParent];
      if (values["rate-mbps"] !== undefined) args.push("--rate-mbps", values["rate-mbps"]);
      const out = Bun.spawnSync([process.execPath, ...args], { stderr: "inherit" }).stdout.toString();
      const run: Run = {
        io, batchBytes, round,
        mbps: Number(out.match(/throughput +([0-9.]+) MB\/s/)?.[1]),
        p50Ms: Number(out.match(/p50 ([0-9.]+) ms/)?.[1]),
        p99Ms: Number(out.match(/p99 ([0-9.]+) ms/)?.[1]),
        cpu: out.match(/broker ([0-9]+%)/)?.[1] ?? "?",
        errors: out.match(/errors +(.*)/)?.[1] ?? "?",
      };
      runs.push(run);
      console.log(`round ${round}, batch ${batchBytes / 1024} KiB, --io ${io}: ${run.mbps} MB/s, p99 ${run.p99Ms} ms`);
    }
  }
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
console.log(`\nfio: fdatasync ${fdatasyncMBps} MB/s, O_DIRECT ${directMBps} MB/s\n`);
console.log("| round | batch | io | MB/s acks=-1 | p50 | p99 | broker CPU | errors |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of runs) {
  console.log(`| ${r.round} | ${kib(r.batchBytes)} | ${r.io} | ${r.mbps.toFixed(1)} | ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms | ${r.cpu} | ${r.errors} |`);
}

const load = values["rate-mbps"] === undefined ? "closed loop (saturating)" : `open loop, ${values["rate-mbps"]} MB/s offered`;
console.log(`\nMedians over ${rounds} rounds, ${load}:\n`);
console.log("| batch | uring MB/s | posix MB/s | uring × fdatasync baseline | uring p99 | posix p99 | p99 uring ÷ posix | rounds uring p99 ≤ posix |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
const medians: IoCompareRow[] = [];
const rateMBps = values["rate-mbps"] === undefined ? null : Number(values["rate-mbps"]);
for (const batchBytes of batchSizes) {
  const of = (io: string) => runs.filter((r) => r.batchBytes === batchBytes && r.io === io);
  const [u, p] = [of("uring"), of("posix")];
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const [uMBps, pMBps] = [median(u.map((r) => r.mbps)), median(p.map((r) => r.mbps))];
  const [uP99, pP99] = [median(u.map((r) => r.p99Ms)), median(p.map((r) => r.p99Ms))];
  medians.push({ batchBytes, io: "uring", mbps: uMBps, p50Ms: median(u.map((r) => r.p50Ms)), p99Ms: uP99, rateMBps });
  medians.push({ batchBytes, io: "posix", mbps: pMBps, p50Ms: median(p.map((r) => r.p50Ms)), p99Ms: pP99, rateMBps });
  const wins = u.filter((r) => r.p99Ms <= p.find((q) => q.round === r.round)!.p99Ms).length;
  console.log(`| ${kib(batchBytes)} | ${uMBps.toFixed(1)} | ${pMBps.toFixed(1)} | ${(uMBps / fdatasyncMBps).toFixed(2)} | ${uP99.toFixed(1)} ms | ${pP99.toFixed(1)} ms | ${(uP99 / pP99).toFixed(2)} | ${wins} of ${rounds} |`);
}
if (values.json !== undefined) {
  writeResult(values.json, {
    kind: "io-compare", source: runSource("bench/io-compare.ts", process.argv.slice(2)), label: load, rounds,
    fio: { fdatasyncMBps, directMBps }, medians,
  });
}

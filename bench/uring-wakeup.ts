/**
 * What the way io_uring completions wake a shard costs a write + fdatasync: 5,500-byte appends
 * + datasync through skua's UringFile (src/io/uring-file.ts, on the Ring of src/native/uring.ts),
 * one per 1 ms tick (each write extends the file, as a log's do), against fio's 4 KiB O_DIRECT
 * write + fdatasync in the same directory, same run. Run it in two builds to compare wakeups.
 *   bun run bench/uring-wakeup.ts [--dir DIR]   (needs the shim: bash scripts/build-native.sh; and fio)
 */
import fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { UringDisk } from "../src/io/uring-disk.ts";

const { values } = parseArgs({ options: { dir: { type: "string" } } });
const dir = fs.mkdtempSync(join(values.dir ?? tmpdir(), "skua-uring-wakeup-"));

const fio = Bun.spawnSync(["fio", "--name=sync4k", `--directory=${dir}`, "--rw=write", "--bs=4k", "--size=32m", "--direct=1",
  "--fdatasync=1", "--ioengine=psync", "--runtime=5", "--output-format=json"], { stdout: "pipe", stderr: "pipe" });
if (fio.exitCode !== 0) throw new Error(`fio failed: ${fio.stderr.toString().slice(-1000)}`);
const job = JSON.parse(fio.stdout.toString()).jobs[0];
const fioP50 = (job.write.clat_ns.percentile["50.000000"] + job.sync.lat_ns.percentile["50.000000"]) / 1e6;

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const disk = UringDisk.open();
const file = await disk.open(join(dir, "appends.log"), { create: true });
const data = new Uint8Array(5500).fill(7);
let position = 0;
const syncs: number[] = [];
await new Promise<void>((resolve) => {
  let started = 0;
  const tick = setInterval(() => {
    if (++started > 3000) {
      clearInterval(tick);
      return resolve();
    }
    const t0 = performance.now();
    void file.write(position, data).then(() => file.datasync()).then(() => syncs.push(performance.now() - t0));
    position += data.length;
  }, 1);
});
while (syncs.length < 3000) await Bun.sleep(5);
await file.close();
disk.close();
fs.rmSync(dir, { recursive: true, force: true });
syncs.sort((a, b) => a - b);
const p50 = percentile(syncs, 0.5);
console.log(`fio 4 KiB O_DIRECT write + fdatasync: p50 ${fioP50.toFixed(3)} ms`);
console.log(`UringFile 5,500 B append + datasync, one per ms: p50 ${p50.toFixed(3)} ms (${(p50 / fioP50).toFixed(2)}× fio), p99 ${percentile(syncs, 0.99).toFixed(3)} ms`);
process.exit(0);

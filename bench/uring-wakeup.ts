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
import { fioSyncLatency } from "./lib/fio.ts";
import { LatencyRecorder } from "./lib/stats.ts";

/** Appends timed, one per 1 ms tick. */
const APPENDS = 3000;

const { values } = parseArgs({ options: { dir: { type: "string" } } });
const dir = fs.mkdtempSync(join(values.dir ?? tmpdir(), "skua-uring-wakeup-"));

const fio = fioSyncLatency(dir, { direct: true });

const disk = UringDisk.open();
const file = await disk.open(join(dir, "appends.log"), { create: true });
const data = new Uint8Array(5500).fill(7);
let position = 0;
const syncs = new LatencyRecorder();
const done: Promise<void>[] = [];
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    if (done.length === APPENDS) {
      clearInterval(tick);
      return resolve();
    }
    const t0 = performance.now();
    done.push(file.write(position, data).then(() => file.datasync()).then(() => syncs.record(performance.now() - t0)));
    position += data.length;
  }, 1);
});
await Promise.all(done);
await file.close();
disk.close();
fs.rmSync(dir, { recursive: true, force: true });
const [p50, p99] = syncs.percentiles([0.5, 0.99]);
console.log(`fio 4 KiB O_DIRECT write + fdatasync: p50 ${fio.p50.toFixed(3)} ms`);
console.log(`UringFile 5,500 B append + datasync, one per ms: p50 ${p50!.toFixed(3)} ms (${(p50! / fio.p50).toFixed(2)}× fio), p99 ${p99!.toFixed(3)} ms`);
process.exit(0);

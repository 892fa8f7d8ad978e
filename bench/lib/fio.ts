/** fio baselines shared by the benches. */

/**
 * fio: 4 KiB sequential writes, each followed by fdatasync, one at a time (psync), in `dir`;
 * per-operation latency in ms. `direct`: O_DIRECT, as skua's io_uring log writes.
 */
export function fioSyncLatency(dir: string, opts: { direct?: boolean } = {}): { p50: number; p99: number; meanOp: number } {
  const run = Bun.spawnSync(["fio", "--name=sync4k", `--directory=${dir}`, "--rw=write", "--bs=4k", "--size=32m",
    ...(opts.direct ? ["--direct=1"] : []), "--fdatasync=1", "--ioengine=psync", "--runtime=5", "--output-format=json"],
  { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`fio failed: ${run.stderr.toString().slice(-1000)}`);
  const job = JSON.parse(run.stdout.toString()).jobs[0];
  const pct = (lat: { percentile?: Record<string, number> }, p: string) => (lat.percentile?.[p] ?? NaN) / 1e6;
  const write = job.write.clat_ns;
  const sync = job.sync.lat_ns;
  return {
    p50: pct(write, "50.000000") + pct(sync, "50.000000"),
    p99: pct(write, "99.000000") + pct(sync, "99.000000"),
    meanOp: job.write.runtime / job.write.total_ios,
  };
}

/**
 * Renders bench/results/*.json (written by loadgen.ts, io-compare.ts and scaling.ts with --json,
 * or transcribed from bench/README.md's tables) as SVG charts in bench/charts/, which
 * bench/README.md links. Same results in, same bytes out.
 *   bun run bench/plots.ts [--results DIR] [--out DIR]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import type { BenchResult, IoCompareResult, LoadgenResult, ScalingResult, TableResult } from "./lib/results.ts";
import { renderBarChart, renderLineChart, type Series } from "./lib/svg-chart.ts";

const BENCH_DIR = import.meta.dir;
const KiB = 1024;

type Named<T> = T & { file: string };

export function loadResults(dir: string): Named<BenchResult>[] {
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => {
    const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as BenchResult;
    if (!["loadgen", "io-compare", "scaling", "table"].includes(r.kind)) throw new Error(`${f}: unknown kind ${String(r.kind)}`);
    return { ...r, file: basename(f, ".json") };
  });
}

/** Chart file name → SVG text, for every chart the results support. */
export function renderCharts(results: Named<BenchResult>[]): Map<string, string> {
  const charts = new Map<string, string>();
  const of = <K extends BenchResult["kind"]>(kind: K) => results.filter((r): r is Named<Extract<BenchResult, { kind: K }>> => r.kind === kind);
  for (const r of of("io-compare")) {
    if (r.medians.every((m) => m.mbps !== null)) {
      charts.set(`${r.file}-throughput.svg`, ioThroughput(r));
      charts.set(`${r.file}-p99.svg`, ioP99(r));
    }
  }
  const open = of("io-compare").filter((r) => r.medians.every((m) => m.rateMBps !== null));
  if (open.length > 0) charts.set("io-compare-fixed-load-p99-ratio.svg", ioP99Ratio(open));
  const loadgen = of("loadgen");
  for (const r of loadgen) {
    if (r.phases.every((p) => p.latencyMs.length >= 3)) charts.set(`${r.file}-latency-cdf.svg`, latencyCdf(r));
  }
  if (loadgen.length > 0) charts.set("loadgen-throughput.svg", loadgenThroughput(loadgen));
  const scaling = of("scaling");
  if (scaling.length > 0) {
    charts.set("scaling-acks-all.svg", scalingChart(scaling, "acksAllMBps", "acks=-1"));
    charts.set("scaling-acks-1.svg", scalingChart(scaling, "acksOneMBps", "acks=1"));
  }
  for (const r of of("table")) charts.set(`${r.file}.svg`, tableChart(r));
  return charts;
}

const batchesOf = (r: IoCompareResult) => [...new Set(r.medians.map((m) => m.batchBytes))].sort((a, b) => a - b);
const kib = (bytes: number) => `${Math.round(bytes / KiB)} KiB`;

function ioSeries(r: IoCompareResult, value: (m: IoCompareResult["medians"][number]) => number | null): Series[] {
  return (["uring", "posix"] as const).map((io) => ({
    name: `--io ${io}`,
    points: r.medians.filter((m) => m.io === io).map((m) => [m.batchBytes / KiB, value(m) ?? NaN] as const).filter((p) => Number.isFinite(p[1])),
  }));
}

function ioThroughput(r: IoCompareResult): string {
  return renderLineChart({
    title: `Produce acks=-1 throughput by batch size, ${r.label}`,
    x: { label: "batch size (KiB, log scale)", scale: "log", ticks: batchesOf(r).map((b) => b / KiB) },
    y: { label: "MB/s (10^6 bytes of batches acknowledged)" },
    series: ioSeries(r, (m) => m.mbps),
    refs: [
      { y: r.fio.fdatasyncMBps, label: `fio fdatasync every 1 MiB: ${r.fio.fdatasyncMBps} MB/s` },
      { y: r.fio.directMBps, label: `fio O_DIRECT: ${r.fio.directMBps} MB/s` },
    ],
  });
}

function ioP99(r: IoCompareResult): string {
  return renderLineChart({
    title: `Produce acks=-1 p99 latency by batch size, ${r.label}`,
    x: { label: "batch size (KiB, log scale)", scale: "log", ticks: batchesOf(r).map((b) => b / KiB) },
    y: { label: "p99 latency per request (ms, log scale)", scale: "log" },
    series: ioSeries(r, (m) => m.p99Ms),
  });
}

function ioP99Ratio(results: IoCompareResult[]): string {
  const batches = [...new Set(results.flatMap(batchesOf))].sort((a, b) => a - b);
  return renderBarChart({
    title: "Fixed load (open loop): p99 of io_uring ÷ p99 of posix",
    categories: batches.map(kib),
    xLabel: "batch size",
    y: { label: "uring p99 ÷ posix p99 (below 1: uring's tail shorter)" },
    series: results.map((r) => ({
      name: r.label,
      values: batches.map((b) => {
        const p99 = (io: string) => r.medians.find((m) => m.batchBytes === b && m.io === io)?.p99Ms ?? NaN;
        return Number((p99("uring") / p99("posix")).toFixed(2));
      }),
    })),
    refs: [{ y: 1, label: "equal" }],
  });
}

function latencyCdf(r: LoadgenResult): string {
  // A recorded table gives p50, p99 and p99.9 only; a --json run gives the whole CDF_RANKS grid.
  const full = r.phases.every((p) => p.latencyMs.length > 3);
  const ranks = r.phases.flatMap((p) => p.latencyMs.map(([rank]) => rank));
  return renderLineChart({
    title: `Request latency CDF, ${r.label}${full ? "" : " (p50, p99, p99.9 only)"}`,
    x: { label: "latency per request, send → response (ms, log scale)", scale: "log" },
    y: { label: "fraction of requests at or below (nines scale)", scale: "nines", min: full ? 0 : 0.5, max: Math.max(...ranks) },
    series: r.phases.map((p) => ({ name: p.name, points: p.latencyMs.map(([rank, ms]) => [ms, rank] as const) })),
  });
}

function loadgenThroughput(results: LoadgenResult[]): string {
  const phases = [...new Set(results.flatMap((r) => r.phases.map((p) => p.name)))];
  return renderBarChart({
    title: "Load generator throughput by phase (each series one run)",
    categories: phases,
    xLabel: "phase",
    y: { label: "MB/s (10^6 bytes of record batches)" },
    series: results.map((r) => ({ name: `${dateOf(r)}${r.label}`, values: phases.map((n) => r.phases.find((p) => p.name === n)?.mbps ?? NaN) })),
  });
}

/** "YYYY-MM-DD: " from a result's source, so runs with the same flags tell apart. */
const dateOf = (r: { source: string }) => (r.source.match(/\d{4}-\d{2}-\d{2}/)?.[0] ?? "undated") + ": ";

function scalingChart(results: ScalingResult[], key: "acksAllMBps" | "acksOneMBps", acks: string): string {
  const shards = [...new Set(results.flatMap((r) => r.runs.map((x) => x.smp)))].sort((a, b) => a - b);
  return renderLineChart({
    title: `Produce ${acks} throughput by shard count (--smp)`,
    x: { label: "shards (--smp), 2-core machine shared with the generator", ticks: shards },
    y: { label: "MB/s (10^6 bytes of batches acknowledged)" },
    series: results.map((r) => {
      const ratio = r.runs[r.runs.length - 1]![key] / r.runs[0]![key];
      return { name: `${r.label}: ${ratio.toFixed(2)}×`, points: r.runs.map((x) => [x.smp, x[key]] as const) };
    }),
  });
}

function tableChart(r: TableResult): string {
  return renderBarChart({
    title: r.title,
    categories: r.categories,
    xLabel: r.xLabel,
    y: { label: r.yLabel, scale: r.logY ? "log" : "linear" },
    series: r.series.map((x) => ({ name: x.name, values: x.values.map((v) => v ?? NaN) })),
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { results: { type: "string" }, out: { type: "string" } } });
  const outDir = values.out ?? join(BENCH_DIR, "charts");
  mkdirSync(outDir, { recursive: true });
  const charts = renderCharts(loadResults(values.results ?? join(BENCH_DIR, "results")));
  for (const [name, svg] of charts) writeFileSync(join(outDir, name), svg);
  console.log(`${charts.size} charts written to ${outDir}: ${[...charts.keys()].join(", ")}`);
}

import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderBarChart, renderLineChart } from "./svg-chart.ts";

const BENCH_DIR = join(import.meta.dir, "..");

/** Well-formedness as an XML parser sees it: tags nest, attributes are quoted, text is escaped. */
function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  const tokens = svg.split(/(<[^>]*>)/);
  for (const token of tokens) {
    if (!token.startsWith("<")) {
      expect(token).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot);)/);
      continue;
    }
    const m = token.match(/^<(\/?)([a-z]+)((?:\s+[a-z][a-z0-9:-]*="[^"<>]*")*)\s*(\/?)>$/i);
    expect(m === null ? token : "ok").toBe("ok");
    const [, closing, name, , selfClosing] = m!;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name!);
  }
  expect(stack).toEqual([]);
}

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

test("a line chart has its title, axis labels, one group per series and a legend entry each", () => {
  const svg = renderLineChart({
    title: "MB/s by batch <size> & backend",
    x: { label: "batch size (KiB)", scale: "log", ticks: [16, 64, 256] },
    y: { label: "MB/s" },
    series: [
      { name: "--io uring", points: [[16, 110], [64, 187], [256, 239]] },
      { name: "--io posix", points: [[16, 99], [64, 178], [256, 266]] },
    ],
    refs: [{ y: 350, label: "fio fdatasync" }],
  });
  expectWellFormedSvg(svg);
  expect(svg).toContain("<title>MB/s by batch &lt;size&gt; &amp; backend</title>");
  const labels = texts(svg);
  for (const want of ["batch size (KiB)", "MB/s", "16", "64", "256", "fio fdatasync", "--io uring", "--io posix"]) expect(labels).toContain(want);
  expect([...svg.matchAll(/<g class="series" data-name="([^"]*)">/g)].map((m) => m[1])).toEqual(["--io uring", "--io posix"]);
  expect(svg.match(/<circle /g)?.length).toBe(6);
  // The y axis reaches past the reference line at 350, in round steps.
  expect(labels).toContain("400");
});

test("a CDF on the nines scale labels 50%, 90%, 99%, 99.9% and places higher ranks higher", () => {
  const svg = renderLineChart({
    title: "latency",
    x: { label: "ms", scale: "log" },
    y: { label: "fraction", scale: "nines", min: 0.5, max: 0.999 },
    series: [{ name: "acks=-1", points: [[30, 0.5], [70, 0.99], [80, 0.999]] }],
  });
  expectWellFormedSvg(svg);
  const labels = texts(svg);
  for (const want of ["50%", "90%", "99%", "99.9%", "10", "100"]) expect(labels).toContain(want);
  const ys = [...svg.matchAll(/<circle cx="[^"]*" cy="([^"]*)"/g)].map((m) => Number(m[1]));
  expect(ys[0]).toBeGreaterThan(ys[1]!);
  expect(ys[1]).toBeGreaterThan(ys[2]!);
});

test("a bar chart draws one bar per finite value, with its value on top", () => {
  const svg = renderBarChart({
    title: "p99 ratio",
    categories: ["64 KiB", "256 KiB"],
    xLabel: "batch size",
    y: { label: "uring ÷ posix" },
    series: [{ name: "ext4", values: [0.99, 1.44] }, { name: "XFS", values: [0.83, NaN] }],
    refs: [{ y: 1, label: "equal" }],
  });
  expectWellFormedSvg(svg);
  expect(svg.match(/<rect x=[^>]*fill="#/g)?.length).toBe(3 + 2); // 3 bars + 2 legend swatches
  const labels = texts(svg);
  for (const want of ["64 KiB", "256 KiB", "batch size", "uring ÷ posix", "0.99", "1.44", "0.83", "ext4", "XFS", "equal"]) expect(labels).toContain(want);
});

test("bun run bench/plots.ts regenerates the committed charts byte for byte", () => {
  const out = mkdtempSync(join(tmpdir(), "skua-plots-"));
  try {
    const run = Bun.spawnSync([process.execPath, "run", join(BENCH_DIR, "plots.ts"), "--out", out]);
    expect(run.exitCode).toBe(0);
    const committed = readdirSync(join(BENCH_DIR, "charts")).filter((f) => f.endsWith(".svg")).sort();
    expect(readdirSync(out).sort()).toEqual(committed);
    expect(committed.length).toBeGreaterThanOrEqual(8);
    for (const f of committed) {
      const fresh = readFileSync(join(out, f), "utf8");
      expectWellFormedSvg(fresh);
      expect(fresh).toBe(readFileSync(join(BENCH_DIR, "charts", f), "utf8"));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/**
 * A small, dependency-free SVG chart renderer for bench/plots.ts: line charts (numeric x, with
 * linear, log or "nines" axes) and grouped bar charts (categories on x). Output is a pure function
 * of the input (no dates, no random ids), so regenerating from the same results gives the same bytes.
 */

export type ScaleKind = "linear" | "log" | "nines";

export interface Axis {
  label: string;
  scale?: ScaleKind;
  /** Forces the range; otherwise it is taken from the data (linear axes start at 0). */
  min?: number;
  max?: number;
  /** Tick positions, when the data's own values read better than round numbers (batch sizes). */
  ticks?: readonly number[];
}

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
  /** Horizontal reference lines (a baseline measured in the same run, a ratio of 1). */
  refs?: readonly { y: number; label: string }[];
}

export interface BarChart {
  title: string;
  categories: readonly string[];
  xLabel: string;
  y: Axis;
  /** values[i] belongs to categories[i]; NaN leaves a gap. */
  series: readonly { name: string; values: readonly number[] }[];
  refs?: readonly { y: number; label: string }[];
}

const WIDTH = 720;
const MARGIN = { left: 72, right: 24, top: 44, bottom: 64 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = 280;
const LEGEND_ROW_PX = 20;
/** Narrower bars get no value on top (it would run into the next one); the <title> still has it. */
const MIN_LABELLED_BAR_PX = 30;
/** Colour-blind-safe (Okabe–Ito) palette, in series order. */
const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"];
const FONT = 'font-family="sans-serif"';
/** Highest "nines" rank drawn: p = 1 (the maximum) has no finite place on that axis. */
const NINES_MAX_RANK = 0.9999;

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Shortest decimal form with at most 3 significant decimals, so output stays byte-stable. */
export function formatNumber(v: number): string {
  if (v === 0) return "0";
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return String(Number(v.toFixed(digits)));
}

const px = (v: number) => String(Math.round(v * 10) / 10);

interface Scale { toPx(v: number): number; ticks: { v: number; label: string }[] }

/** Maps data values to pixels along [0, lengthPx]; "nines" puts p at -log10(1 - p). */
function makeScale(axis: Axis, values: number[], lengthPx: number): Scale {
  const kind = axis.scale ?? "linear";
  const transform = kind === "log" ? Math.log10 : kind === "nines" ? (p: number) => -Math.log10(1 - Math.min(p, NINES_MAX_RANK)) : (v: number) => v;
  const finite = values.filter((v) => Number.isFinite(v) && (kind !== "log" || v > 0));
  let lo = axis.min ?? (kind === "linear" ? Math.min(0, ...finite) : Math.min(...finite));
  let hi = axis.max ?? Math.max(...finite);
  if (!(hi > lo)) hi = lo + 1;
  let ticks: number[];
  if (kind === "linear" && axis.ticks !== undefined) {
    const pad = (Math.max(...axis.ticks) - Math.min(...axis.ticks)) / Math.max(1, axis.ticks.length - 1) / 4;
    lo = Math.min(...axis.ticks) - pad;
    hi = Math.max(...axis.ticks) + pad;
    ticks = [];
  } else if (kind === "linear") {
    const step = niceStep((hi - lo) / 6);
    // Room above the highest value for a bar's label.
    if (axis.max === undefined) hi = Math.ceil((hi + (hi - lo) * 0.06) / step) * step;
    if (axis.min === undefined) lo = Math.floor(lo / step) * step;
    ticks = range(lo, hi, step);
  } else if (kind === "log" && axis.ticks !== undefined) {
    // A quarter of a tick gap of room around the given ticks, so the end points are not on the frame.
    const pad = (Math.max(...axis.ticks) / Math.min(...axis.ticks)) ** (0.25 / Math.max(1, axis.ticks.length - 1));
    lo = axis.min ?? Math.min(...axis.ticks, lo) / pad;
    hi = axis.max ?? Math.max(...axis.ticks, hi) * pad;
    ticks = [];
  } else if (kind === "log") {
    lo = axis.min ?? 10 ** Math.floor(Math.log10(lo));
    hi = axis.max ?? 10 ** Math.ceil(Math.log10(hi));
    ticks = logTicks(lo, hi);
  } else {
    lo = axis.min ?? 0;
    hi = axis.max ?? Math.max(0.99, ...finite.map((p) => Math.min(p, NINES_MAX_RANK)));
    ticks = [0, 0.5, 0.9, 0.99, 0.999, 0.9999].filter((t) => t >= lo && t <= hi + 1e-12);
  }
  if (axis.ticks !== undefined) ticks = [...axis.ticks];
  const [tLo, tHi] = [transform(lo), transform(hi)];
  const toPx = (v: number) => ((transform(v) - tLo) / (tHi - tLo)) * lengthPx;
  const label = (v: number) => (kind === "nines" ? `${Number((v * 100).toPrecision(6))}%` : formatNumber(v));
  return { toPx, ticks: ticks.map((v) => ({ v, label: label(v) })) };
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

function range(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) out.push(Number((lo + i * step).toPrecision(12)));
  return out;
}

/** 1, 2, 5 per decade when there are few decades, else powers of ten only. */
function logTicks(lo: number, hi: number): number[] {
  const decades = Math.log10(hi / lo);
  const mantissas = decades <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** 16 px, smaller for a long title so it fits the width (bold sans-serif: ~0.62 em per character). */
function titleFontPx(title: string): number {
  return Math.max(11, Math.min(16, Math.floor((WIDTH - 24) / (title.length * 0.62))));
}

/** The whole picture: as tall as its legend needs. */
function frame(title: string, body: string[], legendRows: number): string {
  const height = MARGIN.top + PLOT_H + MARGIN.bottom + legendRows * LEGEND_ROW_PX;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT} font-size="13">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="${titleFontPx(title)}" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** Grid lines and tick labels of the y axis, and its label turned vertical. */
function yAxis(scale: Scale, label: string): string[] {
  const out: string[] = [];
  for (const t of scale.ticks) {
    const y = MARGIN.top + PLOT_H - scale.toPx(t.v);
    out.push(`<line x1="${MARGIN.left}" y1="${px(y)}" x2="${MARGIN.left + PLOT_W}" y2="${px(y)}" stroke="#dddddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${px(y + 4)}" text-anchor="end">${escapeXml(t.label)}</text>`);
  }
  const cy = MARGIN.top + PLOT_H / 2;
  out.push(`<text x="18" y="${cy}" text-anchor="middle" transform="rotate(-90 18 ${cy})">${escapeXml(label)}</text>`);
  return out;
}

function plotBox(xLabel: string): string[] {
  return [
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#333333"/>`,
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${MARGIN.top + PLOT_H + 38}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
  ];
}

function refLines(scale: Scale, refs: readonly { y: number; label: string }[] | undefined): string[] {
  return (refs ?? []).flatMap((r) => {
    const y = px(MARGIN.top + PLOT_H - scale.toPx(r.y));
    return [
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + PLOT_W}" y2="${y}" stroke="#555555" stroke-dasharray="2 3" stroke-width="1.5"/>`,
      `<text x="${MARGIN.left + PLOT_W - 6}" y="${Number(y) - 5}" text-anchor="end" font-size="12" fill="#333333" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(r.label)}</text>`,
    ];
  });
}

/** Legend in rows under the x axis label: a swatch and the series name; returns the rows used. */
function legend(entries: { name: string; color: string; dashed?: boolean; bar?: boolean }[]): { svg: string[]; rows: number } {
  const out: string[] = [];
  const top = MARGIN.top + PLOT_H + MARGIN.bottom;
  let x = MARGIN.left;
  let y = top;
  for (const e of entries) {
    // ~7.5 px per character of 13 px sans-serif: an estimate, with room to spare.
    const w = 40 + e.name.length * 7.5;
    if (x + w > WIDTH - MARGIN.right && x > MARGIN.left) { x = MARGIN.left; y += LEGEND_ROW_PX; }
    out.push(e.bar
      ? `<rect x="${px(x)}" y="${y - 9}" width="18" height="10" fill="${e.color}"/>`
      : `<line x1="${px(x)}" y1="${y - 4}" x2="${px(x + 18)}" y2="${y - 4}" stroke="${e.color}" stroke-width="2.5"${e.dashed ? ' stroke-dasharray="6 3"' : ""}/>`);
    out.push(`<text x="${px(x + 24)}" y="${y}">${escapeXml(e.name)}</text>`);
    x += w;
  }
  return { svg: out, rows: (y - top) / LEGEND_ROW_PX + 1 };
}

export function renderLineChart(c: LineChart): string {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...c.series.flatMap((s) => s.points.map((p) => p[1])), ...(c.refs ?? []).map((r) => r.y)];
  const xScale = makeScale(c.x, xs, PLOT_W);
  const yScale = makeScale(c.y, ys, PLOT_H);
  const body = [...yAxis(yScale, c.y.label)];
  for (const t of xScale.ticks) {
    const x = px(MARGIN.left + xScale.toPx(t.v));
    body.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + PLOT_H}" stroke="#eeeeee"/>`);
    body.push(`<text x="${x}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  body.push(...plotBox(c.x.label), ...refLines(yScale, c.refs));
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.map(([x, y]) => `${px(MARGIN.left + xScale.toPx(x))},${px(MARGIN.top + PLOT_H - yScale.toPx(y))}`);
    body.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    body.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 3"' : ""}/>`);
    for (const p of pts) {
      const [x, y] = p.split(",");
      body.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${color}"/>`);
    }
    body.push("</g>");
  });
  const key = legend(c.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]!, dashed: s.dashed })));
  return frame(c.title, [...body, ...key.svg], key.rows);
}

export function renderBarChart(c: BarChart): string {
  const ys = [...c.series.flatMap((s) => s.values), ...(c.refs ?? []).map((r) => r.y)];
  const yScale = makeScale(c.y, ys, PLOT_H);
  const body = [...yAxis(yScale, c.y.label)];
  const groupW = PLOT_W / c.categories.length;
  const barW = (groupW * 0.8) / c.series.length;
  c.categories.forEach((cat, i) => {
    body.push(`<text x="${px(MARGIN.left + groupW * (i + 0.5))}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle">${escapeXml(cat)}</text>`);
  });
  body.push(...plotBox(c.xLabel));
  const base = MARGIN.top + PLOT_H - yScale.toPx(Math.max(c.y.min ?? 0, (c.y.scale ?? "linear") === "log" ? 1e-300 : 0));
  c.series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length]!;
    body.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const x = MARGIN.left + groupW * i + groupW * 0.1 + barW * si;
      const top = MARGIN.top + PLOT_H - yScale.toPx(v);
      const y0 = Math.min(base, MARGIN.top + PLOT_H);
      body.push(`<rect x="${px(x)}" y="${px(Math.min(top, y0))}" width="${px(barW - 2)}" height="${px(Math.abs(y0 - top))}" fill="${color}"><title>${escapeXml(`${s.name}, ${c.categories[i]}: ${formatNumber(v)}`)}</title></rect>`);
      if (barW >= MIN_LABELLED_BAR_PX) body.push(`<text x="${px(x + (barW - 2) / 2)}" y="${px(top - 4)}" text-anchor="middle" font-size="11">${formatNumber(v)}</text>`);
    });
    body.push("</g>");
  });
  body.push(...refLines(yScale, c.refs));
  const key = legend(c.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]!, bar: true })));
  return frame(c.title, [...body, ...key.svg], key.rows);
}

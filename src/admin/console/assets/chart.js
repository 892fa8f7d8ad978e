// Line charts as inline SVG: a few series over time, the y axis from zero to the largest value.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 140;
const PAD = { left: 76, right: 8, top: 8, bottom: 18 };
export const COLORS = ["#1769e0", "#e07a17", "#2e9d5b", "#9c27b0", "#c62828", "#00838f", "#6d4c41", "#546e7a"];

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

/**
 * `series`: [{ name, points: [{ x: ms, y }] }]. `format` labels the y axis.
 * Returns a card element with the title, the SVG and a legend.
 */
export function lineChart(title, series, format, testId) {
  const card = document.createElement("div");
  card.className = "card chart";
  if (testId) card.dataset.test = testId;
  const heading = document.createElement("div");
  heading.textContent = title;
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none" });
  draw(root, series, format);
  const legend = document.createElement("div");
  legend.className = "legend";
  series.forEach((s, i) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = COLORS[i % COLORS.length];
    const last = s.points.length > 0 ? s.points[s.points.length - 1].y : 0;
    item.append(swatch, `${s.name} ${format(last)}`);
    legend.append(item);
  });
  card.append(heading, root, legend);
  return card;
}

function draw(root, series, format) {
  const all = series.flatMap((s) => s.points);
  const xMin = Math.min(...all.map((p) => p.x));
  const xMax = Math.max(...all.map((p) => p.x));
  const yMax = Math.max(1, ...all.map((p) => p.y));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (v) => PAD.left + (xMax === xMin ? plotW : ((v - xMin) / (xMax - xMin)) * plotW);
  const y = (v) => PAD.top + plotH - (v / yMax) * plotH;
  for (const v of [0, yMax / 2, yMax]) {
    root.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), stroke: "#e4e7ec" }));
    if (v === yMax / 2) continue; // labels at 0 and the top only: a rounded middle label can repeat them
    const label = svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#6b7483" });
    label.textContent = format(v);
    root.append(label);
  }
  if (all.length > 0) {
    const span = svg("text", { x: WIDTH - PAD.right, y: HEIGHT - 4, "text-anchor": "end", "font-size": 11, fill: "#6b7483" });
    span.textContent = `last ${Math.round((xMax - xMin) / 1000)} s`;
    root.append(span);
  }
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ");
    root.append(svg("path", { d, fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 2, "vector-effect": "non-scaling-stroke" }));
  });
}

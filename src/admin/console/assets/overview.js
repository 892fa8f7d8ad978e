// Overview: the brokers, then the thread-per-core picture (a card per shard with its core and
// the partitions it owns), live numbers and throughput charts; moving a partition and
// rebalancing cores, each behind a confirmation.
import { lineChart } from "./chart.js";
import { api, attempt, confirmAction, fill, h, notify } from "./dom.js";
import { bytes, count, perSec } from "./format.js";

export function overviewPage(root) {
  const brokers = h("div", { class: "cards", "data-test": "brokers" }, h("span", { class: "muted" }, "loading brokers…"));
  const totals = h("div", { class: "cards", "data-test": "totals" });
  const cores = h("div", { class: "cores", "data-test": "cores" }, h("span", { class: "muted" }, "waiting for the first sample…"));
  const charts = h("div", { class: "charts" });
  const rebalance = h("button", { "data-test": "rebalance", onclick: () => rebalanceCores() }, "Rebalance cores…");
  root.append(h("h1", {}, "Overview"), brokers, h("h2", {}, "Totals"), totals, h("h2", {}, "Shards: which partitions on which core"), h("div", { class: "toolbar" }, rebalance), cores,
    h("h2", {}, "Throughput"), charts);
  loadBrokers(brokers);
  return {
    update(live) {
      if (!live.tick) return;
      fill(totals, totalCards(live.tick));
      fill(cores, live.tick.shards.map((s) => shardCard(s, live.tick.shards.length)));
      fill(charts, throughputCharts(live.rates));
    },
  };
}

async function loadBrokers(el) {
  try {
    const cluster = await api("GET", "/v1/console/cluster");
    fill(el, cluster.brokers.map((b) => h("div", { class: "card stat" },
      h("div", { class: "value" }, `broker ${b.nodeId}`),
      h("div", { class: "label" }, `${b.host}:${b.port}${b.nodeId === cluster.controllerId ? " · controller" : ""}`),
      h("div", { class: "label" }, `cluster ${cluster.clusterId ?? "?"} · skua ${cluster.version}`))));
  } catch (error) {
    fill(el, h("span", { class: "error" }, error.message));
  }
}

function stat(label, value, testId) {
  return h("div", { class: "card stat" }, h("div", { class: "value", "data-test": testId }, value), h("div", { class: "label" }, label));
}

function totalCards(tick) {
  const sum = (pick) => tick.shards.reduce((total, s) => total + pick(s), 0);
  return [
    stat("requests / s", perSec(sum((s) => s.requestsPerSec)), "requests-rate"),
    stat("bytes in / s", `${bytes(sum((s) => s.bytesInPerSec))}/s`, "bytes-in-rate"),
    stat("bytes out / s", `${bytes(sum((s) => s.bytesOutPerSec))}/s`, "bytes-out-rate"),
    stat("requests served", count(sum((s) => s.requests)), "requests-total"),
    stat("bytes in", bytes(sum((s) => s.bytesIn)), "bytes-in-total"),
    stat("on disk", bytes(sum((s) => s.sizeBytes)), "size-total"),
    stat("connections", count(sum((s) => s.connections)), "connections"),
  ];
}

function shardCard(s, shardCount) {
  const chips = s.partitions.map((p) => h("button", {
    class: "chip", "data-test": `partition-${p.topic}-${p.partition}`, title: `high watermark ${count(p.highWatermark)} · ${bytes(p.sizeBytes)} · click to move`,
    onclick: () => movePartition(p, s.shard, shardCount),
  }, `${p.topic}/${p.partition}`, h("span", { class: "rate" }, p.recordsPerSec > 0 ? perSec(p.recordsPerSec) : "")));
  const more = s.partitionCount > s.partitions.length ? h("span", { class: "muted" }, `+${s.partitionCount - s.partitions.length} more`) : null;
  return h("div", { class: "card core", "data-test": `shard-${s.shard}` },
    h("h3", {}, `shard ${s.shard} · core ${s.coreActual}`),
    h("div", { class: "meta" }, `${s.pinned ? "pinned" : "not pinned"} (asked for core ${s.coreRequested}) · ${s.backend} · ${s.partitionCount} partitions · ${bytes(s.sizeBytes)}`),
    h("div", { class: "nums" },
      h("span", { "data-test": "shard-requests-rate" }, `${perSec(s.requestsPerSec)} req`),
      h("span", {}, `in ${bytes(s.bytesInPerSec)}/s`),
      h("span", {}, `out ${bytes(s.bytesOutPerSec)}/s`),
      h("span", { class: "muted" }, `${s.connections} conn · queue ${s.crossShardQueueDepth}`)),
    h("div", { class: "chips" }, chips, more, s.partitionCount === 0 ? h("span", { class: "muted" }, "no partitions") : null));
}

function throughputCharts(rates) {
  const shardIds = [...new Set(rates.flatMap((r) => r.shards.map((s) => s.shard)))].sort((a, b) => a - b);
  const total = (pick) => rates.map((r) => ({ x: r.atMs, y: r.shards.reduce((sum, s) => sum + pick(s), 0) }));
  const perShard = (pick) => shardIds.map((id) => ({
    name: `shard ${id}`,
    points: rates.map((r) => ({ x: r.atMs, y: pick(r.shards.find((s) => s.shard === id) ?? { requestsPerSec: 0, bytesInPerSec: 0, bytesOutPerSec: 0 }) })),
  }));
  const rate = (n) => `${bytes(n)}/s`;
  return [
    lineChart("Bytes in and out per second", [{ name: "in", points: total((s) => s.bytesInPerSec) }, { name: "out", points: total((s) => s.bytesOutPerSec) }], rate, "chart-bytes"),
    lineChart("Requests per second, by shard", perShard((s) => s.requestsPerSec), perSec, "chart-requests"),
    lineChart("Bytes in per second, by shard", perShard((s) => s.bytesInPerSec), rate, "chart-bytes-in-shard"),
  ];
}

async function movePartition(p, from, shardCount) {
  const targets = Array.from({ length: shardCount }, (_, i) => i).filter((i) => i !== from);
  if (targets.length === 0) return notify("move: there is only one shard", true);
  const select = h("select", { name: "target", "data-test": "move-target" }, targets.map((i) => h("option", { value: i }, `shard ${i}`)));
  const body = [h("p", {}, `Move ${p.topic}/${p.partition} from shard ${from} to another shard while clients keep using it.`), h("label", {}, "To ", select)];
  if (!(await confirmAction(`Move ${p.topic}/${p.partition}`, body, "Move"))) return;
  const target = Number(select.value);
  await attempt(`move ${p.topic}/${p.partition} to shard ${target}`, () =>
    api("POST", `/v1/partitions/kafka/${encodeURIComponent(p.topic)}/${p.partition}/shard`, { shard: target }));
}

async function rebalanceCores() {
  if (!(await confirmAction("Rebalance cores", h("p", {}, "Even out partition counts across shards, moving partitions live."), "Rebalance"))) return;
  try {
    const result = await api("POST", "/v1/partitions/rebalance_cores");
    notify(`rebalance: moved ${result.moves.length} partition(s)`);
  } catch (error) {
    notify(`rebalance: ${error.message}`, true);
  }
}

// Topics: the list (with create and delete), and one topic's partitions, configs and messages.
import { api, attempt, confirmAction, fill, h } from "./dom.js";
import { bytes, count } from "./format.js";
import { messageBrowser } from "./messages.js";

/** Lists refresh at most this often while the page is open (ticks come every second). */
const REFRESH_MS = 2000;

/** Calls `load` now and then on ticks, never two at once and at most every REFRESH_MS. */
function refresher(load) {
  let busy = false;
  let lastMs = 0;
  return async (force = false) => {
    if (busy || (!force && Date.now() - lastMs < REFRESH_MS)) return;
    busy = true;
    lastMs = Date.now();
    try {
      await load();
    } finally {
      busy = false;
    }
  };
}

export function topicsPage(root) {
  const table = h("div", { "data-test": "topics" }, h("span", { class: "muted" }, "loading…"));
  const name = h("input", { placeholder: "topic name", "data-test": "new-topic-name", required: true });
  const partitions = h("input", { type: "number", min: 1, value: 1, style: "width: 6em", "data-test": "new-topic-partitions" });
  const create = h("button", { class: "primary", "data-test": "create-topic", onclick: () => createTopic() }, "Create topic");
  const refresh = refresher(async () => {
    try {
      fill(table, topicsTable(await api("GET", "/v1/console/topics"), () => refresh(true)));
    } catch (error) {
      fill(table, h("span", { class: "error" }, error.message));
    }
  });
  async function createTopic() {
    if (!name.value) return;
    const created = await attempt(`create ${name.value}`, () => api("POST", "/v1/console/topics", { name: name.value, partitions: Number(partitions.value) }));
    if (created) name.value = "";
    refresh(true);
  }
  root.append(h("h1", {}, "Topics"), h("div", { class: "toolbar" }, name, h("label", {}, "partitions ", partitions), create), table);
  refresh(true);
  return { update: () => refresh() };
}

function topicsTable(topics, changed) {
  if (topics.length === 0) return h("p", { class: "muted" }, "No topics yet.");
  return h("table", {},
    h("tr", {}, h("th", {}, "name"), h("th", { class: "num" }, "partitions"), h("th", { class: "num" }, "messages"), h("th", { class: "num" }, "size"), h("th", {}, "shards"), h("th", {}, "")),
    topics.map((t) => h("tr", { "data-test": `topic-${t.name}` },
      h("td", {}, h("a", { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name), t.internal ? h("span", { class: "muted" }, " (internal)") : null),
      h("td", { class: "num" }, t.partitions),
      h("td", { class: "num", "data-test": "messages" }, count(t.messages)),
      h("td", { class: "num" }, bytes(t.sizeBytes)),
      h("td", {}, t.shards.join(", ")),
      h("td", {}, h("button", { "data-test": "delete-topic", onclick: () => deleteTopic(t.name, changed) }, "Delete…")))));
}

async function deleteTopic(name, changed) {
  const ok = await confirmAction(`Delete topic ${name}`, h("p", {}, `All of ${name}'s messages are deleted. This cannot be undone.`), "Delete");
  if (!ok) return false;
  const done = await attempt(`delete ${name}`, () => api("DELETE", `/v1/console/topics/${encodeURIComponent(name)}`));
  changed();
  return done !== undefined;
}

export function topicPage(name) {
  return (root) => {
    const partitions = h("div", { "data-test": "partitions" }, h("span", { class: "muted" }, "loading…"));
    const configs = h("div", { "data-test": "configs" });
    const browser = h("div");
    const remove = h("button", { class: "danger", onclick: async () => (await deleteTopic(name, () => {})) && (location.hash = "#/topics") }, "Delete topic…");
    root.append(h("h1", {}, h("a", { href: "#/topics" }, "Topics"), " / ", name), h("div", { class: "toolbar" }, remove),
      h("h2", {}, "Partitions"), partitions, h("h2", {}, "Messages"), browser, h("h2", {}, "Configs"), configs);
    let first = true;
    const refresh = refresher(async () => {
      try {
        const topic = await api("GET", `/v1/console/topics/${encodeURIComponent(name)}`);
        fill(partitions, partitionsTable(topic.partitions));
        if (first) {
          first = false;
          fill(configs, configsTable(topic.configs));
          fill(browser, messageBrowser(name, topic.partitions.map((p) => p.partition)));
        }
      } catch (error) {
        fill(partitions, h("span", { class: "error" }, error.message));
      }
    });
    refresh(true);
    return { update: () => refresh() };
  };
}

function partitionsTable(partitions) {
  const num = (v, show = count) => h("td", { class: "num" }, v === null ? "–" : show(v));
  return h("table", {},
    h("tr", {}, ["partition", "leader", "replicas", "in sync", "shard", "log start", "high watermark", "size"].map((c) => h("th", {}, c))),
    partitions.map((p) => h("tr", { "data-test": `partition-${p.partition}` },
      h("td", {}, p.partition), h("td", {}, p.leader), h("td", {}, p.replicas.join(", ")), h("td", {}, p.isr.join(", ")),
      h("td", { "data-test": "shard" }, p.shard ?? "–"), num(p.logStartOffset), h("td", { class: "num", "data-test": "high-watermark" }, p.highWatermark === null ? "–" : count(p.highWatermark)),
      num(p.sizeBytes, bytes))));
}

function configsTable(configs) {
  return h("table", {},
    h("tr", {}, h("th", {}, "name"), h("th", {}, "value"), h("th", {}, "source")),
    configs.map((c) => h("tr", {}, h("td", { class: "mono" }, c.name), h("td", { class: "mono" }, c.sensitive ? "(sensitive)" : c.value ?? "null"), h("td", { class: "muted" }, c.source))));
}

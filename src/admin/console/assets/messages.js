// The message browser: one partition, from the end, an offset or a time; keys and values
// decoded as text, JSON or hex.
import { api, fill, h } from "./dom.js";
import { payload, time } from "./format.js";

export function messageBrowser(topic, partitions) {
  const partition = h("select", { "data-test": "browse-partition" }, partitions.map((p) => h("option", { value: p }, `partition ${p}`)));
  const from = h("select", { "data-test": "browse-from" }, h("option", { value: "tail" }, "newest"), h("option", { value: "offset" }, "from offset"), h("option", { value: "timestamp" }, "from time"));
  const at = h("input", { placeholder: "offset or 2026-12-01T12:00", "data-test": "browse-at", style: "width: 16em" });
  const limit = h("input", { type: "number", min: 1, max: 200, value: 50, style: "width: 5em" });
  const mode = h("select", { "data-test": "browse-decode" }, ["text", "json", "hex"].map((m) => h("option", { value: m }, m)));
  const output = h("div", { "data-test": "messages" });
  let last = null;
  const show = () => last && fill(output, messagesTable(last, mode.value));
  async function load() {
    const query = new URLSearchParams({ partition: partition.value, limit: limit.value });
    if (from.value === "offset") query.set("offset", at.value.trim());
    if (from.value === "timestamp") query.set("timestamp", String(Date.parse(at.value.trim())));
    try {
      last = await api("GET", `/v1/console/topics/${encodeURIComponent(topic)}/messages?${query}`);
      show();
    } catch (error) {
      fill(output, h("span", { class: "error" }, error.message));
    }
  }
  mode.addEventListener("change", show);
  const button = h("button", { class: "primary", "data-test": "browse", onclick: load }, "Show");
  load();
  return h("div", {}, h("div", { class: "toolbar" }, partition, from, at, h("label", {}, "limit ", limit), h("label", {}, "decode as ", mode), button), output);
}

function messagesTable(result, mode) {
  const range = h("p", { class: "muted" }, `offsets ${result.logStartOffset}…${result.highWatermark - 1} in the partition; ${result.messages.length} shown`);
  if (result.messages.length === 0) return [range];
  return [range, h("table", {},
    h("tr", {}, h("th", { class: "num" }, "offset"), h("th", {}, "time"), h("th", {}, "key"), h("th", {}, "value"), h("th", {}, "headers")),
    result.messages.map((m) => h("tr", { "data-test": "message" },
      h("td", { class: "num" }, m.offset),
      h("td", { class: "muted" }, time(m.timestampMs)),
      h("td", { class: "mono" }, payload(m.key, mode)),
      h("td", { class: "mono", "data-test": "value" }, payload(m.value, mode), m.truncated ? h("span", { class: "muted" }, ` … (${m.valueBytes} bytes)`) : null),
      h("td", { class: "mono" }, m.headers.map((hd) => `${hd.key}=${payload(hd.value, mode)}`).join("\n")))))];
}

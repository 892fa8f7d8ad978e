// Consumer groups: the list with state and total lag, and one group's members, assignments,
// committed offsets and lag per partition over time (from the live feed).
import { lineChart } from "./chart.js";
import { api, fill, h } from "./dom.js";
import { count } from "./format.js";

const REFRESH_MS = 2000;

export function groupsPage(root) {
  const table = h("div", { "data-test": "groups" }, h("span", { class: "muted" }, "loading…"));
  root.append(h("h1", {}, "Consumer groups"), table);
  let listed = null;
  let lastMs = 0;
  const render = (live) => {
    if (listed === null) return;
    const lagOf = new Map((live.tick?.groups ?? []).map((g) => [g.group, g.lag]));
    fill(table, listed.length === 0 ? h("p", { class: "muted" }, "No consumer groups.") : h("table", {},
      h("tr", {}, h("th", {}, "group"), h("th", {}, "state"), h("th", {}, "protocol"), h("th", { class: "num" }, "coordinator"), h("th", { class: "num" }, "lag")),
      listed.map((g) => h("tr", { "data-test": `group-${g.group}` },
        h("td", {}, h("a", { href: `#/groups/${encodeURIComponent(g.group)}` }, g.group)),
        h("td", { "data-test": "state" }, g.state), h("td", {}, g.protocolType || "–"), h("td", { class: "num" }, g.coordinator),
        h("td", { class: "num", "data-test": "lag" }, lagOf.has(g.group) ? count(lagOf.get(g.group)) : "–")))));
  };
  const load = async (live) => {
    lastMs = Date.now();
    try {
      listed = await api("GET", "/v1/console/groups");
      render(live);
    } catch (error) {
      fill(table, h("span", { class: "error" }, error.message));
    }
  };
  return {
    update(live) {
      if (Date.now() - lastMs >= REFRESH_MS) load(live);
      else render(live);
    },
  };
}

export function groupPage(name) {
  return (root) => {
    const summary = h("div", { class: "cards" });
    const members = h("div", { "data-test": "members" }, h("span", { class: "muted" }, "loading…"));
    const offsets = h("div", { "data-test": "offsets" });
    const chart = h("div", { class: "charts" });
    root.append(h("h1", {}, h("a", { href: "#/groups" }, "Consumer groups"), " / ", name), summary,
      h("h2", {}, "Lag per partition over time"), chart, h("h2", {}, "Members and assignments"), members, h("h2", {}, "Committed offsets"), offsets);
    let lastMs = 0;
    const load = async () => {
      lastMs = Date.now();
      try {
        const g = await api("GET", `/v1/console/groups/${encodeURIComponent(name)}`);
        fill(summary, [["state", g.state], ["protocol", `${g.protocolType || "–"} ${g.protocol || ""}`], ["members", g.members.length], ["total lag", count(g.lag)], ["coordinator", `broker ${g.coordinator}`]]
          .map(([label, value]) => h("div", { class: "card stat" }, h("div", { class: "value", "data-test": `group-${label.replace(" ", "-")}` }, value), h("div", { class: "label" }, label))));
        fill(members, membersTable(g.members));
        fill(offsets, offsetsTable(g.offsets));
      } catch (error) {
        fill(members, h("span", { class: "error" }, error.message));
      }
    };
    return {
      update(live) {
        if (Date.now() - lastMs >= REFRESH_MS) load();
        fill(chart, lagChart(live.lag[name] ?? []));
      },
    };
  };
}

function membersTable(members) {
  if (members.length === 0) return h("p", { class: "muted" }, "No members (the group is empty).");
  return h("table", {},
    h("tr", {}, h("th", {}, "member"), h("th", {}, "client"), h("th", {}, "host"), h("th", {}, "assigned")),
    members.map((m) => h("tr", {},
      h("td", { class: "mono" }, m.memberId), h("td", {}, m.clientId), h("td", {}, m.host),
      h("td", {}, m.assignments.map((a) => `${a.topic}: ${a.partitions.join(", ")}`).join("; ") || "–"))));
}

function offsetsTable(offsets) {
  if (offsets.length === 0) return h("p", { class: "muted" }, "No committed offsets.");
  return h("table", {},
    h("tr", {}, h("th", {}, "topic"), h("th", { class: "num" }, "partition"), h("th", { class: "num" }, "committed"), h("th", { class: "num" }, "high watermark"), h("th", { class: "num" }, "lag")),
    offsets.map((o) => h("tr", {},
      h("td", {}, o.topic), h("td", { class: "num" }, o.partition), h("td", { class: "num" }, o.committed < 0 ? "none" : count(o.committed)),
      h("td", { class: "num" }, count(o.highWatermark)), h("td", { class: "num", "data-test": "lag" }, count(o.lag)))));
}

function lagChart(points) {
  if (points.length === 0) return h("p", { class: "muted" }, "No lag samples yet.");
  const keys = [...new Set(points.flatMap((p) => Object.keys(p.partitions)))].sort();
  const series = keys.map((key) => ({ name: key, points: points.map((p) => ({ x: p.atMs, y: p.partitions[key] ?? 0 })) }));
  return lineChart("Lag (messages)", series, count, "chart-lag");
}

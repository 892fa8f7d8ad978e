// The console's entry: the live feed (Server-Sent Events from /v1/console/events) and a hash router.
import { groupPage, groupsPage } from "./groups.js";
import { overviewPage } from "./overview.js";
import { topicPage, topicsPage } from "./topics.js";

const HISTORY_POINTS = 300;

/** What the feed has told us: the last tick, the rate history and each group's lag history. */
const live = { tick: null, rates: [], lag: {} };
let page = null;

function keep(list, item) {
  list.push(item);
  if (list.length > HISTORY_POINTS) list.shift();
}

function connect() {
  const indicator = document.getElementById("live");
  const events = new EventSource("/v1/console/events");
  events.addEventListener("open", () => {
    indicator.textContent = "live";
    indicator.className = "live on";
  });
  events.addEventListener("error", () => {
    indicator.textContent = "reconnecting…";
    indicator.className = "live";
  });
  events.addEventListener("history", (event) => {
    const history = JSON.parse(event.data);
    live.rates = history.rates;
    live.lag = history.lag;
  });
  events.addEventListener("tick", (event) => {
    const tick = JSON.parse(event.data);
    live.tick = tick;
    if (tick.rates) keep(live.rates, tick.rates);
    for (const g of tick.groups) {
      live.lag[g.group] ??= [];
      keep(live.lag[g.group], { atMs: tick.atMs, lag: g.lag, partitions: Object.fromEntries(g.partitions.map((p) => [`${p.topic}/${p.partition}`, p.lag])) });
    }
    page?.update(live);
  });
}

const routes = {
  "": () => overviewPage,
  topics: (name) => (name ? topicPage(name) : topicsPage),
  groups: (name) => (name ? groupPage(name) : groupsPage),
};

function route() {
  const [section = "", name] = location.hash.replace(/^#\/?/, "").split("/");
  const make = routes[section] ?? routes[""];
  document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === (section || "overview")));
  page?.dispose?.();
  const root = document.getElementById("page");
  root.replaceChildren();
  page = make(name ? decodeURIComponent(name) : undefined)(root, live);
  page.update(live);
}

window.addEventListener("hashchange", route);
connect();
route();

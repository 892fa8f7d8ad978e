/**
 * The console's page, style sheet and browser modules, imported as text so that
 * `bun build --compile` embeds them in dist/skua (no files on disk, no CDN).
 */
import indexHtml from "./assets/index.html" with { type: "text" };
import style from "./assets/console.css" with { type: "text" };
import app from "./assets/app.js" with { type: "text" };
import chart from "./assets/chart.js" with { type: "text" };
import dom from "./assets/dom.js" with { type: "text" };
import format from "./assets/format.js" with { type: "text" };
import groups from "./assets/groups.js" with { type: "text" };
import overview from "./assets/overview.js" with { type: "text" };
import topics from "./assets/topics.js" with { type: "text" };
import messages from "./assets/messages.js" with { type: "text" };

const JS = "text/javascript; charset=utf-8";

export interface Asset {
  body: string;
  contentType: string;
}

/** The page itself (bun types an .html import as a bundle; with type "text" it is the file's text). */
export const page: Asset = { body: String(indexHtml), contentType: "text/html; charset=utf-8" };

/** Served under /console/, by file name. */
export const assets: Record<string, Asset> = {
  "console.css": { body: style, contentType: "text/css; charset=utf-8" },
  "app.js": { body: app, contentType: JS },
  "chart.js": { body: chart, contentType: JS },
  "dom.js": { body: dom, contentType: JS },
  "format.js": { body: format, contentType: JS },
  "groups.js": { body: groups, contentType: JS },
  "overview.js": { body: overview, contentType: JS },
  "topics.js": { body: topics, contentType: JS },
  "messages.js": { body: messages, contentType: JS },
};

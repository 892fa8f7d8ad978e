/**
 * The console's HTTP routes on the admin server: the page and its assets, the live feed
 * (Server-Sent Events) and the JSON the pages read: cluster, topics, messages, groups.
 * Moves and core rebalancing use the admin API's own endpoints (`/v1/partitions/...`).
 */
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { KafkaError, TransportError } from "../../client/errors.ts";
import { RecordDecodeError } from "../../client/records.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { PartitionDetails } from "../../shard/control.ts";
import { assets, page } from "./assets.ts";
import { BROWSE_MESSAGES_MAX, type BrowseFrom, type KafkaView } from "./kafka-view.ts";
import { groupLag, LISTENERS_MAX, type LiveFeed, type LiveTick } from "./live.ts";

/** Longest topic name Kafka allows. */
const TOPIC_NAME_LENGTH_MAX = 249;
const CREATE_PARTITIONS_MAX = 10_000;

/** What the routes read over the Kafka API (a KafkaView; tests pass a stand-in). */
export type KafkaReads = Omit<KafkaView, "close">;

export interface ConsoleDeps {
  partitions(): Promise<PartitionDetails[]>;
  kafka: KafkaReads;
  live: LiveFeed;
  version: string;
}

export function createConsoleApp(deps: ConsoleDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => failure(c, error));

  app.get("/", (c) => c.body(page.body, 200, { "content-type": page.contentType }));
  app.get("/console/:file", (c) => {
    const asset = assets[c.req.param("file")];
    return asset ? c.body(asset.body, 200, { "content-type": asset.contentType, "cache-control": "no-cache" }) : c.notFound();
  });

  app.get("/v1/console/events", (c) => liveEvents(c, deps.live));
  app.get("/v1/console/cluster", async (c) => c.json({ ...(await deps.kafka.cluster()), version: deps.version }));
  topicRoutes(app, deps);
  groupRoutes(app, deps);
  return app;
}

/** One "history" event with the charts' past, then a "tick" per sample until the page goes away. */
function liveEvents(c: Context, live: LiveFeed): Response {
  if (live.listenerCount >= LISTENERS_MAX) return c.json({ message: "too many console listeners", code: 503 }, 503);
  return streamSSE(c, async (stream) => {
    await stream.writeSSE({ event: "history", data: JSON.stringify(live.history()) });
    let writing = Promise.resolve();
    const listener = (tick: LiveTick) => {
      writing = writing.then(() => stream.writeSSE({ event: "tick", data: JSON.stringify(tick) }));
    };
    if (!live.listen(listener)) return;
    await new Promise<void>((resolve) => stream.onAbort(resolve));
    live.unlisten(listener);
  });
}

function topicRoutes(app: Hono, deps: ConsoleDeps): void {
  app.get("/v1/console/topics", async (c) => {
    const [topics, details] = await Promise.all([deps.kafka.topics(), deps.partitions()]);
    return c.json(topics.map((t) => {
      const mine = details.filter((p) => p.topic === t.name);
      const sum = (pick: (p: PartitionDetails) => number) => mine.reduce((total, p) => total + pick(p), 0);
      return { ...t, sizeBytes: sum((p) => p.sizeBytes), messages: sum((p) => p.highWatermark - p.logStartOffset), shards: [...new Set(mine.map((p) => p.shard))].sort() };
    }));
  });

  app.post("/v1/console/topics", async (c) => {
    const body = await c.req.json().catch(() => null);
    const name = body?.name;
    const partitions = body?.partitions ?? -1;
    const configs = body?.configs ?? {};
    if (typeof name !== "string" || name.length === 0 || name.length > TOPIC_NAME_LENGTH_MAX) return badRequest(c, "name must be 1..249 characters");
    if (!Number.isInteger(partitions) || partitions === 0 || partitions > CREATE_PARTITIONS_MAX) return badRequest(c, `partitions must be 1..${CREATE_PARTITIONS_MAX} (or -1: the default)`);
    if (typeof configs !== "object" || Object.values(configs).some((v) => typeof v !== "string")) return badRequest(c, "configs must map names to strings");
    return outcomeResponse(c, await deps.kafka.createTopic(name, partitions, configs), 201);
  });

  app.get("/v1/console/topics/:name", async (c) => {
    const name = c.req.param("name");
    const [{ partitions, configs }, details] = await Promise.all([deps.kafka.topic(name), deps.partitions()]);
    const byPartition = new Map(details.filter((p) => p.topic === name).map((p) => [p.partition, p]));
    return c.json({
      name,
      partitions: partitions.map((p) => {
        const d = byPartition.get(p.partition);
        return { ...p, shard: d?.shard ?? null, highWatermark: d?.highWatermark ?? null, logStartOffset: d?.logStartOffset ?? null, sizeBytes: d?.sizeBytes ?? null };
      }),
      configs,
    });
  });

  app.delete("/v1/console/topics/:name", async (c) => outcomeResponse(c, await deps.kafka.deleteTopic(c.req.param("name")), 200));

  app.get("/v1/console/topics/:name/messages", async (c) => {
    const partition = Number(c.req.query("partition") ?? 0);
    const limit = Number(c.req.query("limit") ?? 50);
    const from = browseFrom(c.req.query("offset"), c.req.query("timestamp"));
    if (!Number.isInteger(partition) || partition < 0) return badRequest(c, "partition must be a partition number");
    if (!Number.isInteger(limit) || limit < 1 || limit > BROWSE_MESSAGES_MAX) return badRequest(c, `limit must be 1..${BROWSE_MESSAGES_MAX}`);
    if (from === null) return badRequest(c, "offset and timestamp must be whole numbers (timestamp in ms)");
    return c.json(await deps.kafka.browse(c.req.param("name"), partition, from, limit));
  });
}

function groupRoutes(app: Hono, deps: ConsoleDeps): void {
  app.get("/v1/console/groups", async (c) => c.json(await deps.kafka.listGroups()));

  app.get("/v1/console/groups/:group", async (c) => {
    const group = c.req.param("group");
    const [described, committed, details] = await Promise.all([deps.kafka.describeGroup(group), deps.kafka.committedOffsets(group), deps.partitions()]);
    const highWatermarks = new Map(details.map((p) => [`${p.topic}/${p.partition}`, p.highWatermark]));
    const lag = groupLag({ group, state: described.state, protocolType: described.protocolType, coordinator: described.coordinator }, committed, highWatermarks);
    return c.json({ ...described, lag: lag.lag, offsets: lag.partitions, lagHistory: deps.live.history().lag[group] ?? [] });
  });
}

function browseFrom(offset: string | undefined, timestamp: string | undefined): BrowseFrom | null {
  const whole = (text: string) => (/^-?\d+$/.test(text) ? Number(text) : null);
  if (offset !== undefined && offset !== "") {
    const n = whole(offset);
    return n === null ? null : { offset: n };
  }
  if (timestamp !== undefined && timestamp !== "") {
    const n = whole(timestamp);
    return n === null ? null : { timestampMs: n };
  }
  return { tail: true };
}

function outcomeResponse(c: Context, outcome: { errorCode: number; status: string; message: string | null }, okStatus: 200 | 201): Response {
  if (outcome.errorCode === ErrorCode.NONE) return c.json(outcome, okStatus);
  return c.json({ ...outcome, message: outcome.message ?? outcome.status, code: 400 }, 400);
}

function badRequest(c: Context, message: string): Response {
  return c.json({ message, code: 400 }, 400);
}

/** A Kafka error code is the caller's (404 for an unknown topic); a broken connection to our own listener is 502. */
function failure(c: Context, error: Error): Response {
  if (error instanceof KafkaError) {
    const status = error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || error.code === ErrorCode.GROUP_ID_NOT_FOUND ? 404 : 400;
    return c.json({ message: error.message, code: status }, status);
  }
  if (error instanceof TransportError) return c.json({ message: error.message, code: 502 }, 502);
  // Records the console cannot show (snappy, lz4 or zstd batches): said, not guessed at.
  if (error instanceof RecordDecodeError) return c.json({ message: error.message, code: 422 }, 422);
  return c.json({ message: error.message, code: 500 }, 500);
}

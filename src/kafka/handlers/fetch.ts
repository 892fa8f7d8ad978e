/**
 * Fetch (1) v0–12 (v0–3 get their records down-converted to magic 0/1, `../legacy-formats.ts`).
 * The session cache (`../fetch-sessions.ts`, v7+) says which partitions this fetch
 * reads and which of them it answers (all, or on an incremental session only those with news).
 * Every partition is read from its owner shard; while there is less than min_bytes, the fetch
 * sleeps until an owner sees a change in what it read (new data, a moved start, a partition
 * gone) or max_wait_ms passes: no polling, no re-reading of the same bytes.
 */
import { limits } from "../../base/limits.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ReadItem, ReadResult, WatchItem } from "../ops.ts";
import type { SessionFetchRequest } from "../fetch-sessions.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";
import { downConvertFetch } from "../legacy-formats.ts";

interface FetchRequest extends SessionFetchRequest {
  maxWaitMs: number;
  minBytes: number;
}

export const fetchHandler = defineHandler({
  apiKey: 1,
  name: "Fetch",
  minVersion: 0,
  maxVersion: 12,
  async handle(context: BrokerContext, request: FetchRequest, info) {
    const plan = context.fetchSessions.plan(request);
    if (plan.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: plan.errorCode, sessionId: 0, responses: [] };
    const results = await readEnough(context, request, plan.wanted);
    const { sessionId, included } = plan.finish(results);
    // Sessions start at v7 and down-conversion ends at v3, so here every partition is answered in request order.
    const responses = downConvertFetch(info.apiVersion, request, respond(plan.wanted, results, included), context.metadata());
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses };
  },
  responseBytesHint(response) {
    let bytes = 64;
    for (const topic of response.responses) {
      bytes += 16 + topic.topic.length * 3;
      for (const p of topic.partitions) bytes += PARTITION_OVERHEAD_BYTES + p.records.length;
    }
    return bytes;
  },
});

/** Fixed fields of one partition in a Fetch response, with room to spare. */
const PARTITION_OVERHEAD_BYTES = 64;

const NO_RECORDS = new Uint8Array(0);

const unknownPartition: ReadResult = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: NO_RECORDS };

interface Read {
  results: ReadResult[];
  /** Some partition's records were left out to keep within max_bytes: waiting cannot add more. */
  full: boolean;
}

/** Reads, and while short of min_bytes (and nothing to report) sleeps until something read changes. */
async function readEnough(context: BrokerContext, request: FetchRequest, wanted: ReadItem[]): Promise<ReadResult[]> {
  const deadlineMs = context.clock.nowMs() + Math.min(Math.max(request.maxWaitMs, 0), limits.fetchWaitMsMax);
  let read = await readAll(context, wanted, request.maxBytes);
  while (!read.full && bytesIn(read.results) < request.minBytes && !read.results.some(isError)) {
    const waitMs = deadlineMs - context.clock.nowMs();
    if (waitMs <= 0) break;
    if (!(await waitForChange(context, wanted, read.results, waitMs))) break;
    read = await readAll(context, wanted, request.maxBytes);
  }
  return read.results;
}

async function readAll(context: BrokerContext, wanted: ReadItem[], responseBytesMax: number): Promise<Read> {
  return capResponseBytes(await invokeOnOwners(context, "read", wanted, unknownPartition), responseBytesMax);
}

/** Keeps the response within max_bytes, except that the first non-empty partition always goes (KIP-74). */
function capResponseBytes(results: ReadResult[], responseBytesMax: number): Read {
  let total = 0;
  let full = false;
  const capped = results.map((r) => {
    const size = r.records.length;
    if (size === 0) return r;
    if (total > 0 && total + size > responseBytesMax) {
      full = true;
      return { ...r, records: NO_RECORDS };
    }
    total += size;
    return r;
  });
  return { results: capped, full };
}

/**
 * Resolves true when an owner sees a partition differ from what was read (new data past the high
 * watermark read, a moved log start, the partition gone), false after waitMs. A watch of nothing
 * (every partition unknown) just waits.
 */
async function waitForChange(context: BrokerContext, wanted: ReadItem[], results: ReadResult[], waitMs: number): Promise<boolean> {
  const table = context.metadata();
  const byShard = new Map<number, WatchItem[]>();
  wanted.forEach((w, i) => {
    const shard = table.ownerOf(w.topic, w.partition);
    if (shard === undefined) return;
    const item: WatchItem = { topic: w.topic, partition: w.partition, highWatermark: results[i].highWatermark, logStartOffset: results[i].logStartOffset };
    const items = byShard.get(shard);
    if (items) items.push(item);
    else byShard.set(shard, [item]);
  });
  if (byShard.size === 0) byShard.set(context.shardId, []);
  const watchId = `${context.shardId}:${++watchesStarted}`;
  const waiting = new Set(byShard.keys());
  const answers = [...byShard].map(([shard, items]) =>
    context.invoke(shard, "watch", { watchId, waitMs, items }).then((answer) => {
      waiting.delete(shard);
      return answer;
    }),
  );
  const { woken } = await Promise.race(answers);
  // The other owners' watches would otherwise hold their timers and entries until max_wait_ms. Nobody waits for
  // this answer; it fails only when the channel closes at shutdown, and then the watch ends with its timer anyway.
  for (const shard of waiting) context.invoke(shard, "unwatch", { watchId }).catch(() => {});
  return woken;
}

/** Watches this shard started: with the shard id, a watch's id unique across shards. */
let watchesStarted = 0;

function bytesIn(results: ReadResult[]): number {
  return results.reduce((sum, r) => sum + r.records.length, 0);
}

function isError(result: ReadResult): boolean {
  return result.errorCode !== ErrorCode.NONE;
}

/** The included partitions, consecutive ones of a topic under one topic entry (as Kafka builds it). */
function respond(wanted: ReadItem[], results: ReadResult[], included: boolean[]) {
  const topics: Array<{ topic: string; partitions: ReturnType<typeof partitionData>[] }> = [];
  wanted.forEach((w, i) => {
    if (!included[i]) return;
    const last = topics[topics.length - 1];
    if (last?.topic === w.topic) last.partitions.push(partitionData(w, results[i]));
    else topics.push({ topic: w.topic, partitions: [partitionData(w, results[i])] });
  });
  return topics;
}

function partitionData(w: ReadItem, r: ReadResult) {
  return {
    partitionIndex: w.partition,
    errorCode: r.errorCode,
    highWatermark: r.highWatermark,
    lastStableOffset: r.highWatermark,
    logStartOffset: r.logStartOffset,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: r.records,
  };
}

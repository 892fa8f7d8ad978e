/**
 * Fetch (1) v0–12 (v0–3 get their records down-converted to magic 0/1, legacy-formats.ts). Reads every partition from its owner shard; when there is less than
 * min_bytes, it asks the owners to wake it when a produce brings data (no polling), or answers
 * at max_wait_ms.
 */
import { limits } from "../../base/limits.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ReadItem, ReadResult } from "../../shard/ops.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";
import { downConvertFetch } from "../legacy-formats.ts";

interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: number; partitionMaxBytes: number }> }>;
}

export const fetchHandler = defineHandler({
  apiKey: 1,
  name: "Fetch",
  minVersion: 0,
  maxVersion: 12,
  async handle(context: BrokerContext, request: FetchRequest, info) {
    const deadlineMs = context.clock.nowMs() + Math.min(Math.max(request.maxWaitMs, 0), limits.fetchWaitMsMax);
    const wanted = wantedPartitions(request);
    let results = await readAll(context, wanted, request.maxBytes);
    while (bytesIn(results) < request.minBytes && !results.some(isError)) {
      const waitMs = deadlineMs - context.clock.nowMs();
      if (waitMs <= 0) break;
      await waitForData(context, wanted, waitMs);
      results = await readAll(context, wanted, request.maxBytes);
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: downConvertFetch(info.apiVersion, request, respond(request, results), context.metadata()) };
  },
  responseBytesHint(response) {
    let bytes = 64;
    for (const topic of response.responses) {
      bytes += 16 + topic.topic.length * 3;
      for (const p of topic.partitions) bytes += PARTITION_OVERHEAD_BYTES + (p.records?.length ?? 0);
    }
    return bytes;
  },
});

/** Fixed fields of one partition in a Fetch response, with room to spare. */
const PARTITION_OVERHEAD_BYTES = 64;

function wantedPartitions(request: FetchRequest): ReadItem[] {
  return request.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      maxBytes: Math.max(0, Math.min(p.partitionMaxBytes, request.maxBytes)),
    })),
  );
}

const unknownPartition: ReadResult = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: null };

async function readAll(context: BrokerContext, wanted: ReadItem[], responseBytesMax: number): Promise<ReadResult[]> {
  return capResponseBytes(await invokeOnOwners(context, "read", wanted, unknownPartition), responseBytesMax);
}

/** Keeps the response within max_bytes, except that the first non-empty partition always goes (KIP-74). */
function capResponseBytes(results: ReadResult[], responseBytesMax: number): ReadResult[] {
  let total = 0;
  return results.map((r) => {
    const size = r.records?.length ?? 0;
    if (size === 0) return r;
    if (total > 0 && total + size > responseBytesMax) return { ...r, records: null };
    total += size;
    return r;
  });
}

/** Resolves when any owner sees data past a fetch offset, or after waitMs (a watch of nothing just waits). */
async function waitForData(context: BrokerContext, wanted: ReadItem[], waitMs: number): Promise<void> {
  const table = context.metadata();
  const byShard = new Map<number, ReadItem[]>();
  for (const w of wanted) {
    const shard = table.ownerOf(w.topic, w.partition);
    if (shard === undefined) continue;
    const items = byShard.get(shard);
    if (items) items.push(w);
    else byShard.set(shard, [w]);
  }
  if (byShard.size === 0) byShard.set(context.shardId, []);
  await Promise.race(
    [...byShard].map(([shard, items]) =>
      context.invoke(shard, "watch", { waitMs, items: items.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.fetchOffset })) }),
    ),
  );
}

function bytesIn(results: ReadResult[]): number {
  return results.reduce((sum, r) => sum + (r.records?.length ?? 0), 0);
}

function isError(result: ReadResult): boolean {
  return result.errorCode !== ErrorCode.NONE;
}

function respond(request: FetchRequest, results: ReadResult[]) {
  let next = 0;
  return request.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const r = results[next++];
      return {
        partitionIndex: p.partition,
        errorCode: r.errorCode,
        highWatermark: r.highWatermark,
        lastStableOffset: r.highWatermark,
        logStartOffset: r.logStartOffset,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: r.records,
      };
    }),
  }));
}

/**
 * A fetch's read-and-wait: read, and while short of min_bytes (and nothing to answer at once)
 * sleep until an owner sees a change in what was read, then read again, until max_wait_ms. The
 * fetch handler runs it over every owner of a fetch's partitions; when they all live on one shard,
 * that shard runs it itself (the `readWaiting` op): one cross-shard call per fetch instead of a
 * read, a watch and another read, which for a consumer tailing a partition is per record.
 */
import { ErrorCode } from "../protocol/errors.ts";
import type { Clock } from "../base/clock.ts";
import type { PartitionOps, ReadItem, ReadResult, WatchItem } from "./ops.ts";

export interface ReadRound {
  results: ReadResult[];
  /** Some partition's records were left out to keep within max_bytes: waiting cannot add more. */
  full: boolean;
}

export interface FetchWait {
  minBytes: number;
  /** When the fetch must be answered, on `clock`. */
  deadlineMs: number;
}

/** Reads until the round has min_bytes, something to answer at once, is full, or the deadline passed. */
export async function readUntilEnough(
  read: () => Promise<ReadRound>,
  waitForChange: (results: ReadResult[], waitMs: number) => Promise<boolean>,
  wait: FetchWait,
  clock: Clock,
): Promise<ReadResult[]> {
  let round = await read();
  while (!round.full && bytesIn(round.results) < wait.minBytes && !round.results.some(mustAnswerNow)) {
    const waitMs = wait.deadlineMs - clock.nowMs();
    if (waitMs <= 0) break;
    if (!(await waitForChange(round.results, waitMs))) break;
    round = await read();
  }
  return round.results;
}

/** Keeps the response within max_bytes, except that the first non-empty partition always goes (KIP-74). */
export function capResponseBytes(results: ReadResult[], responseBytesMax: number): ReadRound {
  let total = 0;
  let full = false;
  const capped = results.map((r) => {
    const size = r.records.length;
    if (size === 0) return r;
    if (total > 0 && total + size > responseBytesMax) {
      full = true;
      return { ...r, records: NO_RECORDS, abortedTransactions: r.abortedTransactions === null ? null : [] };
    }
    total += size;
    return r;
  });
  return { results: capped, full };
}

/** What a read saw of a partition, for the watch that wakes when it is no longer so. */
export function watchItem(read: ReadItem, result: ReadResult): WatchItem {
  const item: WatchItem = { topic: read.topic, partition: read.partition, highWatermark: result.highWatermark, logStartOffset: result.logStartOffset };
  if (read.clientRack !== undefined) item.clientRack = read.clientRack;
  return item;
}

/** Watches this thread started, for ids unique across shards: `<shard>:<n>`. */
let watchesStarted = 0;
export const newWatchId = (shardId: number) => `${shardId}:${++watchesStarted}`;

/** The owner's side of `readWaiting`: the whole read-and-wait over its own `read` and `watch`. */
export function readWaitingOn(
  servers: Pick<{ [Op in keyof PartitionOps]: (request: PartitionOps[Op]["request"]) => Promise<PartitionOps[Op]["response"]> }, "read" | "watch">,
  shardId: number,
  clock: Clock,
  request: { items: ReadItem[]; minBytes: number; maxBytes: number; waitMs: number },
): Promise<ReadResult[]> {
  const { items } = request;
  return readUntilEnough(
    async () => capResponseBytes(await servers.read({ items }), request.maxBytes),
    async (results, waitMs) => (await servers.watch({ watchId: newWatchId(shardId), items: items.map((item, i) => watchItem(item, results[i])), waitMs })).woken,
    { minBytes: request.minBytes, deadlineMs: clock.nowMs() + request.waitMs },
    clock,
  );
}

function bytesIn(results: ReadResult[]): number {
  let sum = 0;
  for (const r of results) sum += r.records.length;
  return sum;
}

/** An error, or a leader naming another replica to fetch from (Kafka answers those at once). */
function mustAnswerNow(result: ReadResult): boolean {
  return result.errorCode !== ErrorCode.NONE || (result.preferredReadReplica ?? -1) >= 0;
}

const NO_RECORDS = new Uint8Array(0);

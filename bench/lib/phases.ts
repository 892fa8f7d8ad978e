/**
 * The load generator's phases: produce (pipelined, pre-encoded frames) and fetch
 * (everything back from offset 0). Each runs until its deadline, then drains what is in
 * flight for at most DRAIN_TIMEOUT_MS, counting anything unanswered as an error.
 */
import { decode } from "../../src/protocol/codec.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { encodeRequestFrame } from "../../src/protocol/frame.ts";
import { FetchResponse, ProduceResponse, type FetchRequest, type ProduceRequest } from "../../src/protocol/messages/index.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { BATCH_HEADER_BYTES, batchSizeBytes, lastOffset, recordsCount } from "../../src/storage/record-batch.ts";
import type { Reader } from "../../src/protocol/reader.ts";
import type { KafkaConnection } from "./client.ts";
import { PhaseStats } from "./stats.ts";

const DRAIN_TIMEOUT_MS = 30_000;
const CLIENT_ID = "skua-loadgen";
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;
const FETCH_MAX_WAIT_MS = 500;

const errorNames = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code as number, name]));
export const errorName = (code: number) => errorNames.get(code) ?? `error ${code}`;

/** Partitions a connection owns: p % connections === index (wrapping when there are more connections). */
export function partitionsOf(index: number, connections: number, partitions: number): number[] {
  const owned: number[] = [];
  for (let p = index; p < partitions; p += connections) owned.push(p);
  return owned.length > 0 ? owned : [index % partitions];
}

export interface ProducePlan {
  topic: string;
  partitions: number;
  acks: -1 | 1;
  depth: number;
  batch: Uint8Array;
  batchRecords: number;
  /** Filled in: records acknowledged per partition, for the fetch phase to check against. */
  ackedRecords: number[];
  /**
   * Open loop: offer this many MB/s of batches in all, on a fixed schedule, and time each request
   * from when the schedule wanted it sent (so a slow broker cannot hide its delay). Null: closed
   * loop, each slot re-sends as soon as its answer arrives.
   */
  rateMBps: number | null;
  /** Which partitions each connection sends to (a cluster: the partitions its broker leads); default partitionsOf. */
  ownedByConnection?: number[][];
}

export async function runProducePhase(conns: KafkaConnection[], plan: ProducePlan, seconds: number): Promise<PhaseStats> {
  const slots = conns.length * plan.depth;
  // Frames are built before the clock starts: the first sends must not wait for the copying.
  const frames = conns.map((_, i) => {
    const owned = plan.ownedByConnection?.[i] ?? partitionsOf(i, conns.length, plan.partitions);
    const template = produceFrame(plan, owned);
    return { owned, slotFrames: Array.from({ length: plan.depth }, () => template.slice()) };
  });
  const stats = new PhaseStats();
  const deadlineMs = stats.startedAtMs + seconds * 1000;
  const done: Array<Promise<void>> = [];
  conns.forEach((conn, i) => {
    const { owned, slotFrames } = frames[i]!;
    // Open loop: each slot sends one request every intervalMs, the slots evenly staggered.
    const intervalMs = plan.rateMBps === null ? 0 : (slots * owned.length * plan.batch.length) / (plan.rateMBps * 1000);
    slotFrames.forEach((frame, slot) => {
      const firstMs = stats.startedAtMs + (intervalMs * (i * plan.depth + slot)) / slots;
      done.push(produceLoop(conn, frame, owned, plan, stats, deadlineMs, firstMs, intervalMs));
    });
  });
  await drain(done, stats, deadlineMs);
  return stats;
}

function produceFrame(plan: ProducePlan, owned: number[]): Uint8Array {
  const body: ProduceRequest = {
    transactionalId: null,
    acks: plan.acks,
    timeoutMs: 30_000,
    topicData: [{ name: plan.topic, partitionData: owned.map((index) => ({ index, records: plan.batch })) }],
  };
  return encodeRequestFrame(0, PRODUCE_VERSION, 0, CLIENT_ID, body, new Writer(owned.length * plan.batch.length + 256));
}

/**
 * One pipeline slot: one request in flight at a time, re-sent when the answer arrives (closed
 * loop, intervalMs 0) or at the next time its schedule names (open loop).
 */
function produceLoop(
  conn: KafkaConnection, frame: Uint8Array, owned: number[], plan: ProducePlan, stats: PhaseStats, deadlineMs: number,
  firstMs: number, intervalMs: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let scheduledMs = firstMs;
    const send = () => conn.send(frame, onResponse, onFailure);
    const onResponse = (body: Reader, latencyMs: number) => {
      const nowMs = performance.now();
      stats.lastResponseAtMs = nowMs;
      stats.requests++;
      stats.latency.record(intervalMs === 0 ? latencyMs : nowMs - scheduledMs);
      countProduceResponse(decode(ProduceResponse, PRODUCE_VERSION, body), owned.length, plan, stats);
      scheduledMs += intervalMs;
      if (scheduledMs >= deadlineMs || nowMs >= deadlineMs) return resolve();
      if (scheduledMs > nowMs) setTimeout(send, scheduledMs - nowMs);
      else send();
    };
    const onFailure = (reason: string) => {
      stats.error(reason);
      resolve();
    };
    setTimeout(send, Math.max(0, firstMs - performance.now()));
  });
}

function countProduceResponse(response: ProduceResponse, expected: number, plan: ProducePlan, stats: PhaseStats): void {
  let seen = 0;
  for (const topic of response.responses) {
    for (const p of topic.partitionResponses) {
      seen++;
      if (p.errorCode !== 0) {
        stats.error(errorName(p.errorCode));
        continue;
      }
      stats.batchBytes += plan.batch.length;
      stats.records += plan.batchRecords;
      plan.ackedRecords[p.index] = (plan.ackedRecords[p.index] ?? 0) + plan.batchRecords;
    }
  }
  if (seen !== expected) stats.error("partition missing from produce response", Math.abs(expected - seen));
}

/**
 * Waits for every loop to finish. Gives up once nothing has been answered for
 * DRAIN_TIMEOUT_MS past the deadline, counting each unfinished loop as an error.
 */
async function drain(loops: Array<Promise<void>>, stats: PhaseStats, deadlineMs: number): Promise<void> {
  let finished = 0;
  for (const loop of loops) void loop.then(() => finished++);
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setInterval(() => {
      const quietMs = performance.now() - Math.max(stats.lastResponseAtMs, deadlineMs);
      if (finished === loops.length || quietMs > DRAIN_TIMEOUT_MS) {
        clearInterval(timer);
        resolve(finished === loops.length);
      }
    }, 20);
  });
  if (!ok) stats.error("no response within drain timeout", loops.length - finished);
}

// ---- fetch ---------------------------------------------------------------

export interface FetchPlan {
  topic: string;
  partitions: number;
  depth: number;
  partitionMaxBytes: number;
  /** Records read back per partition. */
  fetchedRecords: number[];
  /** Partitions whose fetch offset reached the high watermark. */
  caughtUp: Set<number>;
}

/**
 * Each connection splits its partitions into up to `depth` groups; each group keeps one
 * Fetch in flight, advancing its offsets from each answer, until all of its partitions
 * reach their high watermark or the deadline passes. Use at most one connection per
 * partition, or partitions are read twice.
 */
export async function runFetchPhase(conns: KafkaConnection[], plan: FetchPlan, seconds: number): Promise<PhaseStats> {
  const stats = new PhaseStats();
  const deadlineMs = stats.startedAtMs + seconds * 1000;
  const loops: Array<Promise<void>> = [];
  conns.forEach((conn, i) => {
    const owned = partitionsOf(i, conns.length, plan.partitions);
    const groups = Math.min(plan.depth, owned.length);
    for (let g = 0; g < groups; g++) {
      const group = owned.filter((_, k) => k % groups === g);
      loops.push(fetchLoop(conn, new Map(group.map((p) => [p, 0])), plan, stats, deadlineMs));
    }
  });
  await drain(loops, stats, deadlineMs);
  return stats;
}

function fetchFrame(plan: FetchPlan, offsets: Map<number, number>): Uint8Array {
  const body: Partial<FetchRequest> = {
    replicaId: -1,
    maxWaitMs: FETCH_MAX_WAIT_MS,
    minBytes: 1,
    maxBytes: plan.partitionMaxBytes * Math.max(1, offsets.size),
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic: plan.topic,
      topicId: "00000000-0000-0000-0000-000000000000",
      partitions: [...offsets].map(([partition, fetchOffset]) => ({
        partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1,
        partitionMaxBytes: plan.partitionMaxBytes, replicaDirectoryId: "00000000-0000-0000-0000-000000000000",
      })),
    }],
    forgottenTopicsData: [],
    rackId: "",
  };
  return encodeRequestFrame(1, FETCH_VERSION, 0, CLIENT_ID, body, new Writer(256));
}

/** `offsets`: next offset to fetch per partition of this group; caught-up partitions leave it. */
function fetchLoop(
  conn: KafkaConnection, offsets: Map<number, number>, plan: FetchPlan, stats: PhaseStats, deadlineMs: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const onResponse = (body: Reader, latencyMs: number) => {
      stats.lastResponseAtMs = performance.now();
      stats.requests++;
      stats.latency.record(latencyMs);
      countFetchResponse(decode(FetchResponse, FETCH_VERSION, body), offsets, plan, stats);
      if (offsets.size > 0 && stats.lastResponseAtMs < deadlineMs) conn.send(fetchFrame(plan, offsets), onResponse, onFailure);
      else resolve();
    };
    const onFailure = (reason: string) => {
      stats.error(reason);
      resolve();
    };
    conn.send(fetchFrame(plan, offsets), onResponse, onFailure);
  });
}

function countFetchResponse(response: FetchResponse, offsets: Map<number, number>, plan: FetchPlan, stats: PhaseStats): void {
  if (response.errorCode !== 0) stats.error(errorName(response.errorCode));
  for (const topic of response.responses) {
    for (const p of topic.partitions) {
      const fetchOffset = offsets.get(p.partitionIndex);
      if (fetchOffset === undefined) continue;
      if (p.errorCode !== 0) {
        stats.error(errorName(p.errorCode));
        continue;
      }
      const walked = walkWholeBatches(p.records ?? EMPTY, fetchOffset);
      stats.batchBytes += walked.sizeBytes;
      stats.records += walked.records;
      plan.fetchedRecords[p.partitionIndex] = (plan.fetchedRecords[p.partitionIndex] ?? 0) + walked.records;
      if (walked.nextOffset >= p.highWatermark) {
        offsets.delete(p.partitionIndex);
        plan.caughtUp.add(p.partitionIndex);
      } else offsets.set(p.partitionIndex, walked.nextOffset);
    }
  }
}

const EMPTY = new Uint8Array(0);

/** Whole batches in a fetched records field (the last one may be cut off by the size limit). */
function walkWholeBatches(b: Uint8Array, fetchOffset: number): { sizeBytes: number; records: number; nextOffset: number } {
  let at = 0;
  let records = 0;
  let nextOffset = fetchOffset;
  while (b.length - at >= BATCH_HEADER_BYTES) {
    const size = batchSizeBytes(b, at);
    if (size < BATCH_HEADER_BYTES || at + size > b.length) break;
    const last = lastOffset(b, at);
    // A batch that starts before the fetch offset is resent whole; count only what is new.
    if (last >= nextOffset) {
      records += Math.min(recordsCount(b, at), last - nextOffset + 1);
      nextOffset = last + 1;
    }
    at += size;
  }
  return { sizeBytes: at, records, nextOffset };
}

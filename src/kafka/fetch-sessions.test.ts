/** The fetch session cache alone: session life (KIP-227), what an incremental fetch answers, and Kafka's eviction rules. */
import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../base/random.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { ReadResult } from "./ops.ts";
import { FetchSessionCache, nextEpoch, type FetchPlan, type SessionFetchRequest } from "./fetch-sessions.ts";

const EVICTION_MS = 120_000;

function cache(options: { slots?: number; shardId?: number; shardCount?: number; partitionsMax?: number; partitionsCachedMax?: number } = {}) {
  const clock = { ms: 1_000_000, nowMs() { return this.ms; } };
  const sessions = new FetchSessionCache({
    shardId: options.shardId ?? 0, shardCount: options.shardCount ?? 1, slots: options.slots ?? 10, clock,
    evictionMs: EVICTION_MS, partitionsMax: options.partitionsMax, partitionsCachedMax: options.partitionsCachedMax, random: mulberry32(7),
  });
  return { sessions, clock };
}

type Part = [topic: string, partition: number, fetchOffset: number];

function request(sessionId: number, sessionEpoch: number, parts: Part[], forgotten: Array<[string, number]> = [], replicaId = -1): SessionFetchRequest {
  const topics: SessionFetchRequest["topics"] = [];
  for (const [topic, partition, fetchOffset] of parts) {
    let t = topics.find((x) => x.topic === topic);
    if (!t) topics.push((t = { topic, topicId: NO_TOPIC_ID, partitions: [] }));
    t.partitions.push({ partition, fetchOffset, partitionMaxBytes: 1 << 20 });
  }
  return { replicaId, maxBytes: 1 << 24, sessionId, sessionEpoch, topics, forgottenTopicsData: forgotten.map(([topic, p]) => ({ topic, topicId: NO_TOPIC_ID, partitions: [p] })) };
}

/** Fetch v0–12 names topics, and a topic id is then the zero uuid. */
const NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000";
const byName = (sessions: FetchSessionCache, r: SessionFetchRequest) => sessions.plan(r, false);

/** What a partition's owner would answer: `hw` and `lso`, and records when given bytes. */
const result = (hw: number, bytes = 0, lso = 0, errorCode: number = ErrorCode.NONE): ReadResult => ({
  errorCode,
  highWatermark: hw,
  lastStableOffset: hw,
  logStartOffset: lso,
  records: new Uint8Array(bytes),
  abortedTransactions: null,
});

/** Runs a plan against `answer` (by "topic/partition") and returns the answered partitions and the session id. */
function run(plan: FetchPlan, answer: (key: string) => ReadResult) {
  const results = plan.wanted.map((w) => answer(`${w.topic}/${w.partition}`));
  const { sessionId, included } = plan.finish(results);
  return { sessionId, answered: plan.wanted.filter((_, i) => included[i]).map((w) => `${w.topic}/${w.partition}@${w.fetchOffset}`) };
}

const quiet = () => result(5);

function openSession(sessions: FetchSessionCache, parts: Part[], replicaId = -1): number {
  const { sessionId } = run(byName(sessions, request(0, 0, parts, [], replicaId)), quiet);
  return sessionId;
}

const partsOf = (n: number): Part[] => Array.from({ length: n }, (_, i) => ["t", i, 5]);

describe("session life", () => {
  test("epoch 0 opens a session whose id ends in the shard's number; the full response has every partition", () => {
    const { sessions } = cache({ shardId: 2, shardCount: 3 });
    const { sessionId, answered } = run(byName(sessions, request(0, 0, [["a", 0, 5], ["a", 1, 5], ["b", 0, 5]])), quiet);
    expect(sessionId).toBeGreaterThan(0);
    expect(sessionId % 3).toBe(2);
    expect(answered).toEqual(["a/0@5", "a/1@5", "b/0@5"]);
    expect(sessions.has(sessionId)).toBe(true);
  });

  test("an incremental fetch reads every session partition and answers only those with news", () => {
    const { sessions } = cache();
    const id = openSession(sessions, [["a", 0, 5], ["a", 1, 5], ["a", 2, 5], ["a", 3, 5]]);
    const news: Record<string, ReadResult> = { "a/1": result(6, 100), "a/2": result(6), "a/3": result(5, 0, 2) };
    const plan = byName(sessions, request(id, 1, []));
    expect(plan.wanted.map((w) => w.partition)).toEqual([0, 1, 2, 3]);
    // records, a new high watermark, a new log start offset
    expect(run(plan, (k) => news[k] ?? quiet())).toEqual({ sessionId: id, answered: ["a/1@5", "a/2@5", "a/3@5"] });
    // Nothing new since: nothing answered.
    expect(run(byName(sessions, request(id, 2, [])), (k) => (k === "a/3" ? result(5, 0, 2) : result(k === "a/0" ? 5 : 6)))).toEqual({ sessionId: id, answered: [] });
  });

  test("errors are always answered, and the partition once more when the error is gone", () => {
    const { sessions } = cache();
    const id = openSession(sessions, [["a", 0, 5]]);
    const failing = () => result(5, 0, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(run(byName(sessions, request(id, 1, [])), failing).answered).toEqual(["a/0@5"]);
    expect(run(byName(sessions, request(id, 2, [])), failing).answered).toEqual(["a/0@5"]);
    expect(run(byName(sessions, request(id, 3, [])), quiet).answered).toEqual(["a/0@5"]);
    expect(run(byName(sessions, request(id, 4, [])), quiet).answered).toEqual([]);
  });

  test("sent partitions take their new position, new ones join (answered at once), forgotten ones leave", () => {
    const { sessions } = cache();
    const id = openSession(sessions, [["a", 0, 5], ["a", 1, 5]]);
    const plan = byName(sessions, request(id, 1, [["a", 0, 9], ["b", 4, 0]], [["a", 1]]));
    expect(plan.wanted.map((w) => `${w.topic}/${w.partition}@${w.fetchOffset}`)).toEqual(["a/0@9", "b/4@0"]);
    expect(run(plan, quiet).answered).toEqual(["b/4@0"]);
  });

  test("answered partitions move to the end, so the next read starts with the others (Kafka's round robin)", () => {
    const { sessions } = cache();
    const id = openSession(sessions, [["a", 0, 5], ["a", 1, 5], ["a", 2, 5]]);
    run(byName(sessions, request(id, 1, [])), (k) => (k === "a/0" ? result(5, 10) : quiet()));
    expect(byName(sessions, request(id, 2, [])).wanted.map((w) => w.partition)).toEqual([1, 2, 0]);
  });

  test("an unknown id is FETCH_SESSION_ID_NOT_FOUND, a wrong epoch INVALID_FETCH_SESSION_EPOCH (and does not advance it)", () => {
    const { sessions } = cache();
    const id = openSession(sessions, [["a", 0, 5]]);
    const unknown = byName(sessions, request(id + 1, 1, []));
    expect([unknown.errorCode, unknown.wanted.length, unknown.finish([]).sessionId]).toEqual([ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, 0]);
    expect(byName(sessions, request(0, 1, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(byName(sessions, request(id, 2, [])).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(byName(sessions, request(id, 1, [])).errorCode).toBe(ErrorCode.NONE);
    expect(byName(sessions, request(id, 1, [])).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(byName(sessions, request(id, 2, [])).errorCode).toBe(ErrorCode.NONE);
  });

  test("epoch -1 closes the session and fetches without one; epoch 0 with an id replaces it", () => {
    const { sessions } = cache();
    const first = openSession(sessions, [["a", 0, 5]]);
    const closing = run(byName(sessions, request(first, -1, [["a", 0, 5]])), quiet);
    expect(closing).toEqual({ sessionId: 0, answered: ["a/0@5"] });
    expect(sessions.has(first)).toBe(false);
    expect(byName(sessions, request(first, 1, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

    const second = openSession(sessions, [["a", 0, 5]]);
    const third = run(byName(sessions, request(second, 0, [["a", 0, 5]])), quiet).sessionId;
    expect([sessions.has(second), sessions.has(third), sessions.size]).toEqual([false, true, 1]);
  });

  test("an incremental fetch that forgets every partition closes the session", () => {
    const { sessions } = cache();
    const id = openSession(sessions, [["a", 0, 5]]);
    expect(run(byName(sessions, request(id, 1, [], [["a", 0]])), quiet)).toEqual({ sessionId: 0, answered: [] });
    expect(sessions.has(id)).toBe(false);
  });

  test("epochs count up from 1, and the one after 2^31-1 is 1 (0 would mean: open a session)", () => {
    expect([nextEpoch(0), nextEpoch(1), nextEpoch(0x7fffffff), nextEpoch(-1)]).toEqual([1, 2, 1, -1]);
  });

  test("a session may hold at most partitionsMax partitions: a bigger full fetch gets none, a growing one is closed", () => {
    const { sessions } = cache({ partitionsMax: 3 });
    expect(run(byName(sessions, request(0, 0, partsOf(4))), quiet).sessionId).toBe(0);
    const id = openSession(sessions, partsOf(3));
    expect(id).toBeGreaterThan(0);
    expect(byName(sessions, request(id, 1, [["b", 0, 0]])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(sessions.has(id)).toBe(false);
  });
});

describe("bounded cache, Kafka's eviction", () => {
  test("all sessions together hold at most partitionsCachedMax partitions; a closed session gives its share back", () => {
    const { sessions } = cache({ partitionsCachedMax: 10 });
    const a = openSession(sessions, partsOf(6));
    expect(openSession(sessions, partsOf(5))).toBe(0);
    const b = openSession(sessions, partsOf(4));
    expect(b).toBeGreaterThan(0);
    expect(byName(sessions, request(b, 1, [["c", 0, 0]])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND); // would make 11
    expect(byName(sessions, request(a, 1, [], [["t", 0]])).errorCode).toBe(ErrorCode.NONE); // 5 left in a
    expect(openSession(sessions, partsOf(5))).toBeGreaterThan(0);
    run(byName(sessions, request(a, -1, [])), quiet); // closed: its 5 are free again
    expect(openSession(sessions, partsOf(5))).toBeGreaterThan(0);
    expect(openSession(sessions, partsOf(1))).toBe(0);
  });

  test("with every slot taken by recent sessions, a new full fetch is answered without a session", () => {
    const { sessions } = cache({ slots: 2 });
    const a = openSession(sessions, partsOf(1));
    const b = openSession(sessions, partsOf(1));
    expect(openSession(sessions, partsOf(50))).toBe(0);
    expect([sessions.size, sessions.has(a), sessions.has(b)]).toEqual([2, true, true]);
  });

  test("a session unused for longer than the eviction time gives its slot to any new one", () => {
    const { sessions, clock } = cache({ slots: 2 });
    const stale = openSession(sessions, partsOf(100));
    clock.ms += 1000;
    const used = openSession(sessions, partsOf(100));
    clock.ms += EVICTION_MS;
    byName(sessions, request(used, 1, []));
    clock.ms += 1000; // `stale` was last used more than EVICTION_MS ago, `used` a second ago
    const fresh = openSession(sessions, partsOf(1));
    expect(fresh).toBeGreaterThan(0);
    expect([sessions.has(stale), sessions.has(used), sessions.has(fresh)]).toEqual([false, true, true]);
  });

  test("among sessions older than the eviction time, the smallest goes, and only for a bigger one", () => {
    const { sessions, clock } = cache({ slots: 3 });
    const small = openSession(sessions, partsOf(2));
    const medium = openSession(sessions, partsOf(5));
    const large = openSession(sessions, partsOf(9));
    clock.ms += EVICTION_MS + 1;
    let epoch = 1; // touch all three now: old, but none stale
    for (const id of [small, medium, large]) byName(sessions, request(id, epoch, []));
    epoch++;
    expect(openSession(sessions, partsOf(2))).toBe(0); // not bigger than the smallest
    const bigger = openSession(sessions, partsOf(3));
    expect(bigger).toBeGreaterThan(0);
    expect([sessions.has(small), sessions.has(medium), sessions.has(large)]).toEqual([false, true, true]);
    // The new session is young, so it is not evictable yet; the next smallest old one is.
    const next = openSession(sessions, partsOf(6));
    expect([sessions.has(medium), sessions.has(bigger), sessions.has(next)]).toEqual([false, true, true]);
  });

  test("young sessions are never evicted for an unprivileged one, but a follower's (privileged) may take their slot", () => {
    const { sessions } = cache({ slots: 1 });
    const consumer = openSession(sessions, partsOf(2));
    expect(openSession(sessions, partsOf(5))).toBe(0);
    const follower = openSession(sessions, partsOf(1), 0);
    expect(follower).toBeGreaterThan(0);
    expect(sessions.has(consumer)).toBe(false);
    // A follower's young session is safe even from another follower.
    expect(openSession(sessions, partsOf(9), 1)).toBe(0);
    expect(sessions.has(follower)).toBe(true);
  });

  test("the broker's 1,000 slots are split over its shards", () => {
    expect(FetchSessionCache.slotsPerShard(1)).toBe(1000);
    expect(FetchSessionCache.slotsPerShard(4)).toBe(250);
    const { sessions } = cache({ slots: FetchSessionCache.slotsPerShard(1) });
    const ids = new Set(Array.from({ length: 1000 }, () => openSession(sessions, partsOf(1))));
    expect([ids.size, ids.has(0), sessions.size]).toEqual([1000, false, 1000]);
    expect(openSession(sessions, partsOf(1))).toBe(0);
  });
});

describe("sessions by topic id (Fetch v13+)", () => {
  const A = "0b6e3c4f-1a2b-4c5d-8e9f-0a1b2c3d4e5f";
  const B = "7d2f9e81-3c4b-4a5d-9e6f-7a8b9c0d1e2f";
  /** A v13+ request: topics by id, names empty. */
  function byIds(sessionId: number, sessionEpoch: number, parts: Array<[topicId: string, partition: number, fetchOffset: number]>, forgotten: Array<[string, number]> = []): SessionFetchRequest {
    return {
      replicaId: -1, maxBytes: 1 << 24, sessionId, sessionEpoch,
      topics: parts.map(([topicId, partition, fetchOffset]) => ({ topic: "", topicId, partitions: [{ partition, fetchOffset, partitionMaxBytes: 1 << 20 }] })),
      forgottenTopicsData: forgotten.map(([topicId, p]) => ({ topic: "", topicId, partitions: [p] })),
    };
  }
  const runById = (plan: FetchPlan, answer: (key: string) => ReadResult) => {
    const { included } = plan.finish(plan.wanted.map((w) => answer(`${w.topicId}/${w.partition}`)));
    return plan.wanted.filter((_, i) => included[i]).map((w) => `${w.topicId === A ? "A" : "B"}/${w.partition}@${w.fetchOffset}`);
  };

  test("partitions are keyed by topic id: same partition number of two ids is two partitions; forgetting goes by id", () => {
    const { sessions } = cache();
    const full = sessions.plan(byIds(0, 0, [[A, 0, 5], [B, 0, 7]]), true);
    expect(full.wanted.map((w) => [w.topicId, w.topic, w.partition])).toEqual([[A, "", 0], [B, "", 0]]);
    const { sessionId } = full.finish([quiet(), quiet()]);
    expect(sessionId).toBeGreaterThan(0);
    const next = sessions.plan(byIds(sessionId, 1, [[A, 0, 9]], [[B, 0]]), true);
    expect(next.errorCode).toBe(ErrorCode.NONE);
    expect(runById(next, quiet)).toEqual([]);
    expect(sessions.plan(byIds(sessionId, 2, []), true).wanted.map((w) => [w.topicId, w.fetchOffset])).toEqual([[A, 9]]);
  });

  test("a session is used only by requests that name topics as it does: FETCH_SESSION_TOPIC_ID_ERROR otherwise", () => {
    const { sessions } = cache();
    const byIdSession = sessions.plan(byIds(0, 0, [[A, 0, 5]]), true).finish([quiet()]).sessionId;
    expect(byName(sessions, request(byIdSession, 1, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    expect(sessions.plan(byIds(byIdSession, 1, []), true).errorCode).toBe(ErrorCode.NONE);
    const byNameSession = openSession(sessions, [["a", 0, 5]]);
    expect(sessions.plan(byIds(byNameSession, 1, []), true).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  });
});

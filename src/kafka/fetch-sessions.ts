/**
 * Incremental fetch sessions (KIP-227, Fetch v7+), kept as Kafka's FetchSession.scala keeps them.
 * A fetch with session epoch 0 is a full fetch that opens a session; later fetches with its id
 * and the next epoch send only partitions whose fetch position changed (and the ones to forget),
 * and their response carries only partitions with something new: records, a high watermark or
 * log start offset other than last sent, or an error. Epoch -1 closes the session and fetches
 * without one.
 *
 * One cache per shard, used only on that shard's thread (no shared state). A session id ends in
 * its shard's number (`id % shardCount === shardId`), so ids are unique across shards; a
 * connection that lands on another shard gets FETCH_SESSION_ID_NOT_FOUND and starts over, as
 * a Kafka client does after a broker restart. The cache holds `slots` sessions and evicts as
 * Kafka's FetchSessionCache does; its scans are linear, bounded by `slots`, and run only when a
 * session is created.
 *
 * From Fetch v13 a request names topics by id: such a session keys its partitions by topic id
 * (unique to one topic's life, unlike its name), and its `wanted` items carry the id for the
 * fetch to resolve each time, so an id whose topic was deleted answers UNKNOWN_TOPIC_ID. A
 * session is used only by requests that name topics as it does (FETCH_SESSION_TOPIC_ID_ERROR
 * otherwise, as Kafka answers).
 */
import { assert } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { ReadItem, ReadResult } from "./ops.ts";

/** A partition a fetch wants: the topic by name (Fetch v0–12) or by id (v13+, `topic` then ""). */
export interface FetchItem extends ReadItem {
  topicId: string;
}

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** The fields of a decoded Fetch request that sessions use. */
export interface SessionFetchRequest {
  replicaId: number;
  maxBytes: number;
  sessionId: number;
  sessionEpoch: number;
  topics: Array<{ topic: string; topicId: string; partitions: Array<{ partition: number; fetchOffset: number; partitionMaxBytes: number }> }>;
  forgottenTopicsData: Array<{ topic: string; topicId: string; partitions: number[] }>;
}

/** What one fetch reads and how its response is cut: made before the read, finished after it. */
export interface FetchPlan {
  /** Top-level error (a bad session id or epoch): nothing is read, nothing is answered. */
  readonly errorCode: number;
  /** The partitions to read, in response order. */
  readonly wanted: FetchItem[];
  /** Given the read results (same order), which partitions the response carries and the session id it names. */
  finish(results: ReadResult[]): { sessionId: number; included: boolean[] };
}

/** A partition of a session: the client's fetch position and what the last response told it. */
interface CachedPartition {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

interface FetchSession {
  readonly id: number;
  readonly privileged: boolean;
  /** Opened by Fetch v13+: its partitions are keyed and read by topic id. */
  readonly usesTopicIds: boolean;
  readonly createdMs: number;
  /** Insertion order is response order; partitions that answered move to the end (Kafka's round robin). */
  readonly partitions: Map<string, CachedPartition>;
  epoch: number;
  lastUsedMs: number;
  /** Size and evictability as of the last touch: Kafka's keys into its evictable maps. */
  sizeAtTouch: number;
  evictableByPrivileged: boolean;
  evictableByAll: boolean;
}

export interface FetchSessionCacheOptions {
  shardId: number;
  shardCount: number;
  /** Sessions this cache holds: the shard's share of max.incremental.fetch.session.cache.slots. */
  slots: number;
  clock: Clock;
  evictionMs?: number;
  partitionsMax?: number;
  partitionsCachedMax?: number;
  /** Uniform in [0, 1): draws session ids. */
  random?: () => number;
}

/** A session partition's key: by topic id on sessions that use ids, else by name. */
const partitionKey = (usesTopicIds: boolean, t: { topic: string; topicId: string }, partition: number) =>
  `${partition}:${usesTopicIds ? t.topicId : t.topic}`;

/** Kafka's JFetchMetadata.nextEpoch: after Int32 max comes 1 (0 means "open a session"). */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly evictionMs: number;
  private readonly partitionsMax: number;
  private readonly partitionsCachedMax: number;
  /** Partitions over all sessions, as of each one's last touch (Kafka's numPartitions). */
  private partitionsCached = 0;
  private readonly random: () => number;

  constructor(private readonly options: FetchSessionCacheOptions) {
    assert(options.shardId >= 0 && options.shardId < options.shardCount, "fetch session cache of a shard outside the count");
    assert(options.slots >= 0, "negative fetch session slots");
    this.evictionMs = options.evictionMs ?? limits.fetchSessionEvictionMs;
    this.partitionsMax = options.partitionsMax ?? limits.fetchSessionPartitionsMax;
    this.partitionsCachedMax = options.partitionsCachedMax ?? limits.fetchSessionPartitionsCachedMax;
    this.random = options.random ?? Math.random;
  }

  /** The shard's share of the broker's session slots. */
  static slotsPerShard(shardCount: number): number {
    return Math.floor(limits.fetchSessionSlotsMax / shardCount);
  }

  get size(): number {
    return this.sessions.size;
  }

  has(sessionId: number): boolean {
    return this.sessions.has(sessionId);
  }

  /** Kafka's FetchManager.newContext: decides from the request's session id and epoch what this fetch is. */
  plan(request: SessionFetchRequest, usesTopicIds: boolean): FetchPlan {
    const { sessionId, sessionEpoch } = request;
    if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
      if (sessionId !== INVALID_SESSION_ID) this.remove(sessionId); // a full fetch closes the session it names
      return sessionEpoch === FINAL_EPOCH ? sessionless(request) : this.fullPlan(request, usesTopicIds);
    }
    const session = this.sessions.get(sessionId);
    if (!session) return errorPlan(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    if (session.epoch !== sessionEpoch) return errorPlan(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    if (session.usesTopicIds !== usesTopicIds) return errorPlan(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    updateSession(session, request);
    if (!this.fits(session.partitions.size, session.sizeAtTouch)) {
      this.remove(session.id);
      return errorPlan(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    }
    if (session.partitions.size === 0) {
      this.remove(session.id);
      return sessionless(request);
    }
    this.touch(session, this.options.clock.nowMs());
    session.epoch = nextEpoch(session.epoch);
    return incrementalPlan(session, request.maxBytes);
  }

  /** Epoch 0: every requested partition is read and answered; a session holding them opens if the cache has room. */
  private fullPlan(request: SessionFetchRequest, usesTopicIds: boolean): FetchPlan {
    const partitions = new Map<string, CachedPartition>();
    for (const t of request.topics) {
      for (const p of t.partitions) partitions.set(partitionKey(usesTopicIds, t, p.partition), cachedPartition(t, p));
    }
    const cached = [...partitions.values()];
    return {
      errorCode: ErrorCode.NONE,
      wanted: cached.map((c) => fetchItem(c, request.maxBytes)),
      finish: (results) => {
        cached.forEach((c, i) => noteAnswered(c, results[i]));
        const sessionId = this.fits(partitions.size, 0) ? this.maybeCreate(request.replicaId >= 0, usesTopicIds, partitions) : INVALID_SESSION_ID;
        return { sessionId, included: cached.map(() => true) };
      },
    };
  }

  /** Kafka's maybeCreateSession: a new session if there is a free slot or one may be evicted for it. */
  private maybeCreate(privileged: boolean, usesTopicIds: boolean, partitions: Map<string, CachedPartition>): number {
    const nowMs = this.options.clock.nowMs();
    if (this.sessions.size >= this.options.slots && !this.tryEvict(privileged, partitions.size, nowMs)) return INVALID_SESSION_ID;
    const session: FetchSession = {
      id: this.newSessionId(), privileged, usesTopicIds, createdMs: nowMs, partitions, epoch: nextEpoch(INITIAL_EPOCH),
      lastUsedMs: nowMs, sizeAtTouch: -1, evictableByPrivileged: false, evictableByAll: false,
    };
    this.sessions.set(session.id, session);
    this.touch(session, nowMs);
    return session.id;
  }

  /**
   * Kafka's tryEvict: first a session unused for evictionMs; else the least valuable evictable
   * one (unprivileged before privileged, then fewer partitions, then lower id), but only when
   * the new session is worth at least as much.
   */
  private tryEvict(privileged: boolean, size: number, nowMs: number): boolean {
    let stalest: FetchSession | undefined;
    for (const s of this.sessions.values()) if (!stalest || s.lastUsedMs < stalest.lastUsedMs || (s.lastUsedMs === stalest.lastUsedMs && s.id < stalest.id)) stalest = s;
    if (!stalest) return false;
    if (nowMs - stalest.lastUsedMs > this.evictionMs) {
      this.remove(stalest.id);
      return true;
    }
    let cheapest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (!(privileged ? s.evictableByPrivileged : s.evictableByAll)) continue;
      if (!cheapest || compareEvictable(s, cheapest) < 0) cheapest = s;
    }
    if (!cheapest || compareEvictable({ privileged, sizeAtTouch: size, id: 0 }, cheapest) < 0) return false;
    this.remove(cheapest.id);
    return true;
  }

  /** Whether a session of `size` partitions, replacing one of `sizeBefore`, stays within the memory bounds. */
  private fits(size: number, sizeBefore: number): boolean {
    return size <= this.partitionsMax && this.partitionsCached - sizeBefore + size <= this.partitionsCachedMax;
  }

  /** Kafka's touch: the session was used now; its size and evictability are taken afresh. */
  private touch(session: FetchSession, nowMs: number): void {
    const old = nowMs - session.createdMs > this.evictionMs;
    session.lastUsedMs = nowMs;
    this.partitionsCached += session.partitions.size - Math.max(session.sizeAtTouch, 0);
    session.sizeAtTouch = session.partitions.size;
    session.evictableByPrivileged = !session.privileged || old;
    session.evictableByAll = old;
  }

  private remove(sessionId: number): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    this.partitionsCached -= session.sizeAtTouch;
    assert(this.partitionsCached >= 0, "fetch session partition count below zero");
  }

  /** A random unused id ending in this shard's number; never 0. */
  private newSessionId(): number {
    const { shardId, shardCount } = this.options;
    const multipliersMax = Math.floor((0x7fffffff - shardId) / shardCount);
    for (;;) {
      const id = (1 + Math.floor(this.random() * multipliersMax)) * shardCount + shardId;
      if (id <= 0x7fffffff && !this.sessions.has(id)) return id;
    }
  }
}

function compareEvictable(a: { privileged: boolean; sizeAtTouch: number; id: number }, b: { privileged: boolean; sizeAtTouch: number; id: number }): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1;
  return a.sizeAtTouch - b.sizeAtTouch || a.id - b.id;
}

function cachedPartition(t: { topic: string; topicId: string }, p: { partition: number; fetchOffset: number; partitionMaxBytes: number }): CachedPartition {
  return { topic: t.topic, topicId: t.topicId, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 };
}

function fetchItem(c: CachedPartition, responseBytesMax: number): FetchItem {
  const maxBytes = Math.max(0, Math.min(c.partitionMaxBytes, responseBytesMax));
  return { topic: c.topic, topicId: c.topicId, partition: c.partition, fetchOffset: c.fetchOffset, maxBytes };
}

/** Kafka's FetchSession.update: requested partitions are added or take their new position; forgotten ones leave. */
function updateSession(session: FetchSession, request: SessionFetchRequest): void {
  const byIds = session.usesTopicIds;
  for (const t of request.topics) {
    for (const p of t.partitions) {
      const k = partitionKey(byIds, t, p.partition);
      const cached = session.partitions.get(k);
      if (cached) {
        cached.fetchOffset = p.fetchOffset;
        cached.partitionMaxBytes = p.partitionMaxBytes;
      } else {
        session.partitions.set(k, cachedPartition(t, p));
      }
    }
  }
  for (const t of request.forgottenTopicsData) for (const partition of t.partitions) session.partitions.delete(partitionKey(byIds, t, partition));
}

/** Every session partition is read; the response carries those with news, which then move to the end. */
function incrementalPlan(session: FetchSession, responseBytesMax: number): FetchPlan {
  const cached = [...session.partitions.values()];
  return {
    errorCode: ErrorCode.NONE,
    wanted: cached.map((c) => fetchItem(c, responseBytesMax)),
    finish: (results) => {
      const included = cached.map((c, i) => noteAnswered(c, results[i]));
      cached.forEach((c, i) => {
        if (!included[i]) return;
        const k = partitionKey(session.usesTopicIds, c, c.partition);
        if (session.partitions.get(k) !== c) return; // forgotten meanwhile by a pipelined fetch
        session.partitions.delete(k);
        session.partitions.set(k, c);
      });
      return { sessionId: session.id, included };
    },
  };
}

/**
 * Kafka's CachedPartition.maybeUpdateResponseData: whether the client must hear of this partition
 * (records, a changed high watermark, last stable offset or log start offset, an error, a preferred read replica), remembering what it hears.
 * An error forgets the high watermark, so the partition is sent again once the error is gone.
 */
function noteAnswered(c: CachedPartition, result: ReadResult): boolean {
  let mustRespond = result.records.length > 0;
  if (c.highWatermark !== result.highWatermark) {
    mustRespond = true;
    c.highWatermark = result.highWatermark;
  }
  if (c.lastStableOffset !== result.lastStableOffset) {
    mustRespond = true;
    c.lastStableOffset = result.lastStableOffset;
  }
  if (c.logStartOffset !== result.logStartOffset) {
    mustRespond = true;
    c.logStartOffset = result.logStartOffset;
  }
  if (result.errorCode !== ErrorCode.NONE) {
    mustRespond = true;
    c.highWatermark = -1;
  }
  if ((result.preferredReadReplica ?? -1) >= 0) mustRespond = true; // the client must hear where to fetch from
  return mustRespond;
}

/** No session (epoch -1, Fetch below v7): the request as it came, every partition answered. */
function sessionless(request: SessionFetchRequest): FetchPlan {
  const wanted = request.topics.flatMap((t) => t.partitions.map((p) => fetchItem(cachedPartition(t, p), request.maxBytes)));
  return { errorCode: ErrorCode.NONE, wanted, finish: () => ({ sessionId: INVALID_SESSION_ID, included: wanted.map(() => true) }) };
}

function errorPlan(errorCode: number): FetchPlan {
  return { errorCode, wanted: [], finish: () => ({ sessionId: INVALID_SESSION_ID, included: [] }) };
}

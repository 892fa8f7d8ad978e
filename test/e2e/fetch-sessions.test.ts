/**
 * Incremental fetch sessions (KIP-227) over the raw protocol against the compiled broker
 * (--smp 2, so a session's partitions live on both shards): a full fetch of 1,000 partitions
 * opens a session; after one partition changes, the incremental fetch answers exactly that one.
 * Bad ids and epochs get Kafka's error codes; epoch -1 closes the session.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import type { FetchResponse } from "../../src/protocol/messages/index.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { decodeBatches } from "../helpers/records.ts";
import { ApiKey, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(90_000);

const TOPIC = "many";
const PARTITIONS = 1000;
const CHANGED = 417;

interface SessionFetch {
  sessionId: number;
  sessionEpoch: number;
  partitions: Array<{ partition: number; offset: number }>;
  forgotten?: number[];
  maxWaitMs?: number;
  version?: number;
}

function sessionFetch(client: WireClient, f: SessionFetch): Promise<FetchResponse> {
  return client.request<FetchResponse>(ApiKey.Fetch, f.version ?? 12, {
    replicaId: -1, maxWaitMs: f.maxWaitMs ?? 0, minBytes: 1, maxBytes: 32 << 20, isolationLevel: 0, rackId: "",
    sessionId: f.sessionId, sessionEpoch: f.sessionEpoch,
    topics: f.partitions.length === 0 ? [] : [{ topic: TOPIC, partitions: f.partitions.map((p) => ({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })) }],
    forgottenTopicsData: f.forgotten ? [{ topic: TOPIC, partitions: f.forgotten }] : [],
  });
}

const answered = (response: FetchResponse) => response.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
const all = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: 0 }));

describe("incremental fetch sessions (--smp 2)", () => {
  let broker: Broker;
  let client: WireClient;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
    await createTopic(kafkaClient(broker), TOPIC, PARTITIONS);
    client = await WireClient.connect(broker.kafkaPort);
  });

  afterAll(async () => {
    client?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  test("over 1,000 partitions where one changes, the incremental fetch answers exactly that one", async () => {
    const full = await sessionFetch(client, { sessionId: 0, sessionEpoch: 0, partitions: all });
    expect(full.errorCode).toBe(ErrorCode.NONE);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(answered(full)).toHaveLength(PARTITIONS);
    for (const p of answered(full)) expect([p.errorCode, p.highWatermark, p.records?.length]).toEqual([ErrorCode.NONE, 0, 0]);

    // Nothing changed: an incremental fetch answers no partition.
    const idle = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 1, partitions: [] });
    expect([idle.errorCode, idle.sessionId, answered(idle).length]).toEqual([ErrorCode.NONE, full.sessionId, 0]);

    const produced = await produce(client, TOPIC, [{ partition: CHANGED, records: buildBatch({ records: [{ value: new TextEncoder().encode("news") }] }) }]);
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    const incremental = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 2, partitions: [], maxWaitMs: 5000 });
    expect(incremental.sessionId).toBe(full.sessionId);
    const [only, ...rest] = answered(incremental);
    expect(rest).toEqual([]);
    expect([only.topic, only.partitionIndex, only.highWatermark]).toEqual([TOPIC, CHANGED, 1]);
    expect(decodeBatches(only.records).map((r) => r.value)).toEqual(["news"]);

    // The client moves its position past the record: that alone is no news.
    const moved = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 3, partitions: [{ partition: CHANGED, offset: 1 }] });
    expect(answered(moved)).toEqual([]);

    // Forgetting all but two leaves a session of two, which a full response of a new session would show.
    const forgotten = all.map((p) => p.partition).filter((p) => p !== 1 && p !== CHANGED);
    const kept = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 4, partitions: [], forgotten });
    expect(kept.errorCode).toBe(ErrorCode.NONE);
    await produce(client, TOPIC, [{ partition: 2, records: buildBatch({ records: [{ value: new Uint8Array([1]) }] }) }]);
    await produce(client, TOPIC, [{ partition: 1, records: buildBatch({ records: [{ value: new Uint8Array([1]) }] }) }]);
    const afterForget = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 5, partitions: [], maxWaitMs: 5000 });
    expect(answered(afterForget).map((p) => p.partitionIndex)).toEqual([1]);
  });

  test("an incremental fetch with nothing new sleeps, and a produce to one of its partitions wakes it with just that one", async () => {
    const full = await sessionFetch(client, { sessionId: 0, sessionEpoch: 0, partitions: all.slice(500, 600).map((p) => ({ ...p, offset: 0 })) });
    expect(full.sessionId).toBeGreaterThan(0);
    const startedMs = performance.now();
    const waiting = sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 1, partitions: [], maxWaitMs: 20_000 });
    const other = await WireClient.connect(broker.kafkaPort);
    await produce(other, TOPIC, [{ partition: 555, records: buildBatch({ records: [{ value: new TextEncoder().encode("wake") }] }) }]);
    other.close();
    const woken = await waiting;
    expect(performance.now() - startedMs).toBeLessThan(10_000);
    expect(answered(woken).map((p) => [p.partitionIndex, p.highWatermark])).toEqual([[555, 1]]);
  });

  test("an unknown session id is FETCH_SESSION_ID_NOT_FOUND (70), a wrong epoch INVALID_FETCH_SESSION_EPOCH (71)", async () => {
    const full = await sessionFetch(client, { sessionId: 0, sessionEpoch: 0, partitions: all.slice(0, 10) });
    expect(full.sessionId).toBeGreaterThan(0);
    const unknown = await sessionFetch(client, { sessionId: full.sessionId + 2, sessionEpoch: 1, partitions: [] });
    expect([unknown.errorCode, unknown.sessionId, unknown.responses]).toEqual([ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, []]);
    const skipped = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 2, partitions: [] });
    expect([skipped.errorCode, skipped.sessionId, skipped.responses]).toEqual([ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0, []]);
    const right = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 1, partitions: [] });
    expect(right.errorCode).toBe(ErrorCode.NONE);
    const replayed = await sessionFetch(client, { sessionId: full.sessionId, sessionEpoch: 1, partitions: [] });
    expect(replayed.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  });

  test("epoch -1 closes the session and answers in full without one; Fetch v7 and v11 hold sessions too", async () => {
    for (const version of [7, 11]) {
      const full = await sessionFetch(client, { version, sessionId: 0, sessionEpoch: 0, partitions: all.slice(0, 3) });
      expect(full.sessionId).toBeGreaterThan(0);
      const closed = await sessionFetch(client, { version, sessionId: full.sessionId, sessionEpoch: -1, partitions: all.slice(0, 3) });
      expect([closed.errorCode, closed.sessionId, answered(closed).length]).toEqual([ErrorCode.NONE, 0, 3]);
      const gone = await sessionFetch(client, { version, sessionId: full.sessionId, sessionEpoch: 1, partitions: [] });
      expect(gone.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    }
  });

  test("sessions opened from several connections (either shard) each work, with distinct non-zero ids", async () => {
    const ids = new Set<number>();
    const clients = await Promise.all(Array.from({ length: 6 }, () => WireClient.connect(broker.kafkaPort)));
    for (const c of clients) {
      const full = await sessionFetch(c, { sessionId: 0, sessionEpoch: 0, partitions: all.slice(0, 2) });
      ids.add(full.sessionId);
      const next = await sessionFetch(c, { sessionId: full.sessionId, sessionEpoch: 1, partitions: [] });
      expect(next.errorCode).toBe(ErrorCode.NONE);
      c.close();
    }
    expect(ids.size).toBe(6);
    expect(ids.has(0)).toBe(false);
  });
});

/**
 * Fetch v13–17 name topics by id (KIP-516), in raw frames against the compiled broker (--smp 2,
 * so a topic's partitions live on both shards): records come back by topic id, an id no topic
 * has answers UNKNOWN_TOPIC_ID per partition, an incremental session on v13 answers only what
 * changed (by id), refuses requests that name topics by name, and answers UNKNOWN_TOPIC_ID once
 * its topic is deleted, also after the name is taken by a new topic (a new id). Metadata v12
 * looks topics up by id.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { ErrorCode } from "../../src/protocol/errors.ts";
import type { FetchResponse, MetadataResponse } from "../../src/protocol/messages/index.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { decodeBatches } from "../helpers/records.ts";
import { ApiKey, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const TOPIC = "by-id";
const DELETE_TOPICS_KEY = 20;

interface IdFetch {
  version: number;
  sessionId?: number;
  sessionEpoch?: number;
  topics: Array<{ topicId: string; partitions: Array<{ partition: number; offset: number }> }>;
  forgotten?: Array<{ topicId: string; partitions: number[] }>;
  maxWaitMs?: number;
}

function fetchById(client: WireClient, f: IdFetch): Promise<FetchResponse> {
  return client.request<FetchResponse>(ApiKey.Fetch, f.version, {
    replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: f.maxWaitMs ?? 0, minBytes: 1, maxBytes: 32 << 20, isolationLevel: 0, rackId: "",
    sessionId: f.sessionId ?? 0, sessionEpoch: f.sessionEpoch ?? -1,
    topics: f.topics.map((t) => ({
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({
        partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1,
        replicaDirectoryId: f.version >= 17 ? randomUUID() : undefined, // a follower's field: a consumer's broker ignores it
      })),
    })),
    forgottenTopicsData: f.forgotten ?? [],
  });
}

const answered = (response: FetchResponse) =>
  response.responses.flatMap((t) => t.partitions.map((p) => ({ topicId: t.topicId, partition: p.partitionIndex, errorCode: p.errorCode, highWatermark: p.highWatermark, values: decodeBatches(p.records).map((r) => r.value) })));

const batchOf = (...values: string[]) => buildBatch({ records: values.map((v) => ({ value: new TextEncoder().encode(v) })) });

describe("topic ids: Fetch v13–17 and Metadata v12 (raw frames, --smp 2)", () => {
  let broker: Broker;
  let client: WireClient;
  let topicId: string;

  const idOf = async (name: string) => {
    const r = await client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name, topicId: "00000000-0000-0000-0000-000000000000" }], allowAutoTopicCreation: false });
    expect(r.topics[0].errorCode).toBe(ErrorCode.NONE);
    return r.topics[0].topicId;
  };
  const create = async (name: string) => {
    const created = await client.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
  };

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
    client = await WireClient.connect(broker.kafkaPort);
    await create(TOPIC);
    topicId = await idOf(TOPIC);
    for (const partition of [0, 1]) {
      const r = await produce(client, TOPIC, [{ partition, records: batchOf(`p${partition}-a`, `p${partition}-b`) }]);
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    }
  });

  afterAll(async () => {
    client?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  test("ApiVersions advertises Fetch 0–17", async () => {
    const r = await client.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" });
    expect(r.apiKeys.find((k: any) => k.apiKey === ApiKey.Fetch)).toMatchObject({ minVersion: 0, maxVersion: 17 });
  });

  for (const version of [13, 15, 17]) {
    test(`v${version}: records come back by topic id; an unknown id is UNKNOWN_TOPIC_ID per partition`, async () => {
      const unknownId = randomUUID();
      const response = await fetchById(client, {
        version,
        topics: [
          { topicId, partitions: [{ partition: 0, offset: 0 }, { partition: 1, offset: 1 }] },
          { topicId: unknownId, partitions: [{ partition: 0, offset: 0 }, { partition: 3, offset: 0 }] },
        ],
      });
      expect(response.errorCode).toBe(ErrorCode.NONE);
      expect(answered(response)).toEqual([
        { topicId, partition: 0, errorCode: ErrorCode.NONE, highWatermark: 2, values: ["p0-a", "p0-b"] },
        { topicId, partition: 1, errorCode: ErrorCode.NONE, highWatermark: 2, values: ["p1-a", "p1-b"] }, // the batch holds offset 1
        { topicId: unknownId, partition: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, values: [] },
        { topicId: unknownId, partition: 3, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, values: [] },
      ]);
      for (const t of response.responses) for (const p of t.partitions) expect(p.records).toBeInstanceOf(Uint8Array);
      expect(response.nodeEndpoints).toEqual([]); // no partition answered NOT_LEADER_OR_FOLLOWER
    });
  }

  test("Metadata v12 by topic id: the topic with its name and partitions; an unknown id is UNKNOWN_TOPIC_ID with no name", async () => {
    const unknownId = randomUUID();
    const r = await client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: null, topicId }, { name: null, topicId: unknownId }], allowAutoTopicCreation: true });
    expect(r.topics.map((t) => [t.errorCode, t.name, t.topicId, t.partitions.length])).toEqual([
      [ErrorCode.NONE, TOPIC, topicId, 2],
      [ErrorCode.UNKNOWN_TOPIC_ID, null, unknownId, 0],
    ]);
  });

  test("v13 incremental session by id: only news, forgetting by id, by-name requests refused, a deleted topic's id unknown", async () => {
    const full = await fetchById(client, { version: 13, sessionEpoch: 0, topics: [{ topicId, partitions: [{ partition: 0, offset: 2 }, { partition: 1, offset: 2 }] }] });
    expect(full.sessionId).toBeGreaterThan(0);
    expect(answered(full).map((p) => [p.topicId, p.partition, p.highWatermark])).toEqual([[topicId, 0, 2], [topicId, 1, 2]]);
    const session = { version: 13, sessionId: full.sessionId };

    const idle = await fetchById(client, { ...session, sessionEpoch: 1, topics: [] });
    expect([idle.errorCode, idle.sessionId, answered(idle)]).toEqual([ErrorCode.NONE, full.sessionId, []]);

    await produce(client, TOPIC, [{ partition: 1, records: batchOf("news") }]);
    const news = await fetchById(client, { ...session, sessionEpoch: 2, topics: [], maxWaitMs: 5000 });
    expect(answered(news)).toEqual([{ topicId, partition: 1, errorCode: ErrorCode.NONE, highWatermark: 3, values: ["news"] }]);

    // The session names topics by id: a v12 request (by name) on it is FETCH_SESSION_TOPIC_ID_ERROR, and the epoch stays.
    const byName = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: full.sessionId, sessionEpoch: 3, topics: [], forgottenTopicsData: [], rackId: "",
    });
    expect(byName.errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);

    const forget = await fetchById(client, { ...session, sessionEpoch: 3, topics: [{ topicId, partitions: [{ partition: 1, offset: 3 }] }], forgotten: [{ topicId, partitions: [0] }] });
    expect([forget.errorCode, answered(forget)]).toEqual([ErrorCode.NONE, []]);

    const deleted = await client.request(DELETE_TOPICS_KEY, 6, { topics: [{ name: TOPIC, topicId: "00000000-0000-0000-0000-000000000000" }], timeoutMs: 10_000 });
    expect(deleted.responses[0].errorCode).toBe(ErrorCode.NONE);
    await create(TOPIC); // the name again, a new topic: its id differs, the session's id stays unknown
    expect(await idOf(TOPIC)).not.toBe(topicId);
    const gone = await fetchById(client, { ...session, sessionEpoch: 4, topics: [] });
    expect(gone.errorCode).toBe(ErrorCode.NONE);
    expect(answered(gone)).toEqual([{ topicId, partition: 1, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, values: [] }]);
  });
});

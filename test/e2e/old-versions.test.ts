/**
 * The oldest request versions Kafka 3.9 accepts, in raw frames against the compiled broker
 * (--smp 2): ApiVersions advertises every API from its oldest version; Produce v0–2 with message
 * formats v0/v1 (CRC-32 checked, stored as v2) and their per-version answers; Fetch v0–3 answering
 * magic 0/1 and v4 the stored v2 batch; ListOffsets v0's offset lists; Metadata v0's "empty means
 * all"; OffsetCommit v0 / OffsetFetch v0; JoinGroup v0 (no rebalance timeout) through LeaveGroup v0;
 * OffsetForLeaderEpoch v0, CreateTopics v0–1, DeleteTopics v0, DescribeLogDirs v0, DescribeConfigs v0.
 * The newest versions are there too (Produce v11, ListOffsets v10, FindCoordinator v6, ApiVersions v4).
 * Message sets are written and read with kafkajs's own legacy encoder and decoder, and by
 * librdkafka (kcat without ApiVersions, broker.version.fallback 0.8.2 / 0.10.0, compressed).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createRequire } from "node:module";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { apis } from "../../src/protocol/messages/index.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { kcat } from "../helpers/kcat.ts";
import { decodeBatches } from "../helpers/records.ts";
import { WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const require = createRequire(import.meta.url);
const MessageSet = require("kafkajs/src/protocol/messageSet/index.js");
const decodeMessageSet = require("kafkajs/src/protocol/messageSet/decoder.js");
const Decoder = require("kafkajs/src/protocol/decoder.js");

const TOPIC = "legacy";
const entries = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.from(`v${from + i}`), timestamp: 1_700_000_000_000 + from + i }));
const messageSet = (magic: 0 | 1, from: number, count: number) =>
  new Uint8Array(MessageSet({ messageVersion: magic, compression: 0, entries: entries(from, count) }).buffer);

async function messagesOf(bytes: Uint8Array) {
  const messages = await decodeMessageSet(new Decoder(Buffer.from(bytes)), bytes.length);
  return messages.map((m: any) => ({ offset: Number(m.offset), magic: m.magicByte, key: m.key.toString(), value: m.value.toString(), timestamp: m.timestamp === undefined ? -1 : Number(m.timestamp) }));
}

/** What a Kafka 3.9 broker accepts of each API skua serves (its ApiVersions answer, unstable versions off). */
const KAFKA_3_9_VERSIONS: Record<number, string> = {
  0: "0-11", 1: "0-17", 2: "0-10", 3: "0-12", 8: "0-9", 9: "0-9", 10: "0-6", 11: "0-9", 12: "0-4", 13: "0-5", 14: "0-5",
  15: "0-5", 16: "0-5", 17: "0-1", 18: "0-4", 19: "0-7", 20: "0-6", 21: "0-2", 22: "0-5", 23: "0-4", 24: "0-5", 25: "0-4", 26: "0-4", 27: "0-1", 28: "0-4", 32: "0-4", 33: "0-2", 35: "0-4",
  29: "0-3", 30: "0-3", 31: "0-3", 36: "0-2", 37: "0-3", 42: "0-2", 43: "0-2", 44: "0-1", 45: "0-0", 46: "0-0", 47: "0-0", 48: "0-1", 49: "0-1", 50: "0-0", 51: "0-0", 60: "0-1", 61: "0-0", 65: "0-0", 66: "0-1", 75: "0-0",
};

describe("request versions Kafka 3.9 accepts, oldest first (raw frames, --smp 2)", () => {
  let broker: Broker;
  let client: WireClient;

  const produce = (version: number, records: Uint8Array, topic = TOPIC) =>
    client.request(0, version, { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const fetch = (version: number, fetchOffset: number, partitionMaxBytes = 1 << 20) =>
    client.request(1, version, { replicaId: -1, maxWaitMs: 0, minBytes: 0, topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes }] }] });
  const latest = async () => {
    const r = await client.request(2, 0, { replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1, maxNumOffsets: 1 }] }] });
    return r.topics[0].partitions[0].oldStyleOffsets[0];
  };

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
    client = await WireClient.connect(broker.kafkaPort);
    const created = await client.request(19, 0, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 });
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
  });

  afterAll(async () => {
    client?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  test("ApiVersions lists every API with the versions Kafka 3.9 accepts", async () => {
    const r = await client.request(18, 4, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    for (const key of r.apiKeys) {
      const [min, max] = apis[key.apiKey]!.request.valid;
      expect([key.apiKey, key.minVersion, key.maxVersion]).toEqual([key.apiKey, min, max]);
    }
    expect(Object.fromEntries(r.apiKeys.map((k: any) => [k.apiKey, `${k.minVersion}-${k.maxVersion}`]))).toEqual(KAFKA_3_9_VERSIONS);
    for (const key of [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 19, 20, 23, 32, 33, 35]) expect(r.apiKeys.some((k: any) => k.apiKey === key && k.minVersion === 0)).toBe(true);
  });

  test("Produce v0, v1 and v2 with message formats v0 and v1: offsets assigned, v1 throttle time, v2 log append time", async () => {
    const v0 = await produce(0, messageSet(0, 0, 3));
    expect(v0.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    const v1 = await produce(1, messageSet(1, 3, 2));
    expect(v1.throttleTimeMs).toBe(0);
    expect(v1.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3 });
    const v2 = await produce(2, messageSet(1, 5, 2));
    expect(v2.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 5, logAppendTimeMs: -1 });
    expect(await latest()).toBe(7);
  });

  test("a message failing its CRC-32 is CORRUPT_MESSAGE and nothing of the request is written", async () => {
    const bad = messageSet(1, 100, 3);
    bad[bad.length - 1] ^= 0xff;
    const r = await produce(2, bad);
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(await latest()).toBe(7);
  });

  test("Produce v3+ may carry only v2 batches: a message set is INVALID_RECORD", async () => {
    const r = await client.request(0, 3, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: messageSet(1, 200, 1) }] }] });
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  test("Fetch v0 and v1 answer magic 0, v2 and v3 magic 1 (with timestamps), v4 the stored v2 batches", async () => {
    const expected = entries(0, 7).map((e, i) => ({ offset: i, key: e.key.toString(), value: e.value.toString(), timestamp: i < 3 ? -1 : e.timestamp }));
    for (const version of [0, 1, 2, 3]) {
      const r = await fetch(version, 0);
      const p = r.responses[0].partitions[0];
      expect(p.errorCode).toBe(ErrorCode.NONE);
      expect(p.highWatermark).toBe(7);
      const magic = version >= 2 ? 1 : 0;
      expect(await messagesOf(p.records)).toEqual(expected.map((m) => ({ ...m, magic, timestamp: magic === 0 ? -1 : m.timestamp })));
    }
    const v4 = await fetch(4, 0);
    const stored = decodeBatches(v4.responses[0].partitions[0].records);
    expect(stored.map((r) => [r.offset, r.key, r.value, r.timestamp])).toEqual(expected.map((m) => [m.offset, m.key, m.value, m.timestamp]));
  });

  test("a Fetch v2 from the middle of a batch starts at the fetch offset; a small max bytes still gets one whole message", async () => {
    const middle = await messagesOf((await fetch(2, 4)).responses[0].partitions[0].records);
    expect(middle.map((m: any) => m.offset)).toEqual([4, 5, 6]);
    const small = await messagesOf((await fetch(2, 0, 10)).responses[0].partitions[0].records);
    expect(small.map((m: any) => m.offset)).toEqual([0]);
  });

  test("the newest versions: Produce v11, ListOffsets v8–10 (earliest local -4, latest tiered -5), FindCoordinator v6", async () => {
    const batch = await client.request(0, 11, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: messageSet(1, 300, 1) }] }] });
    expect(batch.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD); // v11 like v3+: v2 batches only
    for (const version of [8, 9, 10]) {
      const r = await client.request(2, version, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -4 }, { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -5 }, { partitionIndex: 3, currentLeaderEpoch: -1, timestamp: -5 }] }] });
      expect(r.topics[0].partitions.map((p: any) => [p.errorCode, p.offset])).toEqual([[ErrorCode.NONE, 0], [ErrorCode.NONE, -1], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1]]);
    }
    const coordinators = await client.request(10, 6, { keyType: 0, coordinatorKeys: ["g1"] });
    expect(coordinators.coordinators[0]).toMatchObject({ key: "g1", errorCode: ErrorCode.NONE, port: broker.kafkaPort });
    const share = await client.request(10, 6, { keyType: 2, coordinatorKeys: ["s1"] });
    expect(share.coordinators[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  test("ListOffsets v0 answers lists: latest, earliest, and none when asked for none", async () => {
    const r = await client.request(2, 0, {
      replicaId: -1,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1, maxNumOffsets: 1 }, { partitionIndex: 0, timestamp: -2, maxNumOffsets: 1 }, { partitionIndex: 0, timestamp: -1, maxNumOffsets: 0 }, { partitionIndex: 9, timestamp: -1, maxNumOffsets: 1 }] }],
    });
    expect(r.topics[0].partitions.map((p: any) => [p.errorCode, p.oldStyleOffsets])).toEqual([
      [ErrorCode.NONE, [7]], [ErrorCode.NONE, [0]], [ErrorCode.NONE, []], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
    ]);
  });

  test("Metadata v0 with no topics lists them all; CreateTopics v1 validates only; DeleteTopics v0 deletes", async () => {
    const validated = await client.request(19, 1, { topics: [{ name: "only-validated", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true });
    expect(validated.topics[0]).toMatchObject({ name: "only-validated", errorCode: ErrorCode.NONE, errorMessage: null });
    expect((await client.request(19, 1, { topics: [{ name: "doomed", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 })).topics[0].errorCode).toBe(ErrorCode.NONE);
    const all = await client.request(3, 0, { topics: [] });
    expect(all.topics.map((t: any) => t.name).sort()).toEqual(["doomed", TOPIC]);
    const deleted = await client.request(20, 0, { topicNames: ["doomed"], timeoutMs: 10_000 });
    expect(deleted.responses).toEqual([expect.objectContaining({ name: "doomed", errorCode: ErrorCode.NONE })]);
    expect((await client.request(3, 0, { topics: [] })).topics.map((t: any) => t.name)).toEqual([TOPIC]);
  });

  test("OffsetCommit v0 (no generation: a group that only stores offsets) is read back by OffsetFetch v0 and v5", async () => {
    const committed = await client.request(8, 0, { groupId: "v0-group", topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: "m" }] }] });
    expect(committed.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    const v1 = await client.request(8, 1, { groupId: "v0-group", generationIdOrMemberEpoch: -1, memberId: "", topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 6, commitTimestamp: -1, committedMetadata: "n" }] }] });
    expect(v1.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    for (const version of [0, 5]) {
      const r = await client.request(9, version, { groupId: "v0-group", topics: [{ name: TOPIC, partitionIndexes: [0] }] });
      expect(r.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 6, metadata: "n", errorCode: ErrorCode.NONE });
    }
  });

  test("JoinGroup v0 (session timeout as rebalance timeout), SyncGroup v0, Heartbeat v0, LeaveGroup v0", async () => {
    const coordinator = await client.request(10, 0, { key: "join-v0" });
    expect(coordinator.errorCode).toBe(ErrorCode.NONE);
    const joined = await client.request(11, 0, { groupId: "join-v0", sessionTimeoutMs: 6000, memberId: "", protocolType: "consumer", protocols: [{ name: "range", metadata: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]) }] });
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    expect(joined.leader).toBe(joined.memberId);
    const synced = await client.request(14, 0, { groupId: "join-v0", generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: new Uint8Array([1, 2]) }] });
    expect(synced).toMatchObject({ errorCode: ErrorCode.NONE, assignment: new Uint8Array([1, 2]) });
    expect((await client.request(12, 0, { groupId: "join-v0", generationId: joined.generationId, memberId: joined.memberId })).errorCode).toBe(ErrorCode.NONE);
    expect((await client.request(13, 0, { groupId: "join-v0", memberId: joined.memberId })).errorCode).toBe(ErrorCode.NONE);
  });

  test("OffsetForLeaderEpoch v0 and v1, DescribeLogDirs v0, DescribeConfigs v0", async () => {
    for (const version of [0, 1]) {
      const r = await client.request(23, version, { topics: [{ topic: TOPIC, partitions: [{ partition: 0, leaderEpoch: 0 }] }] });
      expect(r.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, endOffset: 7, leaderEpoch: version === 0 ? -1 : 0 });
    }
    const dirs = await client.request(35, 0, { topics: [{ topic: TOPIC, partitions: [0] }] });
    expect(dirs.results[0].topics[0].partitions[0].partitionSize).toBeGreaterThan(0);
    const configs = await client.request(32, 0, { resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: ["retention.ms"] }] });
    expect(configs.results[0].configs).toEqual([expect.objectContaining({ name: "retention.ms", value: "604800000", isDefault: true })]);
  });

  // librdkafka without ApiVersions speaks what the fallback version had: Produce v0 / Fetch v0 with
  // message format v0 for 0.8.2 (lz4 there with KAFKA-3160's broken frame checksum), v2 / v2 with v1 for 0.10.0.
  for (const [fallback, codec] of [["0.8.2.2", "gzip"], ["0.8.2.2", "lz4"], ["0.10.0.0", "snappy"], ["0.10.0.0", "lz4"]] as const) {
    test(`kcat with broker.version.fallback=${fallback} and ${codec}: what it produces comes back`, async () => {
      const topic = `kcat-${fallback.replaceAll(".", "-")}-${codec}`;
      expect((await client.request(19, 0, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 })).topics[0].errorCode).toBe(ErrorCode.NONE);
      const legacy = ["-X", "api.version.request=false", "-X", `broker.version.fallback=${fallback}`];
      const lines = Array.from({ length: 200 }, (_, i) => `k${i}:value-${i}-${"x".repeat(i % 50)}`);
      await kcat(["-b", broker.brokers[0], "-P", "-t", topic, "-K:", "-z", codec, "-X", "acks=all", ...legacy], { stdin: lines.join("\n") + "\n" });
      const out = await kcat(["-b", broker.brokers[0], "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k:%s\t%T\n", ...legacy]);
      const consumed = out.trim().split("\n").map((line) => line.split("\t"));
      expect(consumed.map(([record]) => record)).toEqual(lines);
      for (const [, timestamp] of consumed) expect(Number(timestamp) > 0).toBe(fallback === "0.10.0.0"); // magic 0 has no timestamps
    });
  }
});

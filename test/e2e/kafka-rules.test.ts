/**
 * Where skua follows Kafka's rules to the letter, against dist/skua: topic names
 * (INVALID_TOPIC_EXCEPTION in Metadata, Produce and CreateTopics, and what kcat and kafkajs
 * producers then do), authorized operations (Metadata v8+, DescribeCluster, DescribeGroups),
 * DescribeTopicPartitions with its cursor paging, and log lines a client cannot forge.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { KCAT, kcatConsumeAll } from "../helpers/kcat.ts";
import { ApiKey, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const Api = { DescribeGroups: 15, DescribeCluster: 60, DescribeTopicPartitions: 75 } as const;
const NO_ID = "00000000-0000-0000-0000-000000000000";
const OMITTED = -2147483648;
const INVALID_NAMES = ["bad$#!", "", ".", "..", "x".repeat(250), "spaced name", "tab\tname", "ünïcode"];

const metadataV12 = (wire: WireClient, names: string[], allowAutoTopicCreation: boolean, includeTopicAuthorizedOperations = false) =>
  wire.request(ApiKey.Metadata, 12, { topics: names.map((name) => ({ name, topicId: NO_ID })), allowAutoTopicCreation, includeTopicAuthorizedOperations });

/** Runs a kcat producer to one topic and returns its exit code, stderr and how long it ran. */
async function kcatProduce(brokers: string[], topic: string, lines: string[]): Promise<{ code: number; stderr: string; elapsedMs: number }> {
  const startMs = performance.now();
  const proc = Bun.spawn([KCAT, "-b", brokers.join(","), "-P", "-t", topic], { stdin: new Blob([lines.join("\n") + "\n"]), stdout: "ignore", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stderr, elapsedMs: performance.now() - startMs };
}

describe("topic names follow Kafka's rules", () => {
  let creating: Broker; // auto_create_topics_enabled=true
  let plain: Broker; // the default: off

  beforeAll(async () => {
    [creating, plain] = await Promise.all([startBroker({ smp: 1, sets: { auto_create_topics_enabled: true } }), startBroker({ smp: 1 })]);
  });

  afterAll(async () => {
    await Promise.all([creating?.[Symbol.asyncDispose](), plain?.[Symbol.asyncDispose]()]);
  });

  test("Metadata answers INVALID_TOPIC_EXCEPTION for invalid names whether auto-create is on or off, v1 and v12", async () => {
    for (const broker of [creating, plain]) {
      await using wire = await WireClient.connect(broker.kafkaPort).then((w) => Object.assign(w, { [Symbol.asyncDispose]: async () => w.close() }));
      const answer = await metadataV12(wire, [...INVALID_NAMES, "fine.name_1-x"], true);
      expect(answer.topics.slice(0, INVALID_NAMES.length).map((t: any) => t.errorCode)).toEqual(INVALID_NAMES.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION));
      expect(answer.topics.at(-1).errorCode).toBe(broker === creating ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      // v1 (before allow_auto_topic_creation existed: creation implied)
      const v1 = await wire.request(ApiKey.Metadata, 1, { topics: [{ name: "bad$#!" }, { name: "x".repeat(250) }] });
      expect(v1.topics.map((t: any) => t.errorCode)).toEqual([ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_TOPIC_EXCEPTION]);
    }
    // 249 characters is still a valid name.
    await using wire = await WireClient.connect(creating.kafkaPort).then((w) => Object.assign(w, { [Symbol.asyncDispose]: async () => w.close() }));
    expect((await metadataV12(wire, ["y".repeat(249)], true)).topics[0].errorCode).toBe(ErrorCode.NONE);
  });

  test("Produce gives INVALID_TOPIC_EXCEPTION for an invalid name while the other topic in the same request is written", async () => {
    await createTopic(kafkaClient(plain), "flowing", 1);
    const wire = await WireClient.connect(plain.kafkaPort);
    try {
      const batch = () => buildBatch({ records: [{ value: "v" }] });
      const answer = await wire.request(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [
          { name: "bad$#!", partitionData: [{ index: 0, records: batch() }] },
          { name: "flowing", partitionData: [{ index: 0, records: batch() }] },
        ],
      });
      const [bad, good] = answer.responses.map((r: any) => r.partitionResponses[0]);
      expect(bad.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
      expect(bad.errorMessage).toContain("bad$#!");
      expect(good).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    } finally {
      wire.close();
    }
  });

  test("CreateTopics gives INVALID_TOPIC_EXCEPTION with a message saying what is wrong", async () => {
    const wire = await WireClient.connect(plain.kafkaPort);
    try {
      const answer = await wire.request(ApiKey.CreateTopics, 7, {
        topics: INVALID_NAMES.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(answer.topics.map((t: any) => t.errorCode)).toEqual(INVALID_NAMES.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION));
      expect(answer.topics[0].errorMessage).toContain("characters other than");
      expect(answer.topics[4].errorMessage).toContain("249");
    } finally {
      wire.close();
    }
  });

  test("kcat (librdkafka) sending to an invalid name gets its delivery errors at once; a producer to a valid topic meanwhile delivers everything", async () => {
    for (const broker of [creating, plain]) {
      const topic = broker === creating ? "kcat-auto" : "kcat-flowing";
      if (broker === plain) await createTopic(kafkaClient(plain), topic, 2);
      const lines = Array.from({ length: 200 }, (_, i) => `m${i}`);
      const [bad, good] = await Promise.all([kcatProduce(broker.brokers, "bad$#!", ["a", "b", "c"]), kcatProduce(broker.brokers, topic, lines)]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.match(/Delivery failed for message: Broker: Invalid topic/g)?.length).toBe(3);
      expect(bad.elapsedMs).toBeLessThan(1000);
      console.log(`kcat to an invalid topic name (auto-create ${broker === creating ? "on" : "off"}): delivery errors after ${bad.elapsedMs.toFixed(0)} ms`);
      expect([good.code, good.stderr]).toEqual([0, ""]);
      expect((await kcatConsumeAll(broker.brokers, topic)).map((l) => l.value).sort()).toEqual([...lines].sort());
    }
  });

  test("kafkajs: a send to an invalid name fails at once (INVALID_TOPIC_EXCEPTION); the same producer keeps sending to a valid topic", async () => {
    const kafka = kafkaClient(plain);
    await createTopic(kafka, "kafkajs-flowing", 1);
    await withProducer(kafka, async (producer) => {
      const startMs = performance.now();
      await expect(producer.send({ topic: "bad$#!", messages: [{ value: "x" }] })).rejects.toThrow("invalid topic");
      expect(performance.now() - startMs).toBeLessThan(1000);
      const sent = await producer.send({ topic: "kafkajs-flowing", messages: [{ value: "y" }] });
      expect(sent[0]).toMatchObject({ errorCode: 0, baseOffset: "0" });
    });
  });
});

describe("authorized operations, DescribeTopicPartitions and log lines", () => {
  let broker: Broker;
  let wire: WireClient;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
    wire = await WireClient.connect(broker.kafkaPort);
  });

  afterAll(async () => {
    wire?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  // Kafka's AclOperation codes, and what its authorizer allows a superuser on each resource type.
  const Op = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 };
  const bits = (codes: number[]) => codes.reduce((sum, code) => sum + 2 ** code, 0);
  const TOPIC_OPS = bits([Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS]);
  const CLUSTER_OPS = bits([Op.CREATE, Op.ALTER, Op.DESCRIBE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE]);
  const GROUP_OPS = bits([Op.READ, Op.DELETE, Op.DESCRIBE]);

  test("Metadata v8–12 lists every topic and cluster operation when asked, INT32_MIN when not", async () => {
    await createTopic(kafkaClient(broker), "authorized", 1);
    for (const version of [8, 10, 11, 12]) {
      const asked = await wire.request(ApiKey.Metadata, version, { topics: [{ name: "authorized", topicId: NO_ID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
      expect([version, asked.topics[0].topicAuthorizedOperations]).toEqual([version, TOPIC_OPS]);
      if (version <= 10) expect(asked.clusterAuthorizedOperations).toBe(CLUSTER_OPS);
      const notAsked = await wire.request(ApiKey.Metadata, version, { topics: [{ name: "authorized", topicId: NO_ID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      expect(notAsked.topics[0].topicAuthorizedOperations).toBe(OMITTED);
      if (version <= 10) expect(notAsked.clusterAuthorizedOperations).toBe(OMITTED);
    }
  });

  test("DescribeCluster v0–1 and DescribeGroups v3–5 list every cluster and group operation when asked", async () => {
    for (const version of [0, 1]) {
      expect((await wire.request(Api.DescribeCluster, version, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations).toBe(CLUSTER_OPS);
      expect((await wire.request(Api.DescribeCluster, version, { includeClusterAuthorizedOperations: false, endpointType: 1 })).clusterAuthorizedOperations).toBe(OMITTED);
    }
    for (const version of [3, 4, 5]) {
      const asked = await wire.request(Api.DescribeGroups, version, { groups: ["g-one", "g-two"], includeAuthorizedOperations: true });
      expect(asked.groups.map((g: any) => g.authorizedOperations)).toEqual([GROUP_OPS, GROUP_OPS]);
      const notAsked = await wire.request(Api.DescribeGroups, version, { groups: ["g-one"], includeAuthorizedOperations: false });
      expect(notAsked.groups[0].authorizedOperations).toBe(OMITTED);
    }
  });

  const describePartitions = (topics: string[], responsePartitionLimit: number, cursor: { topicName: string; partitionIndex: number } | null) =>
    wire.request(Api.DescribeTopicPartitions, 0, { topics: topics.map((name) => ({ name })), responsePartitionLimit, cursor });
  const shape = (answer: any) => answer.topics.map((t: any) => [t.name, t.errorCode, t.partitions.map((p: any) => p.partitionIndex)]);

  test("DescribeTopicPartitions v0 is advertised and pages by cursor across topics, in name order, with topic ids", async () => {
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "dtp-a", 3);
    await createTopic(kafka, "dtp-b", 1);
    await createTopic(kafka, "dtp-c", 4);
    const versions = await wire.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "e2e", clientSoftwareVersion: "1" });
    expect(versions.apiKeys.find((k: any) => k.apiKey === Api.DescribeTopicPartitions)).toMatchObject({ minVersion: 0, maxVersion: 0 });

    const asked = ["dtp-c", "dtp-missing", "dtp-a", "bad$#!", "dtp-b"];
    const first = await describePartitions(asked, 3, null);
    expect(shape(first)).toEqual([["bad$#!", ErrorCode.INVALID_TOPIC_EXCEPTION, []], ["dtp-a", 0, [0, 1, 2]]]);
    expect(first.nextCursor).toEqual({ topicName: "dtp-b", partitionIndex: 0 });
    const second = await describePartitions(asked, 3, first.nextCursor);
    expect(shape(second)).toEqual([["dtp-b", 0, [0]], ["dtp-c", 0, [0, 1]]]);
    expect(second.nextCursor).toEqual({ topicName: "dtp-c", partitionIndex: 2 });
    const third = await describePartitions(asked, 3, second.nextCursor);
    expect(shape(third)).toEqual([["dtp-c", 0, [2, 3]], ["dtp-missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]]);
    expect(third.nextCursor).toBeNull();

    const ids = await wire.request(ApiKey.Metadata, 12, { topics: ["dtp-a", "dtp-c"].map((name) => ({ name, topicId: NO_ID })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(first.topics[1].topicId).toBe(ids.topics[0].topicId);
    expect(third.topics[0].topicId).toBe(ids.topics[1].topicId);
    expect(first.topics[1]).toMatchObject({ isInternal: false, topicAuthorizedOperations: TOPIC_OPS });
    expect(first.topics[1].partitions[0]).toMatchObject({ errorCode: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], eligibleLeaderReplicas: null, lastKnownElr: null, offlineReplicas: [] });
  });

  test("DescribeTopicPartitions with no topics pages through every topic, each partition exactly once", async () => {
    const listed = await wire.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const expected = listed.topics.flatMap((t: any) => t.partitions.map((p: any) => `${t.name}/${p.partitionIndex}`)).sort();
    const seen: string[] = [];
    let cursor = null;
    for (let page = 0; page < 100; page++) {
      const answer: any = await describePartitions([], 2, cursor);
      const count = answer.topics.reduce((n: number, t: any) => n + t.partitions.length, 0);
      expect(count).toBeLessThanOrEqual(2);
      for (const t of answer.topics) for (const p of t.partitions) seen.push(`${t.name}/${p.partitionIndex}`);
      cursor = answer.nextCursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual([...expected].sort()); // in name order already, and nothing twice
    const bad = await describePartitions(["dtp-a"], 10, { topicName: "dtp-a", partitionIndex: -1 });
    expect(shape(bad)).toEqual([["dtp-a", ErrorCode.INVALID_REQUEST, []]]);
  });

  test("a client id with a newline cannot forge a log line", async () => {
    const forged = "app\n2026-01-01T00:00:00.000Z ERROR [main] forged by a client";
    // Metadata v99 is unsupported, which the broker logs with the client id, then closes the connection.
    // Header v2: the client id, then an empty tagged-field section.
    const clientId = new TextEncoder().encode(forged);
    const frame = new Uint8Array(4 + 10 + clientId.length + 1);
    const view = new DataView(frame.buffer);
    view.setInt32(0, frame.length - 4);
    view.setInt16(4, ApiKey.Metadata);
    view.setInt16(6, 99);
    view.setInt32(8, 1);
    view.setInt16(12, clientId.length);
    frame.set(clientId, 14);
    const raw = await WireClient.connect(broker.kafkaPort);
    raw.sendRaw(frame);
    await raw.closed;
    const line = await pollUntil("the unsupported-request log line", async () => broker.stderr().split("\n").find((l) => l.includes("unsupported request")));
    expect(line).toContain(String.raw`clientId="app\n2026-01-01T00:00:00.000Z ERROR [main] forged by a client"`);
    expect(broker.stderr()).not.toMatch(/^\S+ ERROR \[main\] forged/m);
  });
});

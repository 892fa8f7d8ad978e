/**
 * The admin Kafka APIs against dist/skua (--smp 2), with kafkajs's admin client where it has
 * the call and the raw protocol where it does not: DeleteTopics, CreatePartitions,
 * DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, DescribeCluster,
 * OffsetForLeaderEpoch, DescribeLogDirs, and their error codes.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigResourceTypes } from "kafkajs";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withAdmin, withProducer } from "../helpers/kafka.ts";
import { fetchAll, metadata, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const Api = { DeleteTopics: 20, OffsetForLeaderEpoch: 23, DescribeConfigs: 32, AlterConfigs: 33, DescribeLogDirs: 35, CreatePartitions: 37, IncrementalAlterConfigs: 44, DescribeCluster: 60 } as const;
const TOPIC = 2;
const BROKER = 4;

describe("admin Kafka APIs (--smp 2)", () => {
  let broker: Broker;
  let wire: WireClient;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { log_retention_ms: 3_600_000 } });
    wire = await WireClient.connect(broker.kafkaPort);
  });

  afterAll(async () => {
    wire?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  test("DeleteTopics (kafkajs): the topic is gone from metadata and from disk; unknown topics get UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "doomed", 3);
    await withProducer(kafka, (p) => p.send({ topic: "doomed", messages: [0, 1, 2].map((partition) => ({ partition, value: "x" })) }));
    expect(existsSync(join(broker.dataDir, "kafka", "doomed"))).toBe(true);
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: ["doomed"] }));
    expect((await metadata(wire, ["doomed"])).topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(existsSync(join(broker.dataDir, "kafka", "doomed"))).toBe(false);
    const error = await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: ["never-was"] })).catch((e) => e);
    expect(String(error?.message ?? error)).toMatch(/does not host this topic-partition|UNKNOWN_TOPIC/i);

    // Re-created under the same name, it starts empty.
    await createTopic(kafka, "doomed", 1);
    const records = await fetchAll(wire, "doomed", [0]);
    expect(records.get(0)).toEqual([]);
  });

  test("DeleteTopics v6 by topic id, and v5 error messages", async () => {
    await createTopic(kafkaClient(broker), "by-id", 1);
    const described = await wire.request(3, 12, { topics: [{ name: "by-id", topicId: "00000000-0000-0000-0000-000000000000" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const topicId = described.topics[0].topicId;
    const v6 = await wire.request(Api.DeleteTopics, 6, { topics: [{ name: null, topicId }, { name: null, topicId: crypto.randomUUID() }], timeoutMs: 5000 });
    expect(v6.responses[0]).toMatchObject({ name: "by-id", topicId, errorCode: ErrorCode.NONE });
    expect(v6.responses[1]).toMatchObject({ name: null, errorCode: ErrorCode.UNKNOWN_TOPIC_ID });
    const v5 = await wire.request(Api.DeleteTopics, 5, { topicNames: ["by-id"], timeoutMs: 5000 });
    expect(v5.responses[0]).toMatchObject({ name: "by-id", errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    expect(v5.responses[0].errorMessage).toContain("by-id");
  });

  test("CreatePartitions (kafkajs): grows the topic, new partitions take writes; not increasing is INVALID_PARTITIONS; validateOnly changes nothing", async () => {
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "growing", 2);
    await withAdmin(kafka, (admin) => admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: "growing", count: 6 }] }));
    expect((await metadata(wire, ["growing"])).topics[0].partitions).toHaveLength(2);
    await withAdmin(kafka, (admin) => admin.createPartitions({ topicPartitions: [{ topic: "growing", count: 5 }] }));
    expect((await metadata(wire, ["growing"])).topics[0].partitions).toHaveLength(5);
    await withProducer(kafka, (p) => p.send({ topic: "growing", messages: [{ partition: 4, value: "new" }] }));
    expect((await fetchAll(wire, "growing", [4])).get(4)!.map((r) => r.value)).toEqual(["new"]);

    const answer = await wire.request(Api.CreatePartitions, 3, { topics: [{ name: "growing", count: 5, assignments: null }, { name: "nope", count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(answer.results[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(answer.results[0].errorMessage).toContain("5");
    expect(answer.results[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test("DescribeConfigs (kafkajs): topic overrides are DYNAMIC_TOPIC_CONFIG, the rest default or static, with synonyms", async () => {
    const kafka = kafkaClient(broker);
    await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic: "configured", numPartitions: 1, configEntries: [{ name: "retention.bytes", value: "1048576" }] }] }));
    const described = await withAdmin(kafka, (admin) => admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: "configured" }] }));
    const entries = described.resources[0].configEntries;
    const byName = Object.fromEntries(entries.map((e) => [e.configName, e]));
    expect(byName["retention.bytes"]).toMatchObject({ configValue: "1048576", configSource: 1, isDefault: false });
    expect(byName["retention.ms"]).toMatchObject({ configValue: "3600000", configSource: 4 });
    expect(byName["segment.bytes"]).toMatchObject({ configSource: 5, isDefault: true });
    expect(byName["retention.bytes"].configSynonyms.map((s: any) => s.configName)).toEqual(["retention.bytes", "log.retention.bytes", "retention_bytes"]);
    expect(Object.keys(byName)).toContain("compression.type");

    const broker0 = await withAdmin(kafka, (admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: "0", configNames: ["log_retention_ms", "auto_create_topics_enabled"] }] }));
    const brokerEntries = Object.fromEntries(broker0.resources[0].configEntries.map((e) => [e.configName, e]));
    expect(brokerEntries.log_retention_ms).toMatchObject({ configValue: "3600000", readOnly: true, configSource: 4 });
    expect(brokerEntries.auto_create_topics_enabled).toMatchObject({ configValue: "false", configSource: 5 });
  });

  test("DescribeConfigs v4 raw: unknown topic, unknown broker and unsupported resource types are per-resource errors", async () => {
    const answer = await wire.request(Api.DescribeConfigs, 4, {
      resources: [
        { resourceType: TOPIC, resourceName: "missing", configurationKeys: null },
        { resourceType: BROKER, resourceName: "7", configurationKeys: null },
        { resourceType: 3, resourceName: "group", configurationKeys: null },
        { resourceType: TOPIC, resourceName: "configured", configurationKeys: ["max.message.bytes"] },
      ],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    expect(answer.results.map((r: any) => r.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.NONE]);
    expect(answer.results[3].configs).toHaveLength(1);
    expect(answer.results[3].configs[0]).toMatchObject({ name: "max.message.bytes", configType: 3 });
    expect(answer.results[3].configs[0].documentation).toBeString();
  });

  test("AlterConfigs (kafkajs): a smaller max.message.bytes applies at once on the owning shard; bad values are INVALID_CONFIG", async () => {
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "shrinking", 2);
    const big = "x".repeat(4000);
    await withProducer(kafka, (p) => p.send({ topic: "shrinking", messages: [{ partition: 1, value: big }] }));
    await withAdmin(kafka, (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "shrinking", configEntries: [{ name: "max.message.bytes", value: "1000" }] }] }));
    const produced = await produce(wire, "shrinking", [0, 1].map((partition) => ({ partition, records: buildBatch({ records: [{ value: big }] }) })));
    expect(produced.responses[0].partitionResponses.map((p) => p.errorCode)).toEqual([ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.MESSAGE_TOO_LARGE]);

    const bad = await wire.request(Api.AlterConfigs, 2, {
      resources: [
        { resourceType: TOPIC, resourceName: "shrinking", configs: [{ name: "retention.ms", value: "soon" }] },
        { resourceType: TOPIC, resourceName: "shrinking", configs: [{ name: "no.such.config", value: "1" }] },
        { resourceType: TOPIC, resourceName: "missing", configs: [] },
        { resourceType: BROKER, resourceName: "0", configs: [{ name: "log_retention_ms", value: "1" }] },
      ],
      validateOnly: false,
    });
    expect(bad.responses.map((r: any) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST]);
    const single = await wire.request(Api.AlterConfigs, 2, { resources: [{ resourceType: TOPIC, resourceName: "shrinking", configs: [{ name: "retention.ms", value: "soon" }] }], validateOnly: false });
    expect(single.responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(single.responses[0].errorMessage).toContain("retention.ms");

    // AlterConfigs replaces the whole set: max.message.bytes is back to the default, the topic takes big batches again.
    await withAdmin(kafka, (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "shrinking", configEntries: [{ name: "retention.ms", value: "60000" }] }] }));
    const again = await produce(wire, "shrinking", [{ partition: 0, records: buildBatch({ records: [{ value: big }] }) }]);
    expect(again.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
  });

  test("IncrementalAlterConfigs v1 raw: SET, DELETE, APPEND on lists; validateOnly; errors", async () => {
    await createTopic(kafkaClient(broker), "incremental", 1);
    const alter = (configs: Array<{ name: string; configOperation: number; value: string | null }>, validateOnly = false, resourceName = "incremental") =>
      wire.request(Api.IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName, configs }], validateOnly });
    const describe = async () => {
      const answer = await wire.request(Api.DescribeConfigs, 4, { resources: [{ resourceType: TOPIC, resourceName: "incremental", configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
      return Object.fromEntries(answer.results[0].configs.map((c: any) => [c.name, { value: c.value, source: c.configSource }]));
    };
    expect((await alter([{ name: "segment.ms", configOperation: 0, value: "120000" }], true)).responses[0].errorCode).toBe(ErrorCode.NONE);
    expect((await describe())["segment.ms"].source).toBe(5);
    expect((await alter([{ name: "segment.ms", configOperation: 0, value: "120000" }, { name: "retention.bytes", configOperation: 0, value: "5000000" }])).responses[0].errorCode).toBe(ErrorCode.NONE);
    expect((await describe())["segment.ms"]).toEqual({ value: "120000", source: 1 });
    expect((await alter([{ name: "segment.ms", configOperation: 1, value: null }])).responses[0].errorCode).toBe(ErrorCode.NONE);
    const after = await describe();
    expect(after["segment.ms"].source).toBe(5);
    expect(after["retention.bytes"]).toEqual({ value: "5000000", source: 1 });
    expect((await alter([{ name: "cleanup.policy", configOperation: 2, value: "delete" }])).responses[0].errorCode).toBe(ErrorCode.NONE);
    expect((await alter([{ name: "cleanup.policy", configOperation: 2, value: "compact" }])).responses[0].errorCode).toBe(ErrorCode.NONE);
    expect((await describe())["cleanup.policy"].value).toBe("delete,compact");
    expect((await alter([{ name: "cleanup.policy", configOperation: 2, value: "shred" }])).responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await alter([{ name: "cleanup.policy", configOperation: 3, value: "compact" }])).responses[0].errorCode).toBe(ErrorCode.NONE);
    expect((await alter([{ name: "retention.ms", configOperation: 2, value: "1" }])).responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await alter([{ name: "retention.ms", configOperation: 9, value: "1" }])).responses[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await alter([{ name: "segment.bytes", configOperation: 0, value: "12" }])).responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await alter([], false, "missing")).responses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test("DescribeCluster v0 and v1: this broker as the controller", async () => {
    for (const version of [0, 1]) {
      const answer = await wire.request(Api.DescribeCluster, version, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      expect(answer.errorCode).toBe(ErrorCode.NONE);
      expect(answer.controllerId).toBe(0);
      expect(answer.clusterId).toStartWith("skua-");
      expect(answer.brokers).toEqual([{ brokerId: 0, host: "127.0.0.1", port: broker.kafkaPort, rack: null }]);
    }
    expect((await wire.request(Api.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 })).errorCode).not.toBe(ErrorCode.NONE);
  });

  test("OffsetForLeaderEpoch v2–4: epoch 0 ends at the high watermark; unknown partitions and future epochs are errors", async () => {
    await createTopic(kafkaClient(broker), "epochs", 2);
    await produce(wire, "epochs", [{ partition: 1, records: buildBatch({ records: [{ value: "a" }, { value: "b" }, { value: "c" }] }) }]);
    for (const version of [2, 3, 4]) {
      const answer = await wire.request(Api.OffsetForLeaderEpoch, version, {
        replicaId: -1,
        topics: [
          { topic: "epochs", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 1, currentLeaderEpoch: 0, leaderEpoch: 0 }, { partition: 9, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 1, currentLeaderEpoch: 3, leaderEpoch: 0 }] },
          { topic: "missing", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
        ],
      });
      const [epochs, missing] = answer.topics;
      expect(epochs.partitions.map((p: any) => [p.errorCode, p.leaderEpoch, p.endOffset])).toEqual([
        [ErrorCode.NONE, 0, 0],
        [ErrorCode.NONE, 0, 3],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1],
        [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1],
      ]);
      expect(missing.partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });

  test("DescribeLogDirs v1–4: the data dir with each partition's size", async () => {
    await createTopic(kafkaClient(broker), "sized", 2);
    await produce(wire, "sized", [{ partition: 0, records: buildBatch({ records: [{ value: "y".repeat(500) }] }) }]);
    for (const version of [1, 2, 3, 4]) {
      const answer = await wire.request(Api.DescribeLogDirs, version, { topics: [{ topic: "sized", partitions: [0, 1, 7] }, { topic: "missing", partitions: [0] }] });
      expect(answer.results).toHaveLength(1);
      const dir = answer.results[0];
      expect(dir.errorCode).toBe(ErrorCode.NONE);
      expect(dir.logDir).toBe(broker.dataDir);
      expect(dir.topics).toHaveLength(1);
      const sizes = Object.fromEntries(dir.topics[0].partitions.map((p: any) => [p.partitionIndex, p]));
      expect(Object.keys(sizes).sort()).toEqual(["0", "1"]);
      expect(sizes[0].partitionSize).toBeGreaterThan(500);
      expect(sizes[1]).toMatchObject({ partitionSize: 0, offsetLag: 0, isFutureKey: false });
      if (version >= 4) expect(dir.totalBytes).toBeGreaterThan(0);
    }
    const all = await wire.request(Api.DescribeLogDirs, 4, { topics: null });
    expect(all.results[0].topics.map((t: any) => t.name)).toContain("sized");
  });

  test("bad input gets error codes, never a closed connection", async () => {
    await createTopic(kafkaClient(broker), "victim", 2);
    const zeroId = "00000000-0000-0000-0000-000000000000";
    const deleted = await wire.request(Api.DeleteTopics, 6, { topics: [{ name: null, topicId: zeroId }, { name: "no-such", topicId: zeroId }], timeoutMs: 1000 });
    expect(deleted.responses.map((r: any) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const grown = await wire.request(Api.CreatePartitions, 3, {
      topics: [
        { name: "victim", count: -1, assignments: null },
        { name: "victim", count: 3, assignments: null },
        { name: "", count: 3, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(grown.results.map((r: any) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const tooMany = await wire.request(Api.CreatePartitions, 1, { topics: [{ name: "victim", count: 1_000_000, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(tooMany.results[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    const badAssignment = await wire.request(Api.CreatePartitions, 1, { topics: [{ name: "victim", count: 3, assignments: [{ brokerIds: [5] }] }], timeoutMs: 1000, validateOnly: false });
    expect(badAssignment.results[0].errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const brokerAlter = await wire.request(Api.IncrementalAlterConfigs, 1, {
      resources: [
        { resourceType: BROKER, resourceName: "0", configs: [{ name: "log_retention_ms", configOperation: 0, value: "5" }] },
        { resourceType: BROKER, resourceName: "0", configs: [{ name: "no_such_property", configOperation: 0, value: "5" }] },
        { resourceType: 8, resourceName: "0", configs: [] },
        { resourceType: TOPIC, resourceName: "victim", configs: [{ name: "retention.ms", configOperation: 0, value: null }] },
        { resourceType: TOPIC, resourceName: "victim", configs: [{ name: "retention.ms", configOperation: 0, value: "1" }, { name: "retention.ms", configOperation: 1, value: null }] },
      ],
      validateOnly: false,
    });
    expect(brokerAlter.responses.map((r: any) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST]);
    for (const r of brokerAlter.responses) expect(r.errorMessage).toBeString();
    const validated = await wire.request(Api.AlterConfigs, 0, { resources: [{ resourceType: TOPIC, resourceName: "victim", configs: [{ name: "retention.ms", value: "1000" }] }], validateOnly: true });
    expect(validated.responses[0].errorCode).toBe(ErrorCode.NONE);
    const after = await wire.request(Api.DescribeConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: "victim", configurationKeys: ["retention.ms"] }], includeSynonyms: true });
    expect(after.results[0].configs[0].configSource).not.toBe(1); // validateOnly changed nothing
    const noDirs = await wire.request(Api.DescribeLogDirs, 4, { topics: [] });
    expect(noDirs.results[0].topics).toEqual([]);
    expect(wire.isClosed).toBe(false);
  });

  test("a restart keeps deletions, new partitions and config changes", async () => {
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "kept", 1);
    await withAdmin(kafka, (admin) => admin.createPartitions({ topicPartitions: [{ topic: "kept", count: 3 }] }));
    await withAdmin(kafka, (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "kept", configEntries: [{ name: "retention.ms", value: "120000" }] }] }));
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: ["growing"] }));
    wire.close();
    await broker.restart();
    wire = await WireClient.connect(broker.kafkaPort);
    const answer = await metadata(wire, ["kept", "growing"]);
    expect(answer.topics[0].partitions).toHaveLength(3);
    expect(answer.topics[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const configs = await pollUntil("configs", async () => {
      const r = await wire.request(Api.DescribeConfigs, 4, { resources: [{ resourceType: TOPIC, resourceName: "kept", configurationKeys: ["retention.ms"] }], includeSynonyms: false, includeDocumentation: false });
      return r.results[0].configs;
    });
    expect(configs[0]).toMatchObject({ value: "120000", configSource: 1 });
  });
});

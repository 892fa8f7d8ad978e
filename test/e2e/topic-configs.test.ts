/**
 * Kafka's full set of topic configs against dist/skua: accepted on CreateTopics, AlterConfigs and
 * IncrementalAlterConfigs (kafkajs admin where it has the call, raw frames where it does not),
 * checked by type and range with INVALID_CONFIG naming the config, and reported by
 * DescribeConfigs with value, source, synonyms, type and documentation; the BROKER resource
 * reports Kafka's broker config names mapped from skua's properties.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { ConfigResourceTypes } from "kafkajs";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { kafkaClient, withAdmin } from "../helpers/kafka.ts";
import { ApiKey, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const Api = { DescribeConfigs: 32, IncrementalAlterConfigs: 44 } as const;
const TOPIC = 2;
const BROKER = 4;
const Source = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
const Type = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 } as const;

/** A value other than the default for every standard topic config (what a tool might set). */
const NON_DEFAULTS: Record<string, string> = {
  "cleanup.policy": "delete",
  "compression.type": "zstd",
  "compression.gzip.level": "6",
  "compression.lz4.level": "10",
  "compression.zstd.level": "9",
  "delete.retention.ms": "3600000",
  "file.delete.delay.ms": "30000",
  "flush.messages": "10000",
  "flush.ms": "1000",
  "follower.replication.throttled.replicas": "0:0",
  "index.interval.bytes": "8192",
  "leader.replication.throttled.replicas": "*",
  "local.retention.bytes": "1000000",
  "local.retention.ms": "60000",
  "max.compaction.lag.ms": "86400000",
  "max.message.bytes": "500000",
  "message.downconversion.enable": "false",
  "message.format.version": "2.8-IV1",
  "message.timestamp.after.max.ms": "3600000",
  "message.timestamp.before.max.ms": "86400000",
  "message.timestamp.difference.max.ms": "86400000",
  "message.timestamp.type": "LogAppendTime",
  "min.cleanable.dirty.ratio": "0.3",
  "min.compaction.lag.ms": "1000",
  "min.insync.replicas": "2",
  "preallocate": "true",
  "remote.log.copy.disable": "true",
  "remote.log.delete.on.disable": "true",
  "remote.storage.enable": "false",
  "retention.bytes": "100000000",
  "retention.ms": "86400000",
  "segment.bytes": "16777216",
  "segment.index.bytes": "1048576",
  "segment.jitter.ms": "1000",
  "segment.ms": "3600000",
  "unclean.leader.election.enable": "true",
};

describe("topic configs (Kafka's full set)", () => {
  let broker: Broker;
  let wire: WireClient;

  beforeAll(async () => {
    broker = await startBroker({ smp: 1, sets: { log_retention_ms: 3_600_000, default_topic_partitions: 3 } });
    wire = await WireClient.connect(broker.kafkaPort);
  });

  afterAll(async () => {
    wire?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  const describeTopic = async (name: string, includeDocumentation = false) => {
    const answer = await wire.request(Api.DescribeConfigs, 4, { resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: null }], includeSynonyms: true, includeDocumentation });
    expect(answer.results[0].errorCode).toBe(ErrorCode.NONE);
    return Object.fromEntries(answer.results[0].configs.map((c: any) => [c.name, c]));
  };

  test("kafkajs createTopics with every standard config set; describeConfigs reports each as the topic's own", async () => {
    const kafka = kafkaClient(broker);
    const configEntries = Object.entries(NON_DEFAULTS).map(([name, value]) => ({ name, value }));
    expect(await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic: "every-config", numPartitions: 1, configEntries }] }))).toBe(true);
    const described = await withAdmin(kafka, (admin) => admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: "every-config" }] }));
    const byName = Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e]));
    for (const [name, value] of Object.entries(NON_DEFAULTS)) {
      expect([name, byName[name]]).toMatchObject([name, { configValue: value, configSource: Source.DYNAMIC_TOPIC_CONFIG, isDefault: false, readOnly: false }]);
      expect(byName[name].configSynonyms[0]).toMatchObject({ configName: name, configValue: value, configSource: Source.DYNAMIC_TOPIC_CONFIG });
    }
  });

  test("a topic without overrides reports every config with its default, source and broker synonyms", async () => {
    await withAdmin(kafkaClient(broker), (admin) => admin.createTopics({ topics: [{ topic: "plain", numPartitions: 1 }] }));
    const configs = await describeTopic("plain");
    expect(Object.keys(configs).sort()).toEqual(Object.keys(NON_DEFAULTS).sort());
    expect(configs["compression.type"]).toMatchObject({ value: "producer", configSource: Source.DEFAULT_CONFIG });
    expect(configs["message.timestamp.type"]).toMatchObject({ value: "CreateTime", configSource: Source.DEFAULT_CONFIG });
    expect(configs["min.insync.replicas"].value).toBe("1");
    expect(configs["unclean.leader.election.enable"].value).toBe("false");
    expect(configs["message.timestamp.before.max.ms"].value).toBe("9223372036854775807");
    // compression.type inherits skua's log_compression_type, under Kafka's broker name and skua's.
    expect(configs["compression.type"].synonyms).toEqual([
      { name: "compression.type", value: "producer", source: Source.DEFAULT_CONFIG },
      { name: "log_compression_type", value: "producer", source: Source.DEFAULT_CONFIG },
    ]);
    // retention.ms inherits skua's log_retention_ms, set at start: a static broker config, under Kafka's name and skua's.
    expect(configs["retention.ms"]).toMatchObject({ value: "3600000", configSource: Source.STATIC_BROKER_CONFIG });
    expect(configs["retention.ms"].synonyms).toEqual([
      { name: "log.retention.ms", value: "3600000", source: Source.STATIC_BROKER_CONFIG },
      { name: "log_retention_ms", value: "3600000", source: Source.STATIC_BROKER_CONFIG },
    ]);
    expect(configs["remote.storage.enable"]).toMatchObject({ value: "false", configSource: Source.DEFAULT_CONFIG, synonyms: [] });
  });

  test("DescribeConfigs v4 include_documentation: every config has its type and documentation; without it, none", async () => {
    const configs = await describeTopic("plain", true);
    const types = Object.fromEntries(Object.entries(configs).map(([name, c]: [string, any]) => [name, c.configType]));
    expect(types).toMatchObject({
      "cleanup.policy": Type.LIST, "compression.type": Type.STRING, "min.cleanable.dirty.ratio": Type.DOUBLE, preallocate: Type.BOOLEAN,
      "segment.bytes": Type.INT, "retention.ms": Type.LONG, "max.message.bytes": Type.INT, "leader.replication.throttled.replicas": Type.LIST,
    });
    for (const c of Object.values(configs) as any[]) expect([c.name, typeof c.documentation, c.documentation.length > 20]).toEqual([c.name, "string", true]);
    const bare = await describeTopic("plain", false);
    expect(Object.values(bare).every((c: any) => c.documentation === null)).toBe(true);
  });

  test("CreateTopics v7: bad values and unknown names are INVALID_CONFIG naming the config; compact says it is not supported", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ "compression.type": "brotli" }, "compression.type"],
      [{ "message.timestamp.type": "Now" }, "message.timestamp.type"],
      [{ "min.cleanable.dirty.ratio": "2" }, "min.cleanable.dirty.ratio"],
      [{ "segment.bytes": "4294967296" }, "segment.bytes"],
      [{ preallocate: "maybe" }, "preallocate"],
      [{ "min.insync.replicas": "0" }, "min.insync.replicas"],
      [{ "cleanup.policy": "compact" }, "compaction is not supported"],
      [{ "cleanup.policy": "compact,delete" }, "compaction is not supported"],
      [{ "remote.storage.enable": "true" }, "tiered storage"],
      [{ "no.such.config": "1" }, "no.such.config"],
    ];
    const answer = await wire.request(ApiKey.CreateTopics, 7, {
      topics: cases.map(([configs], i) => ({ name: `bad-${i}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) })),
      timeoutMs: 5000,
      validateOnly: false,
    });
    answer.topics.forEach((t: any, i: number) => {
      expect([t.name, t.errorCode]).toEqual([`bad-${i}`, ErrorCode.INVALID_CONFIG]);
      expect(t.errorMessage).toContain(cases[i][1]);
    });
    const metadata = await wire.request(ApiKey.Metadata, 12, { topics: cases.map((_, i) => ({ name: `bad-${i}`, topicId: "00000000-0000-0000-0000-000000000000" })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(metadata.topics.every((t: any) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)).toBe(true);
  });

  test("CreateTopics v7 answers with every config of the new topic, overrides marked as the topic's", async () => {
    const answer = await wire.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: "answered", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: "compression.type", value: "lz4" }] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const configs = Object.fromEntries(answer.topics[0].configs.map((c: any) => [c.name, c]));
    expect(Object.keys(configs).sort()).toEqual(Object.keys(NON_DEFAULTS).sort());
    expect(configs["compression.type"]).toMatchObject({ value: "lz4", configSource: Source.DYNAMIC_TOPIC_CONFIG });
    expect(configs["message.timestamp.type"]).toMatchObject({ value: "CreateTime", configSource: Source.DEFAULT_CONFIG });
  });

  test("kafkajs alterConfigs sets compression.type and message.timestamp.*; a bad value is INVALID_CONFIG and changes nothing", async () => {
    const kafka = kafkaClient(broker);
    await withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic: "altered", numPartitions: 1 }] }));
    const set = { "compression.type": "gzip", "message.timestamp.type": "LogAppendTime", "message.timestamp.after.max.ms": "60000", "min.insync.replicas": "2" };
    await withAdmin(kafka, (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "altered", configEntries: Object.entries(set).map(([name, value]) => ({ name, value })) }] }));
    let configs = await describeTopic("altered");
    for (const [name, value] of Object.entries(set)) expect([name, configs[name].value, configs[name].configSource]).toEqual([name, value, Source.DYNAMIC_TOPIC_CONFIG]);

    const refused = withAdmin(kafka, (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "altered", configEntries: [{ name: "compression.type", value: "lzma" }] }] }));
    await expect(refused).rejects.toMatchObject({ type: "INVALID_CONFIG" });
    configs = await describeTopic("altered");
    expect(configs["compression.type"].value).toBe("gzip");
  });

  test("IncrementalAlterConfigs v1 raw: SET, APPEND and SUBTRACT on lists, DELETE; bad values, unknown names and compact are INVALID_CONFIG", async () => {
    await withAdmin(kafkaClient(broker), (admin) => admin.createTopics({ topics: [{ topic: "incremental", numPartitions: 1 }] }));
    const alter = async (configs: Array<{ name: string; configOperation: number; value: string | null }>) => {
      const answer = await wire.request(Api.IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: "incremental", configs }], validateOnly: false });
      return answer.responses[0];
    };
    const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;
    expect((await alter([{ name: "message.timestamp.before.max.ms", configOperation: SET, value: "3600000" }, { name: "compression.type", configOperation: SET, value: "snappy" }])).errorCode).toBe(ErrorCode.NONE);
    expect((await alter([{ name: "leader.replication.throttled.replicas", configOperation: APPEND, value: "0:0,1:0" }])).errorCode).toBe(ErrorCode.NONE);
    expect((await alter([{ name: "leader.replication.throttled.replicas", configOperation: SUBTRACT, value: "0:0" }])).errorCode).toBe(ErrorCode.NONE);
    let configs = await describeTopic("incremental");
    expect(configs["message.timestamp.before.max.ms"].value).toBe("3600000");
    expect(configs["compression.type"].value).toBe("snappy");
    expect(configs["leader.replication.throttled.replicas"].value).toBe("1:0");
    expect((await alter([{ name: "compression.type", configOperation: DELETE, value: null }])).errorCode).toBe(ErrorCode.NONE);
    configs = await describeTopic("incremental");
    expect(configs["compression.type"]).toMatchObject({ value: "producer", configSource: Source.DEFAULT_CONFIG });

    const refusals: Array<[{ name: string; configOperation: number; value: string | null }, string]> = [
      [{ name: "message.timestamp.after.max.ms", configOperation: SET, value: "-5" }, "message.timestamp.after.max.ms"],
      [{ name: "flush.messages", configOperation: SET, value: "many" }, "flush.messages"],
      [{ name: "cleanup.policy", configOperation: APPEND, value: "compact" }, "compaction is not supported"],
      [{ name: "no.such.config", configOperation: SET, value: "1" }, "no.such.config"],
      [{ name: "no.such.config", configOperation: DELETE, value: null }, "no.such.config"],
      [{ name: "compression.type", configOperation: APPEND, value: "gzip" }, "not a list"],
    ];
    for (const [config, why] of refusals) {
      const answer = await alter([config]);
      expect([config.name, answer.errorCode]).toEqual([config.name, ErrorCode.INVALID_CONFIG]);
      expect(answer.errorMessage).toContain(why);
    }
    expect((await describeTopic("incremental"))["message.timestamp.before.max.ms"].value).toBe("3600000");
  });

  test("the BROKER resource reports Kafka's broker config names mapped from skua's properties, read-only, and skua's own", async () => {
    const described = await withAdmin(kafkaClient(broker), (admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: "0" }] }));
    const byName = Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e]));
    expect(byName["num.partitions"]).toMatchObject({ configValue: "3", configSource: Source.STATIC_BROKER_CONFIG, readOnly: true });
    expect(byName["log.retention.ms"]).toMatchObject({ configValue: "3600000", configSource: Source.STATIC_BROKER_CONFIG, readOnly: true });
    expect(byName["auto.create.topics.enable"]).toMatchObject({ configValue: "false", configSource: Source.DEFAULT_CONFIG, readOnly: true });
    expect(byName["log.segment.bytes"].configValue).toBe(String(128 * 1024 * 1024));
    expect(byName["message.max.bytes"].configValue).toBe(String(1024 * 1024));
    expect(byName["default.replication.factor"].configValue).toBe("1");
    expect(byName["min.insync.replicas"].configValue).toBe("1");
    expect(byName["log.cleanup.policy"].configValue).toBe("delete");
    expect(byName["compression.type"].configValue).toBe("producer");
    expect(byName["offsets.retention.minutes"].configValue).toBe(String(7 * 24 * 60));
    expect(byName["group.min.session.timeout.ms"].configValue).toBe("6000");
    expect(byName["group.max.session.timeout.ms"].configValue).toBe("300000");
    expect(byName["group.initial.rebalance.delay.ms"].configValue).toBe("3000");
    expect(byName["broker.id"].configValue).toBe("0");
    expect(byName["default_topic_partitions"]).toMatchObject({ configValue: "3", readOnly: true });

    const raw = await wire.request(Api.DescribeConfigs, 4, { resources: [{ resourceType: BROKER, resourceName: "0", configurationKeys: ["num.partitions", "log.retention.ms"] }], includeSynonyms: true, includeDocumentation: true });
    const entries = Object.fromEntries(raw.results[0].configs.map((c: any) => [c.name, c]));
    expect(Object.keys(entries).sort()).toEqual(["log.retention.ms", "num.partitions"]);
    expect(entries["num.partitions"]).toMatchObject({ configType: Type.INT, synonyms: [{ name: "num.partitions", value: "3", source: Source.STATIC_BROKER_CONFIG }, { name: "default_topic_partitions", value: "3", source: Source.STATIC_BROKER_CONFIG }] });
    expect(entries["num.partitions"].documentation).toContain("default_topic_partitions");
    expect(entries["log.retention.ms"].configType).toBe(Type.LONG);

    const refused = await withAdmin(kafkaClient(broker), (admin) =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: "0", configEntries: [{ name: "num.partitions", value: "5" }] }] }).catch((e) => e),
    );
    expect(refused).toMatchObject({ type: "INVALID_REQUEST" });
  });
});

import { describe, expect, test } from "bun:test";
import { kafkaBrokerConfigDefs } from "./broker-config.ts";
import { defaultProperties } from "./properties.ts";
import { effectiveTopicConfig, inheritedTopicConfig, topicConfigDefs, topicConfigProblem, validateTopicConfigs } from "./topic-config.ts";

// Kafka 3.9's topic configs (TopicConfig / LogConfig), every one of which skua must accept.
const KAFKA_39_TOPIC_CONFIGS = [
  "cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type", "compression.zstd.level",
  "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms", "follower.replication.throttled.replicas",
  "index.interval.bytes", "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
  "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable", "message.format.version",
  "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "message.timestamp.difference.max.ms",
  "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
  "remote.log.copy.disable", "remote.log.delete.on.disable", "remote.storage.enable", "retention.bytes", "retention.ms",
  "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms", "unclean.leader.election.enable",
];

describe("the topic config catalogue", () => {
  test("holds exactly Kafka 3.9's topic configs", () => {
    expect(Object.keys(topicConfigDefs).sort()).toEqual([...KAFKA_39_TOPIC_CONFIGS].sort());
  });

  test("every default passes its own validation", () => {
    const props = defaultProperties();
    for (const name of Object.keys(topicConfigDefs)) {
      if (name === "cleanup.policy") continue; // inherited from log_cleanup_policy, checked below
      expect([name, topicConfigProblem(name, inheritedTopicConfig(props, name))]).toEqual([name, null]);
    }
    expect(topicConfigProblem("cleanup.policy", inheritedTopicConfig(props, "cleanup.policy"))).toBeNull();
  });

  test("good values of each type are accepted", () => {
    const good: Record<string, string> = {
      "compression.type": "zstd", "message.timestamp.type": "LogAppendTime", "message.timestamp.before.max.ms": "9223372036854775807",
      "min.cleanable.dirty.ratio": "0.75", "preallocate": "true", "leader.replication.throttled.replicas": "0:0,1:0",
      "follower.replication.throttled.replicas": "*", "message.format.version": "2.8-IV1", "compression.gzip.level": "-1",
      "compression.zstd.level": "-5", "local.retention.ms": "-2", "cleanup.policy": "delete", "segment.bytes": "2147483647",
      "remote.storage.enable": "false", "unclean.leader.election.enable": "false", "retention.ms": "-1",
    };
    expect(validateTopicConfigs(good)).toBeNull();
  });

  test.each([
    ["segment.bytes", "2147483648", "32-bit"],
    ["segment.bytes", "12", "at least 1024"],
    ["retention.ms", "9223372036854775808", "64-bit"],
    ["retention.ms", "soon", "integer"],
    ["retention.ms", "-2", "at least -1"],
    ["min.cleanable.dirty.ratio", "1.5", "between 0 and 1"],
    ["min.cleanable.dirty.ratio", "half", "number"],
    ["preallocate", "yes", "true or false"],
    ["compression.type", "brotli", "one of"],
    ["message.timestamp.type", "createtime", "one of"],
    ["compression.gzip.level", "0", "between 1 and 9"],
    ["compression.lz4.level", "18", "between 1 and 17"],
    ["leader.replication.throttled.replicas", "0-0", "partition:brokerId"],
    ["message.format.version", "banana", "Kafka version"],
    ["min.insync.replicas", "0", "at least 1"],
    ["flush.messages", "0", "at least 1"],
    ["cleanup.policy", "", "must name a policy"],
    ["cleanup.policy", "shred", "delete and compact"],
    ["remote.storage.enable", "true", "tiered storage"],
  ])("%s=%s is refused, naming the config (%s)", (name, value, why) => {
    const problem = topicConfigProblem(name, value);
    expect(problem).toContain(`'${name}'`);
    expect(problem).toContain(why);
  });

  test("an unknown name is refused, naming it", () => {
    expect(validateTopicConfigs({ "retention.ms": "1000", "no.such.config": "1" })).toBe("unknown topic config 'no.such.config'");
    expect(topicConfigProblem("__proto__", "1")).toBe("unknown topic config '__proto__'");
  });

  test("cleanup.policy compact, delete and both are taken; the compaction settings reach the log", () => {
    for (const value of ["compact", "delete", "compact,delete", "delete, compact"]) expect(topicConfigProblem("cleanup.policy", value)).toBeNull();
    const props = defaultProperties();
    const compacted = effectiveTopicConfig(props, { "cleanup.policy": "compact", "delete.retention.ms": "100", "min.compaction.lag.ms": "5", "max.compaction.lag.ms": "60000", "min.cleanable.dirty.ratio": "0.25" });
    expect(compacted.cleanup).toEqual({ delete: false, compact: true, deleteRetentionMs: 100, minCompactionLagMs: 5, maxCompactionLagMs: 60000, minCleanableDirtyRatio: 0.25 });
    expect(compacted.segmentMs).toBe(60000); // rolls by max.compaction.lag.ms (KIP-354)
    expect(effectiveTopicConfig(props, { "cleanup.policy": "compact,delete" }).cleanup).toMatchObject({ delete: true, compact: true });
    expect(effectiveTopicConfig(props, {}).cleanup).toMatchObject({ delete: true, compact: false });
    props.log_cleanup_policy = "compact";
    expect(effectiveTopicConfig(props, {}).cleanup).toMatchObject({ delete: false, compact: true });
  });

  test("min.compaction.lag.ms may not exceed max.compaction.lag.ms", () => {
    expect(validateTopicConfigs({ "min.compaction.lag.ms": "5000", "max.compaction.lag.ms": "1000" })).toContain("must not exceed");
    expect(validateTopicConfigs({ "min.compaction.lag.ms": "1000", "max.compaction.lag.ms": "1000" })).toBeNull();
  });

  test("effective values: overrides, then skua's properties, then Kafka's defaults", () => {
    const props = defaultProperties();
    props.log_retention_ms = 3_600_000;
    const effective = effectiveTopicConfig(props, { "segment.ms": "60000", "compression.type": "lz4" });
    expect(effective).toMatchObject({ retentionMs: 3_600_000, segmentMs: 60_000, compressionType: "lz4", messageTimestampType: "CreateTime", cleanupPolicy: "delete" });
    expect(effective.messageTimestampAfterMaxMs).toBeGreaterThan(9e18);
  });
});

describe("the broker configs by Kafka's names", () => {
  test("include what admin tools read, and every topic config's broker-wide name", () => {
    for (const name of ["num.partitions", "auto.create.topics.enable", "log.retention.ms", "log.retention.bytes", "log.segment.bytes", "message.max.bytes", "default.replication.factor", "min.insync.replicas", "log.cleanup.policy", "compression.type", "offsets.retention.minutes", "group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.initial.rebalance.delay.ms", "broker.id"]) {
      expect(kafkaBrokerConfigDefs[name]).toBeDefined();
    }
    for (const def of Object.values(topicConfigDefs)) if (def.brokerName !== null) expect(kafkaBrokerConfigDefs[def.brokerName]).toBeDefined();
  });

  test("values come from skua's properties", () => {
    const props = defaultProperties();
    props.default_topic_partitions = 3;
    props.group_offset_retention_sec = 7200;
    const facts = { nodeId: 0, dataDir: "/data" };
    expect(kafkaBrokerConfigDefs["num.partitions"].value(props, facts)).toBe("3");
    expect(kafkaBrokerConfigDefs["offsets.retention.minutes"].value(props, facts)).toBe("120");
    expect(kafkaBrokerConfigDefs["log.segment.bytes"].value(props, facts)).toBe(String(props.log_segment_size));
    expect(kafkaBrokerConfigDefs["log.dirs"].value(props, facts)).toBe("/data");
    expect(kafkaBrokerConfigDefs["max.connections"].value(props, facts)).toBe("2147483647"); // -1: no limit, as Kafka writes it
    props.kafka_connections_max_per_ip = 10;
    expect(kafkaBrokerConfigDefs["max.connections.per.ip"].value(props, facts)).toBe("10");
  });
});

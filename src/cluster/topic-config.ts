/**
 * Topic-level configs (Kafka 3.9's full set, by Kafka's names): each one's type, range, default,
 * the broker config that sets its default, and what skua does with it. The configs that act on
 * one node act; those that only matter with replication, compaction or tiered storage are
 * checked, stored and reported. `remote.storage.enable=true` is refused until tiered storage exists.
 */
import type { CleanupConfig } from "../storage/partition-log.ts";
import type { ClusterProperties, PropertyName } from "./properties.ts";

export interface EffectiveTopicConfig {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  cleanupPolicy: string;
  /** cleanup.policy as flags, with the compaction settings (the log's `cleanup`). */
  cleanup: CleanupConfig;
  /** `producer`, `uncompressed`, `gzip`, `snappy`, `lz4` or `zstd`. */
  compressionType: string;
  compressionGzipLevel: number;
  compressionZstdLevel: number;
  /** `CreateTime` or `LogAppendTime`. */
  messageTimestampType: string;
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
  messageTimestampDifferenceMaxMs: number;
}

/** Kafka's config value types (DescribeConfigs v3+ `config_type`). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
export type ConfigTypeName = keyof typeof ConfigType;

/** Returns what is wrong with a value (already of the right type), or null. */
type Check = (value: string) => string | null;

export interface TopicConfigDef {
  type: "BOOLEAN" | "STRING" | "INT" | "LONG" | "DOUBLE" | "LIST";
  /** The Kafka broker config that holds the default for every topic, or null (Kafka has none). */
  brokerName: string | null;
  /** The skua cluster property behind that default, when skua has one. */
  property?: PropertyName;
  /** Kafka's default, used when no skua property applies. */
  kafkaDefault: string;
  /** A check beyond the type's own (range, allowed values). */
  check?: Check;
  documentation: string;
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LONG_MAX = String(INT64_MAX);

const atLeast = (min: number): Check => (v) => (BigInt(v) >= BigInt(min) ? null : `must be at least ${min}`);
const between = (min: number, max: number): Check => (v) => (Number(v) >= min && Number(v) <= max ? null : `must be between ${min} and ${max}`);
const oneOf = (...allowed: string[]): Check => (v) => (allowed.includes(v) ? null : `must be one of ${allowed.join(", ")}`);

/** Kafka's throttled-replica lists: empty, `*`, or `partition:brokerId` pairs. */
const throttledReplicas: Check = (v) =>
  items(v).every((item) => item === "*" || /^\d+:\d+$/.test(item)) && !(items(v).includes("*") && items(v).length > 1)
    ? null
    : "must be empty, '*' or a list of partition:brokerId";

const cleanupPolicy: Check = (v) => {
  const policies = items(v);
  const unknown = policies.find((p) => p !== "delete" && p !== "compact");
  if (unknown !== undefined) return `must be a list of delete and compact, got '${unknown}'`;
  if (policies.length === 0) return "must name a policy (delete, compact or compact,delete)";
  return null;
};

const gzipLevel: Check = (v) => (v === "-1" || (Number(v) >= 1 && Number(v) <= 9) ? null : "must be -1 (the codec's default) or between 1 and 9");

/** Kafka 3.9's metadata versions, as message.format.version accepts them (e.g. 0.10.2, 2.8-IV1, 3.0). */
const formatVersion: Check = (v) => (/^(0\.(8|9|10|11)(\.\d+)?|[1-3]\.\d+)(-IV\d+)?$/.test(v) ? null : "must be a Kafka version such as 0.10.2, 2.8 or 3.0-IV1");

const notTiered: Check = (v) => (v === "false" ? null : "tiered storage is not supported: skua keeps every segment on its local disk");

/** Where a config only matters with something skua does not have yet, its documentation says so. */
const STORED = "skua stores and reports it; it takes effect with";
const ON_ONE_NODE = "skua stores and reports it; it does not change how a single node";

/** Every topic config Kafka 3.9 defines. */
export const topicConfigDefs: Record<string, TopicConfigDef> = {
  "cleanup.policy": { type: "LIST", brokerName: "log.cleanup.policy", property: "log_cleanup_policy", kafkaDefault: "delete", check: cleanupPolicy, documentation: "What happens to old segments: delete removes them past retention.ms or retention.bytes; compact keeps the latest record of each key (compaction runs in the background); compact,delete does both." },
  "compression.type": { type: "STRING", brokerName: "compression.type", property: "log_compression_type", kafkaDefault: "producer", check: oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), documentation: "The compression batches are stored with: producer keeps what the producer sent; any other codec makes the broker recompress batches to it." },
  "compression.gzip.level": { type: "INT", brokerName: "compression.gzip.level", kafkaDefault: "-1", check: gzipLevel, documentation: "gzip level used when compression.type is gzip (-1: the codec's default)." },
  "compression.lz4.level": { type: "INT", brokerName: "compression.lz4.level", kafkaDefault: "9", check: between(1, 17), documentation: "lz4 level used when compression.type is lz4; skua stores and reports it, and its lz4 encoder (lz4js) has a single fast level." },
  "compression.zstd.level": { type: "INT", brokerName: "compression.zstd.level", kafkaDefault: "3", check: between(-131072, 22), documentation: "zstd level used when compression.type is zstd." },
  "delete.retention.ms": { type: "LONG", brokerName: "log.cleaner.delete.retention.ms", kafkaDefault: "86400000", check: atLeast(0), documentation: "How long delete tombstones (null values) are kept on compacted topics: compaction removes them once their segment is this old." },
  "file.delete.delay.ms": { type: "LONG", brokerName: "log.segment.delete.delay.ms", kafkaDefault: "60000", check: atLeast(0), documentation: `How long a deleted segment file waits before removal; ${ON_ONE_NODE} deletes segments (at once, after readers let go).` },
  "flush.messages": { type: "LONG", brokerName: "log.flush.interval.messages", kafkaDefault: LONG_MAX, check: atLeast(1), documentation: `Records between forced fsyncs; ${ON_ONE_NODE} syncs: acks=-1 writes are fdatasync'ed by group commit before they are acknowledged.` },
  "flush.ms": { type: "LONG", brokerName: "log.flush.interval.ms", kafkaDefault: LONG_MAX, check: atLeast(0), documentation: `Time between forced fsyncs; ${ON_ONE_NODE} syncs: acks=-1 writes are fdatasync'ed by group commit before they are acknowledged.` },
  "follower.replication.throttled.replicas": { type: "LIST", brokerName: null, kafkaDefault: "", check: throttledReplicas, documentation: `Replicas whose follower-side replication is throttled; ${STORED} replication.` },
  "index.interval.bytes": { type: "INT", brokerName: "log.index.interval.bytes", kafkaDefault: "4096", check: atLeast(0), documentation: `Bytes between offset index entries; ${ON_ONE_NODE} indexes (skua's sparse index has its own spacing).` },
  "leader.replication.throttled.replicas": { type: "LIST", brokerName: null, kafkaDefault: "", check: throttledReplicas, documentation: `Replicas whose leader-side replication is throttled; ${STORED} replication.` },
  "local.retention.bytes": { type: "LONG", brokerName: "log.local.retention.bytes", kafkaDefault: "-2", check: atLeast(-2), documentation: `Bytes kept on local disk when tiered storage is on (-2: retention.bytes); ${STORED} tiered storage.` },
  "local.retention.ms": { type: "LONG", brokerName: "log.local.retention.ms", kafkaDefault: "-2", check: atLeast(-2), documentation: `Time kept on local disk when tiered storage is on (-2: retention.ms); ${STORED} tiered storage.` },
  "max.compaction.lag.ms": { type: "LONG", brokerName: "log.cleaner.max.compaction.lag.ms", kafkaDefault: LONG_MAX, check: atLeast(1), documentation: "Longest a record stays ineligible for compaction: a dirty segment this old is compacted whatever the dirty ratio, and the active segment rolls at least this often." },
  "max.message.bytes": { type: "INT", brokerName: "message.max.bytes", property: "kafka_batch_max_bytes", kafkaDefault: "1048588", check: atLeast(64), documentation: "The largest record batch the topic accepts (after compression); larger ones get MESSAGE_TOO_LARGE." },
  "message.downconversion.enable": { type: "BOOLEAN", brokerName: "log.message.downconversion.enable", kafkaDefault: "true", documentation: "Whether Fetch requests of old versions may get batches converted down to the message format they read; skua stores and reports it." },
  "message.format.version": { type: "STRING", brokerName: "log.message.format.version", kafkaDefault: "3.0-IV1", check: formatVersion, documentation: "Deprecated in Kafka 3.x: ignored for inter-broker versions 3.0 and later; skua stores and reports it and always writes format v2 batches." },
  "message.timestamp.after.max.ms": { type: "LONG", brokerName: "log.message.timestamp.after.max.ms", kafkaDefault: LONG_MAX, check: atLeast(0), documentation: "How far past the broker's clock a CreateTime record timestamp may be; later ones get INVALID_TIMESTAMP." },
  "message.timestamp.before.max.ms": { type: "LONG", brokerName: "log.message.timestamp.before.max.ms", kafkaDefault: LONG_MAX, check: atLeast(0), documentation: "How far before the broker's clock a CreateTime record timestamp may be; earlier ones get INVALID_TIMESTAMP." },
  "message.timestamp.difference.max.ms": { type: "LONG", brokerName: "log.message.timestamp.difference.max.ms", kafkaDefault: LONG_MAX, check: atLeast(0), documentation: "Deprecated: the largest difference between the broker's clock and a CreateTime record timestamp (see message.timestamp.before.max.ms and after.max.ms)." },
  "message.timestamp.type": { type: "STRING", brokerName: "log.message.timestamp.type", property: "log_message_timestamp_type", kafkaDefault: "CreateTime", check: oneOf("CreateTime", "LogAppendTime"), documentation: "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker's time at append." },
  "min.cleanable.dirty.ratio": { type: "DOUBLE", brokerName: "log.cleaner.min.cleanable.ratio", kafkaDefault: "0.5", check: between(0, 1), documentation: "Share of the cleanable bytes that must be uncompacted (dirty) before compaction runs." },
  "min.compaction.lag.ms": { type: "LONG", brokerName: "log.cleaner.min.compaction.lag.ms", kafkaDefault: "0", check: atLeast(0), documentation: "Shortest time a record stays uncompacted: a segment holding a newer record is not compacted." },
  "min.insync.replicas": { type: "INT", brokerName: "min.insync.replicas", kafkaDefault: "1", check: atLeast(1), documentation: `Replicas that must have an acks=-1 write; ${STORED} replication (one node is always in sync with itself).` },
  "preallocate": { type: "BOOLEAN", brokerName: "log.preallocate", kafkaDefault: "false", documentation: `Whether new segment files are preallocated; ${ON_ONE_NODE} creates segments.` },
  "remote.log.copy.disable": { type: "BOOLEAN", brokerName: null, kafkaDefault: "false", documentation: `Stops copying segments to tiered storage; ${STORED} tiered storage.` },
  "remote.log.delete.on.disable": { type: "BOOLEAN", brokerName: null, kafkaDefault: "false", documentation: `Deletes tiered segments when tiered storage is turned off; ${STORED} tiered storage.` },
  "remote.storage.enable": { type: "BOOLEAN", brokerName: null, kafkaDefault: "false", check: notTiered, documentation: "Tiered storage for the topic; skua has none, so only false is accepted." },
  "retention.bytes": { type: "LONG", brokerName: "log.retention.bytes", property: "retention_bytes", kafkaDefault: "-1", check: atLeast(-1), documentation: "Bytes each partition keeps before its oldest closed segments are deleted (-1: no limit)." },
  "retention.ms": { type: "LONG", brokerName: "log.retention.ms", property: "log_retention_ms", kafkaDefault: "604800000", check: atLeast(-1), documentation: "How long closed segments are kept before they are deleted (-1: forever)." },
  "segment.bytes": { type: "INT", brokerName: "log.segment.bytes", property: "log_segment_size", kafkaDefault: "1073741824", check: atLeast(1024), documentation: "Segment size at which the log rolls to a new segment (skua needs at least 1024)." },
  "segment.index.bytes": { type: "INT", brokerName: "log.index.size.max.bytes", kafkaDefault: "10485760", check: atLeast(4), documentation: `Largest offset index file; ${ON_ONE_NODE} indexes.` },
  "segment.jitter.ms": { type: "LONG", brokerName: "log.roll.jitter.ms", kafkaDefault: "0", check: atLeast(0), documentation: `Random time taken off segment.ms so segments do not all roll at once; ${ON_ONE_NODE} rolls segments.` },
  "segment.ms": { type: "LONG", brokerName: "log.roll.ms", property: "log_segment_ms", kafkaDefault: "604800000", check: atLeast(1), documentation: "Segment age at which the log rolls to a new segment." },
  "unclean.leader.election.enable": { type: "BOOLEAN", brokerName: "unclean.leader.election.enable", kafkaDefault: "false", documentation: `Whether an out-of-sync replica may become leader; ${STORED} replication.` },
};

/** Whether the value has the config's type: INT is 32-bit, LONG 64-bit, as in Kafka. */
function typeProblem(type: TopicConfigDef["type"], value: string): string | null {
  switch (type) {
    case "INT":
    case "LONG": {
      if (!/^-?\d+$/.test(value)) return `must be an integer (${type === "INT" ? "32" : "64"}-bit)`;
      const n = BigInt(value);
      const [min, max] = type === "INT" ? [INT32_MIN, INT32_MAX] : [INT64_MIN, INT64_MAX];
      return n >= min && n <= max ? null : `is out of range for a ${type === "INT" ? "32" : "64"}-bit integer`;
    }
    case "DOUBLE":
      return value.trim() !== "" && Number.isFinite(Number(value)) ? null : "must be a number";
    case "BOOLEAN":
      return value === "true" || value === "false" ? null : "must be true or false";
    case "STRING":
    case "LIST":
      return null;
  }
}

/** The items of a list value: comma-separated, trimmed, empty items dropped. */
export function items(value: string): string[] {
  return value.split(",").map((v) => v.trim()).filter((v) => v !== "");
}

/** What is wrong with one config value, naming the config, or null. */
export function topicConfigProblem(name: string, value: string): string | null {
  const def = Object.hasOwn(topicConfigDefs, name) ? topicConfigDefs[name] : undefined;
  if (!def) return `unknown topic config '${name}'`;
  const problem = typeProblem(def.type, value) ?? def.check?.(value) ?? null;
  return problem ? `topic config '${name}' ${problem}, got '${value}'` : null;
}

/** Returns an error message for the first bad entry (or pair of entries), or null. */
export function validateTopicConfigs(configs: Record<string, string>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    const problem = topicConfigProblem(name, value);
    if (problem) return problem;
  }
  const minLag = configs["min.compaction.lag.ms"];
  const maxLag = configs["max.compaction.lag.ms"];
  if (minLag !== undefined && maxLag !== undefined && BigInt(minLag) > BigInt(maxLag)) {
    return `topic config 'min.compaction.lag.ms' (${minLag}) must not exceed 'max.compaction.lag.ms' (${maxLag})`;
  }
  return null;
}

/** The value a topic without an override has: skua's property where one applies, else Kafka's default. */
export function inheritedTopicConfig(props: ClusterProperties, name: string): string {
  const def = topicConfigDefs[name];
  return def.property !== undefined ? String(props[def.property]) : def.kafkaDefault;
}

/** One config's value as a topic has it: its override, else the inherited value. */
export function topicConfigValue(props: ClusterProperties, overrides: Record<string, string>, name: string): string {
  return overrides[name] ?? inheritedTopicConfig(props, name);
}

export function effectiveTopicConfig(props: ClusterProperties, overrides: Record<string, string>): EffectiveTopicConfig {
  const text = (name: string) => topicConfigValue(props, overrides, name);
  const num = (name: string) => Number(text(name));
  const policies = items(text("cleanup.policy"));
  const cleanup: CleanupConfig = {
    delete: policies.includes("delete"),
    compact: policies.includes("compact"),
    deleteRetentionMs: num("delete.retention.ms"),
    minCompactionLagMs: num("min.compaction.lag.ms"),
    maxCompactionLagMs: num("max.compaction.lag.ms"),
    minCleanableDirtyRatio: num("min.cleanable.dirty.ratio"),
  };
  // As Kafka (KIP-354): a compacted log's active segment rolls by max.compaction.lag.ms too, so its records become cleanable.
  const segmentMs = cleanup.compact ? Math.min(num("segment.ms"), cleanup.maxCompactionLagMs) : num("segment.ms");
  return {
    retentionMs: num("retention.ms"),
    retentionBytes: num("retention.bytes"),
    segmentBytes: num("segment.bytes"),
    segmentMs,
    maxMessageBytes: num("max.message.bytes"),
    cleanupPolicy: policies.join(","),
    cleanup,
    compressionType: text("compression.type"),
    compressionGzipLevel: num("compression.gzip.level"),
    compressionZstdLevel: num("compression.zstd.level"),
    messageTimestampType: text("message.timestamp.type"),
    messageTimestampBeforeMaxMs: num("message.timestamp.before.max.ms"),
    messageTimestampAfterMaxMs: num("message.timestamp.after.max.ms"),
    messageTimestampDifferenceMaxMs: num("message.timestamp.difference.max.ms"),
  };
}

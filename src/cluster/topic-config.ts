/** Topic-level configs (Kafka names) and how they fall back to cluster properties. */
import type { ClusterProperties } from "./properties.ts";

export interface EffectiveTopicConfig {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  cleanupPolicy: string;
  /** producer, uncompressed (or the property's none), gzip, snappy, lz4, zstd. */
  compressionType: string;
  timestampType: "CreateTime" | "LogAppendTime";
  /** How far a CreateTime record may lie before / after the broker's clock; Infinity: any. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

/** Kafka's default for the message.timestamp.*.max.ms configs: Long.MAX_VALUE, no bound. */
const LONG_MAX = "9223372036854775807";

type Check = (value: string) => string | null; // returns an error message or null

const integerAtLeast = (min: number): Check => (v) =>
  /^-?\d+$/.test(v) && Number(v) >= min && Number.isSafeInteger(Number(v)) ? null : `must be an integer >= ${min}`;

const oneOf = (values: string[]): Check => (v) => (values.includes(v) ? null : `must be one of ${values.join(", ")}`);

/** A Java long >= 0: Kafka tools send Long.MAX_VALUE (its default) for "no bound". */
const longAtLeastZero: Check = (v) =>
  /^\d{1,19}$/.test(v) && (v.length < 19 || v <= LONG_MAX) ? null : `must be an integer from 0 to ${LONG_MAX}`;

/** A message.timestamp bound as a number; Long.MAX_VALUE (or anything past 2^53) means none. */
function timestampBoundMs(value: string | undefined): number {
  if (value === undefined) return Infinity;
  const ms = Number(value);
  return Number.isSafeInteger(ms) ? ms : Infinity;
}

/** The topic configs skua accepts, with how each is checked. */
export const topicConfigChecks: Record<string, Check> = {
  "retention.ms": integerAtLeast(-1),
  "retention.bytes": integerAtLeast(-1),
  "segment.bytes": integerAtLeast(1024),
  "segment.ms": integerAtLeast(1),
  "max.message.bytes": integerAtLeast(64),
  "cleanup.policy": (v) => (v === "delete" ? null : "only 'delete' is supported"),
  "compression.type": oneOf(["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"]),
  "message.timestamp.type": oneOf(["CreateTime", "LogAppendTime"]),
  "message.timestamp.before.max.ms": longAtLeastZero,
  "message.timestamp.after.max.ms": longAtLeastZero,
  "message.timestamp.difference.max.ms": longAtLeastZero,
};

/** Returns an error message for the first bad entry, or null. */
export function validateTopicConfigs(configs: Record<string, string>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    const check = topicConfigChecks[name];
    if (!check) return `unknown topic config '${name}'`;
    const problem = check(value);
    if (problem) return `topic config '${name}' ${problem}, got '${value}'`;
  }
  return null;
}

export function effectiveTopicConfig(props: ClusterProperties, overrides: Record<string, string>): EffectiveTopicConfig {
  const num = (name: string, fallback: number) => (overrides[name] !== undefined ? Number(overrides[name]) : fallback);
  return {
    retentionMs: num("retention.ms", props.log_retention_ms),
    retentionBytes: num("retention.bytes", props.retention_bytes),
    segmentBytes: num("segment.bytes", props.log_segment_size),
    segmentMs: num("segment.ms", props.log_segment_ms),
    maxMessageBytes: num("max.message.bytes", props.kafka_batch_max_bytes),
    cleanupPolicy: overrides["cleanup.policy"] ?? props.log_cleanup_policy,
    compressionType: overrides["compression.type"] ?? props.log_compression_type,
    timestampType: (overrides["message.timestamp.type"] ?? props.log_message_timestamp_type) as EffectiveTopicConfig["timestampType"],
    // As Kafka 3.9: an explicit before/after bound wins, else the older difference.max.ms applies.
    timestampBeforeMaxMs: timestampBoundMs(explicitBound(overrides["message.timestamp.before.max.ms"]) ?? overrides["message.timestamp.difference.max.ms"]),
    timestampAfterMaxMs: timestampBoundMs(explicitBound(overrides["message.timestamp.after.max.ms"]) ?? overrides["message.timestamp.difference.max.ms"]),
  };
}

/** A before/after bound counts as set unless it is Kafka's default, Long.MAX_VALUE. */
const explicitBound = (value: string | undefined) => (value === undefined || value === LONG_MAX ? undefined : value);

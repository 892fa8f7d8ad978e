/** Topic-level configs (Kafka names) and how they fall back to cluster properties. */
import type { ClusterProperties } from "./properties.ts";

export interface EffectiveTopicConfig {
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  cleanupPolicy: string;
}

type Check = (value: string) => string | null; // returns an error message or null

const integerAtLeast = (min: number): Check => (v) =>
  /^-?\d+$/.test(v) && Number(v) >= min && Number.isSafeInteger(Number(v)) ? null : `must be an integer >= ${min}`;

/** The topic configs skua accepts, with how each is checked. */
export const topicConfigChecks: Record<string, Check> = {
  "retention.ms": integerAtLeast(-1),
  "retention.bytes": integerAtLeast(-1),
  "segment.bytes": integerAtLeast(1024),
  "segment.ms": integerAtLeast(1),
  "max.message.bytes": integerAtLeast(64),
  "cleanup.policy": (v) => (v === "delete" ? null : "only 'delete' is supported"),
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
  };
}

/**
 * Topic and broker configs as DescribeConfigs reports them: each topic config with the cluster
 * property it falls back to (its synonym), where the value comes from, and its type. Shared by
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs.
 */
import type { TopicRecord } from "../../cluster/metadata.ts";
import { propertyDefs, type ClusterProperties, type PropertyName } from "../../cluster/properties.ts";
import { topicConfigChecks } from "../../cluster/topic-config.ts";

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const;

/** Each topic config, the cluster property it inherits, and its Kafka type. */
export const topicConfigDefs: Record<string, { property: PropertyName; type: number; documentation: string }> = {
  "retention.ms": { property: "log_retention_ms", type: ConfigType.LONG, documentation: "How long to keep closed segments (-1: forever)" },
  "retention.bytes": { property: "retention_bytes", type: ConfigType.LONG, documentation: "Bytes to keep per partition before deleting closed segments (-1: no limit)" },
  "segment.bytes": { property: "log_segment_size", type: ConfigType.INT, documentation: "Segment size at which the log rolls" },
  "segment.ms": { property: "log_segment_ms", type: ConfigType.LONG, documentation: "Segment age at which the log rolls" },
  "max.message.bytes": { property: "kafka_batch_max_bytes", type: ConfigType.INT, documentation: "Largest record batch accepted" },
  "cleanup.policy": { property: "log_cleanup_policy", type: ConfigType.LIST, documentation: "What happens to old segments (only delete)" },
  "compression.type": { property: "log_compression_type", type: ConfigType.STRING, documentation: "Codec batches are stored in: producer keeps the producer's, others recompress on produce" },
  "message.timestamp.type": { property: "log_message_timestamp_type", type: ConfigType.STRING, documentation: "CreateTime (the producer's) or LogAppendTime (the broker's time at append)" },
};

/** Config names that hold comma-separated lists (IncrementalAlterConfigs APPEND/SUBTRACT). */
export const listConfigs = new Set(["cleanup.policy"]);

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

export interface DescribeOptions {
  keys: string[] | null;
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

/** A cluster property given at start (--set or config file) reads as static; else it is the default. */
function propertySource(props: ClusterProperties, name: PropertyName): number {
  return props[name] === propertyDefs[name].default ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
}

const wanted = (options: DescribeOptions, name: string) => options.keys === null || options.keys.length === 0 || options.keys.includes(name);

export function describeTopicConfigs(props: ClusterProperties, topic: TopicRecord, options: DescribeOptions): ConfigEntry[] {
  // Follows topicConfigChecks, so a config skua accepts is a config it reports.
  return Object.keys(topicConfigChecks).filter((name) => wanted(options, name) && topicConfigDefs[name]).map((name) => {
    const def = topicConfigDefs[name];
    const inherited = { name: def.property, value: String(props[def.property]), source: propertySource(props, def.property) };
    const override = topic.configs[name];
    const source = override !== undefined ? ConfigSource.DYNAMIC_TOPIC_CONFIG : inherited.source;
    const synonyms = override !== undefined ? [{ name, value: override, source }, inherited] : [inherited];
    return {
      name,
      value: override ?? inherited.value,
      readOnly: false,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: false,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: def.type,
      documentation: options.includeDocumentation ? def.documentation : null,
    };
  });
}

/** Cluster properties: reported, read-only (they are set at start). */
export function describeBrokerConfigs(props: ClusterProperties, options: DescribeOptions): ConfigEntry[] {
  return (Object.keys(propertyDefs) as PropertyName[]).filter((name) => wanted(options, name)).map((name) => {
    const def = propertyDefs[name];
    const source = propertySource(props, name);
    const value = String(props[name]);
    return {
      name,
      value,
      readOnly: true,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: false,
      synonyms: options.includeSynonyms ? [{ name, value, source }] : [],
      configType: def.kind === "bool" ? ConfigType.BOOLEAN : def.kind === "int" ? ConfigType.LONG : ConfigType.STRING,
      documentation: options.includeDocumentation ? def.description : null,
    };
  });
}

/** Broker resources are named by broker id; "" means the cluster-wide defaults. */
export function isThisBroker(resourceName: string, nodeId: number): boolean {
  return resourceName === "" || resourceName === String(nodeId);
}

/**
 * Topic and broker configs as DescribeConfigs (and CreateTopics v5+) report them: every topic
 * config of the catalogue with its value, where it comes from, its synonyms (the topic override,
 * the Kafka broker config and the skua property behind its default), type and documentation;
 * and the broker's configs by Kafka's names and by skua's. Shared by DescribeConfigs,
 * CreateTopics, AlterConfigs and IncrementalAlterConfigs.
 */
import { kafkaBrokerConfigDefs, type BrokerFacts } from "../../cluster/broker-config.ts";
import { propertyDefs, type ClusterProperties, type PropertyName } from "../../cluster/properties.ts";
import { ConfigType, inheritedTopicConfig, topicConfigDefs } from "../../cluster/topic-config.ts";

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

/** Topic config names that hold comma-separated lists (IncrementalAlterConfigs APPEND/SUBTRACT). */
export const listConfigs = new Set(Object.keys(topicConfigDefs).filter((name) => topicConfigDefs[name].type === "LIST"));

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

type Synonym = ConfigEntry["synonyms"][number];

function entry(name: string, value: string, source: number, readOnly: boolean, type: number, synonyms: Synonym[], documentation: string, options: DescribeOptions): ConfigEntry {
  return {
    name,
    value,
    readOnly,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: options.includeSynonyms ? synonyms : [],
    configType: type,
    documentation: options.includeDocumentation ? documentation : null,
  };
}

/** The synonyms a topic config inherits from, most specific first (as Kafka orders them). */
function inheritedSynonyms(props: ClusterProperties, name: string): Synonym[] {
  const def = topicConfigDefs[name];
  const value = inheritedTopicConfig(props, name);
  const source = def.property !== undefined ? propertySource(props, def.property) : ConfigSource.DEFAULT_CONFIG;
  const out: Synonym[] = [];
  if (def.brokerName !== null) out.push({ name: def.brokerName, value, source });
  if (def.property !== undefined) out.push({ name: def.property, value, source });
  return out;
}

/** Every topic config for a topic with these overrides. */
export function describeTopicConfigs(props: ClusterProperties, overrides: Record<string, string>, options: DescribeOptions): ConfigEntry[] {
  return Object.keys(topicConfigDefs).filter((name) => wanted(options, name)).map((name) => {
    const def = topicConfigDefs[name];
    const inherited = inheritedSynonyms(props, name);
    const override = Object.hasOwn(overrides, name) ? overrides[name] : undefined;
    const source = override !== undefined ? ConfigSource.DYNAMIC_TOPIC_CONFIG : (inherited[0]?.source ?? ConfigSource.DEFAULT_CONFIG);
    const synonyms = override !== undefined ? [{ name, value: override, source }, ...inherited] : inherited;
    return entry(name, override ?? inheritedTopicConfig(props, name), source, false, ConfigType[def.type], synonyms, def.documentation, options);
  });
}

const propertyType = { bool: ConfigType.BOOLEAN, int: ConfigType.LONG, string: ConfigType.STRING } as const;

/** The broker's configs: Kafka's names mapped from skua's properties, then skua's own; all read-only. */
export function describeBrokerConfigs(props: ClusterProperties, facts: BrokerFacts, options: DescribeOptions): ConfigEntry[] {
  const kafka = Object.entries(kafkaBrokerConfigDefs).filter(([name]) => wanted(options, name)).map(([name, def]) => {
    const value = def.value(props, facts);
    const source = def.property !== undefined ? propertySource(props, def.property) : ConfigSource.DEFAULT_CONFIG;
    const synonyms = [{ name, value, source }, ...(def.property !== undefined ? [{ name: def.property, value: String(props[def.property]), source }] : [])];
    return entry(name, value, source, true, ConfigType[def.type], synonyms, def.documentation, options);
  });
  const own = (Object.keys(propertyDefs) as PropertyName[]).filter((name) => wanted(options, name)).map((name) => {
    const def = propertyDefs[name];
    const source = propertySource(props, name);
    const value = String(props[name]);
    return entry(name, value, source, true, propertyType[def.kind], [{ name, value, source }], def.description, options);
  });
  return [...kafka, ...own];
}

/** Broker resources are named by broker id; "" means the cluster-wide defaults. */
export function isThisBroker(resourceName: string, nodeId: number): boolean {
  return resourceName === "" || resourceName === String(nodeId);
}

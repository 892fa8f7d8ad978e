/**
 * The broker's configs by Kafka's names, as admin tools read them (DescribeConfigs of a BROKER
 * resource): each mapped from skua's cluster property, or fixed where skua has no choice (one
 * replica), or Kafka's default for a topic config's broker-wide name. All read-only at run time.
 */
import { propertyDefs, type ClusterProperties, type PropertyName } from "./properties.ts";
import { topicConfigDefs, type ConfigTypeName } from "./topic-config.ts";

export interface BrokerFacts {
  nodeId: number;
  dataDir: string;
}

export interface KafkaBrokerConfigDef {
  type: ConfigTypeName;
  /** The skua property it is read from; its source (static or default) follows that property. */
  property?: PropertyName;
  value(props: ClusterProperties, facts: BrokerFacts): string;
  documentation: string;
}

const fromProperty = (property: PropertyName, type: ConfigTypeName, documentation: string): KafkaBrokerConfigDef => ({
  type,
  property,
  value: (props) => String(props[property]),
  documentation: `${documentation} (skua: ${property})`,
});

const fixed = (type: ConfigTypeName, value: string, documentation: string): KafkaBrokerConfigDef => ({ type, value: () => value, documentation });

const SECONDS_PER_MINUTE = 60;
/** Kafka writes "no limit" as Int.MaxValue where skua's property says -1. */
const KAFKA_INT_MAX = "2147483647";

const limitFromProperty = (property: "kafka_connections_max" | "kafka_connections_max_per_ip", documentation: string): KafkaBrokerConfigDef => ({
  type: "INT",
  property,
  value: (props) => (props[property] < 0 ? KAFKA_INT_MAX : String(props[property])),
  documentation: `${documentation} (skua: ${property}, -1 there)`,
});

/** Broker configs whose value comes from skua itself rather than a topic config's default. */
const brokerOwn: Record<string, KafkaBrokerConfigDef> = {
  "broker.id": { type: "INT", value: (_, facts) => String(facts.nodeId), documentation: "This broker's id" },
  "node.id": { type: "INT", value: (_, facts) => String(facts.nodeId), documentation: "This node's id" },
  "log.dirs": { type: "LIST", value: (_, facts) => facts.dataDir, documentation: "The data directory: skua's one log dir" },
  "num.partitions": fromProperty("default_topic_partitions", "INT", "Partitions of an auto-created topic"),
  "auto.create.topics.enable": fromProperty("auto_create_topics_enabled", "BOOLEAN", "Create a topic on first Metadata or Produce for it"),
  "default.replication.factor": fixed("INT", "1", "Replication factor of an auto-created topic: skua keeps one replica"),
  "offsets.topic.replication.factor": fixed("SHORT", "1", "Replication of committed offsets: skua keeps one copy"),
  "socket.request.max.bytes": fromProperty("kafka_request_max_bytes", "INT", "Largest request frame"),
  "log.retention.check.interval.ms": fromProperty("log_compaction_interval_ms", "LONG", "How often retention runs"),
  "offsets.retention.minutes": {
    type: "INT",
    property: "group_offset_retention_sec",
    value: (props) => String(Math.floor(props.group_offset_retention_sec / SECONDS_PER_MINUTE)),
    documentation: "Committed offsets of an empty group expire after this (skua: group_offset_retention_sec, in seconds)",
  },
  "offsets.retention.check.interval.ms": fromProperty("group_offset_retention_check_ms", "LONG", "How often expired group offsets are looked for"),
  "group.min.session.timeout.ms": fromProperty("group_min_session_timeout_ms", "INT", "Shortest session timeout a group member may ask for"),
  "group.max.session.timeout.ms": fromProperty("group_max_session_timeout_ms", "INT", "Longest session timeout a group member may ask for"),
  "group.initial.rebalance.delay.ms": fromProperty("group_initial_rebalance_delay", "INT", "How long a new group's first rebalance waits for more members"),
  "quota.window.num": fromProperty("quota_window_num", "INT", "Samples a client quota's rate is measured over"),
  "quota.window.size.seconds": fromProperty("quota_window_size_seconds", "INT", "Length of one client-quota sample"),
  "max.connections": limitFromProperty("kafka_connections_max", "Kafka connections the node holds at once, over all shards"),
  "max.connections.per.ip": limitFromProperty("kafka_connections_max_per_ip", "Kafka connections one address holds at once"),
  "max.connections.per.ip.overrides": fromProperty("kafka_connections_max_overrides", "STRING", "Per-address connection limits, ip:count"),
};

/** The broker-wide name of every topic config that has one, with skua's value for it. */
function brokerWideTopicDefaults(): Record<string, KafkaBrokerConfigDef> {
  const out: Record<string, KafkaBrokerConfigDef> = {};
  for (const [topicName, def] of Object.entries(topicConfigDefs)) {
    if (def.brokerName === null) continue;
    const documentation = `Default of the topic config ${topicName}: ${def.documentation}`;
    out[def.brokerName] = def.property !== undefined
      ? fromProperty(def.property, def.type, documentation)
      : fixed(def.type, def.kafkaDefault, documentation);
  }
  return out;
}

/** Every Kafka-named broker config skua reports, sorted by name. */
export const kafkaBrokerConfigDefs: Record<string, KafkaBrokerConfigDef> = Object.fromEntries(
  Object.entries({ ...brokerWideTopicDefaults(), ...brokerOwn }).sort(([a], [b]) => a.localeCompare(b)),
);

/** Whether a name is a broker config skua knows: one of its own properties or a Kafka name. */
export function isBrokerConfigName(name: string): boolean {
  return Object.hasOwn(propertyDefs, name) || Object.hasOwn(kafkaBrokerConfigDefs, name);
}

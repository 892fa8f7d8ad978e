/** Topic administration over the Kafka API: create, delete, configs, partitions, DeleteRecords. */
import type { KafkaClient } from "./client.ts";
import { check, errorName } from "./errors.ts";

export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;
export const ConfigOperation = { SET: 0, DELETE: 1 } as const;
const ADMIN_TIMEOUT_MS = 30_000;

/** What happened to one named thing: error code 0 for success. */
export interface Outcome {
  name: string;
  errorCode: number;
  /** The Kafka error name, or "OK". */
  status: string;
  message: string | null;
}

function outcome(name: string, errorCode: number, message: string | null): Outcome {
  return { name, errorCode, status: errorCode === 0 ? "OK" : errorName(errorCode), message };
}

export interface NewTopic {
  name: string;
  partitions: number; // -1: the broker's default
  replicas: number; // -1: the broker's default
  configs: Record<string, string>;
}

export async function createTopics(client: KafkaClient, topics: NewTopic[], validateOnly = false): Promise<Outcome[]> {
  const response = await client.call("CreateTopics", {
    topics: topics.map((t) => ({
      name: t.name, numPartitions: t.partitions, replicationFactor: t.replicas, assignments: [],
      configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: ADMIN_TIMEOUT_MS,
    validateOnly,
  });
  return response.topics.map((t: any) => outcome(t.name, t.errorCode, t.errorMessage));
}

export async function deleteTopics(client: KafkaClient, names: string[]): Promise<Outcome[]> {
  const response = await client.call("DeleteTopics", { topics: names.map((name) => ({ name })), timeoutMs: ADMIN_TIMEOUT_MS });
  return response.responses.map((t: any) => outcome(t.name ?? "", t.errorCode, t.errorMessage));
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
}

const SOURCES = ["UNKNOWN", "DYNAMIC_TOPIC_CONFIG", "DYNAMIC_BROKER_CONFIG", "DYNAMIC_DEFAULT_BROKER_CONFIG", "STATIC_BROKER_CONFIG", "DEFAULT_CONFIG", "DYNAMIC_BROKER_LOGGER_CONFIG", "CLIENT_METRICS_CONFIG", "GROUP_CONFIG"];

/** DescribeConfigs of one resource (a topic name, or a broker id as a string). */
export async function describeConfigs(client: KafkaClient, resourceType: number, resourceName: string, keys: string[] | null = null): Promise<ConfigEntry[]> {
  const response = await client.call("DescribeConfigs", {
    resources: [{ resourceType, resourceName, configurationKeys: keys }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const result = response.results[0];
  check(result.errorCode, `configs of '${resourceName}'`, result.errorMessage);
  return result.configs.map((c: any) => ({
    name: c.name, value: c.value, source: SOURCES[c.configSource] ?? String(c.configSource), readOnly: c.readOnly, sensitive: c.isSensitive,
  }));
}

/** IncrementalAlterConfigs: `set` and `remove` on one resource. */
export async function alterConfigs(
  client: KafkaClient, resourceType: number, resourceName: string, set: Record<string, string>, remove: string[],
): Promise<Outcome> {
  const configs = [
    ...Object.entries(set).map(([name, value]) => ({ name, configOperation: ConfigOperation.SET, value })),
    ...remove.map((name) => ({ name, configOperation: ConfigOperation.DELETE, value: null })),
  ];
  const response = await client.call("IncrementalAlterConfigs", { resources: [{ resourceType, resourceName, configs }], validateOnly: false });
  const r = response.responses[0];
  return outcome(resourceName, r.errorCode, r.errorMessage);
}

/** Grows `topic` to `total` partitions. */
export async function createPartitions(client: KafkaClient, topic: string, total: number): Promise<Outcome> {
  const response = await client.call("CreatePartitions", { topics: [{ name: topic, count: total, assignments: null }], timeoutMs: ADMIN_TIMEOUT_MS, validateOnly: false });
  const r = response.results[0];
  return outcome(r.name, r.errorCode, r.errorMessage);
}

export interface TrimResult {
  partition: number;
  errorCode: number;
  status: string;
  lowWatermark: number;
}

/** DeleteRecords: moves each partition's start offset to `offset` (-1: the high watermark). */
export async function deleteRecordsBefore(client: KafkaClient, topic: string, partitions: number[], offset: number): Promise<TrimResult[]> {
  const byLeader = await partitionsByLeader(client, topic, partitions);
  const results: TrimResult[] = [];
  for (const [leader, mine] of byLeader) {
    const response = await client.callNode(leader, "DeleteRecords", {
      topics: [{ name: topic, partitions: mine.map((partitionIndex) => ({ partitionIndex, offset })) }],
      timeoutMs: ADMIN_TIMEOUT_MS,
    });
    for (const p of response.topics[0].partitions) {
      results.push({ partition: p.partitionIndex, errorCode: p.errorCode, status: p.errorCode === 0 ? "OK" : errorName(p.errorCode), lowWatermark: p.lowWatermark });
    }
  }
  return results.sort((a, b) => a.partition - b.partition);
}

/** Groups `partitions` of `topic` by their leader; a partition the topic lacks is UNKNOWN_TOPIC_OR_PARTITION. */
export async function partitionsByLeader(client: KafkaClient, topic: string, partitions: number[]): Promise<Map<number, number[]>> {
  const meta = await client.topic(topic);
  const leaders = new Map(meta.partitions.map((p) => [p.partitionIndex, p.leaderId]));
  const out = new Map<number, number[]>();
  for (const partition of partitions) {
    const leader = leaders.get(partition);
    if (leader === undefined) check(3, `partition ${topic}/${partition}`);
    if (!out.has(leader!)) out.set(leader!, []);
    out.get(leader!)!.push(partition);
  }
  return out;
}

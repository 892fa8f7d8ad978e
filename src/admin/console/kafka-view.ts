/**
 * What the console reads and changes over the Kafka API, through the broker's own Kafka
 * listener (src/client): topics and their configs, messages, consumer groups. One client is
 * kept open; a broken connection is replaced on the next call.
 */
import { KafkaClient, type HostPort } from "../../client/client.ts";
import { TransportError } from "../../client/errors.ts";
import { Fetcher } from "../../client/fetcher.ts";
import { committedOffsets, describeGroup, listGroups, type CommittedOffset, type DescribedGroup, type ListedGroup } from "../../client/groups.ts";
import { listOffsets, watermarks } from "../../client/offsets.ts";
import type { ConsumedRecord } from "../../client/records.ts";
import { createTopics, deleteTopics, describeConfigs, ResourceType, type ConfigEntry, type Outcome } from "../../client/topics.ts";

/** Most messages one browse returns. */
export const BROWSE_MESSAGES_MAX = 200;
/** Bytes of a key or value sent to the page; longer ones are cut and marked. */
const SHOWN_BYTES_MAX = 64 * 1024;

export interface TopicSummary {
  name: string;
  partitions: number;
  internal: boolean;
}

export interface TopicPartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  errorCode: number;
}

export interface BrowsedMessage {
  partition: number;
  offset: number;
  timestampMs: number;
  /** Base64 of the bytes, null for a null key or value. */
  key: string | null;
  value: string | null;
  valueBytes: number;
  truncated: boolean;
  headers: Array<{ key: string; value: string | null }>;
}

/** Where a browse starts: an offset, a time (the first offset at or after it), or the last `limit` messages. */
export type BrowseFrom = { offset: number } | { timestampMs: number } | { tail: true };

export class KafkaView {
  private client: KafkaClient | null = null;

  constructor(private readonly seeds: HostPort[]) {}

  async cluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }> }> {
    const meta = await this.use((c) => c.metadata([]));
    return { clusterId: meta.clusterId, controllerId: meta.controllerId, brokers: meta.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })) };
  }

  async topics(): Promise<TopicSummary[]> {
    const meta = await this.use((c) => c.metadata(null));
    return meta.topics
      .map((t) => ({ name: t.name ?? "", partitions: t.partitions.length, internal: t.isInternal }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async topic(name: string): Promise<{ partitions: TopicPartitionInfo[]; configs: ConfigEntry[] }> {
    return this.use(async (c) => {
      const meta = await c.topic(name);
      const partitions = meta.partitions
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes, errorCode: p.errorCode }))
        .sort((a, b) => a.partition - b.partition);
      return { partitions, configs: await describeConfigs(c, ResourceType.TOPIC, name) };
    });
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<Outcome> {
    return this.use(async (c) => (await createTopics(c, [{ name, partitions, replicas: -1, configs }]))[0]);
  }

  deleteTopic(name: string): Promise<Outcome> {
    return this.use(async (c) => (await deleteTopics(c, [name]))[0]);
  }

  /** Up to `limit` messages of one partition from `from`, in offset order. */
  async browse(topic: string, partition: number, from: BrowseFrom, limit: number): Promise<{ messages: BrowsedMessage[]; logStartOffset: number; highWatermark: number }> {
    return this.use(async (c) => {
      const { logStartOffset, highWatermark } = (await watermarks(c, topic, [partition])).get(partition)!;
      const start = await this.startOffset(c, topic, partition, from, limit, highWatermark);
      const position = Math.min(Math.max(start, logStartOffset), highWatermark);
      const messages: BrowsedMessage[] = [];
      const fetcher = new Fetcher(c, topic, new Map([[partition, position]]));
      // One Fetch may stop short of `limit` (its byte bound); ask again until enough or the end.
      while (messages.length < limit && (fetcher.positions.get(partition) ?? highWatermark) < highWatermark) {
        const round = await fetcher.poll(0);
        if (round.records.length === 0) break;
        for (const record of round.records.slice(0, limit - messages.length)) messages.push(shown(record));
      }
      return { messages, logStartOffset, highWatermark };
    });
  }

  listGroups(): Promise<ListedGroup[]> {
    return this.use((c) => listGroups(c));
  }

  describeGroup(group: string): Promise<DescribedGroup> {
    return this.use((c) => describeGroup(c, group));
  }

  committedOffsets(group: string): Promise<CommittedOffset[]> {
    return this.use((c) => committedOffsets(c, group));
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  private async startOffset(c: KafkaClient, topic: string, partition: number, from: BrowseFrom, limit: number, highWatermark: number): Promise<number> {
    if ("offset" in from) return from.offset;
    if ("tail" in from) return highWatermark - limit;
    const found = (await listOffsets(c, topic, [partition], from.timestampMs)).get(partition)!;
    // No message at or after that time: ListOffsets answers -1; start at the end.
    return found < 0 ? highWatermark : found;
  }

  /** Runs `body` on the open client; a transport failure drops the client so the next call reconnects. */
  private async use<T>(body: (client: KafkaClient) => Promise<T>): Promise<T> {
    this.client ??= new KafkaClient(this.seeds, "skua-console");
    try {
      return await body(this.client);
    } catch (error) {
      if (error instanceof TransportError) this.close();
      throw error;
    }
  }
}

function shown(record: ConsumedRecord): BrowsedMessage {
  const value = record.value;
  return {
    partition: record.partition,
    offset: record.offset,
    timestampMs: record.timestampMs,
    key: record.key === null ? null : base64(record.key.subarray(0, SHOWN_BYTES_MAX)),
    value: value === null ? null : base64(value.subarray(0, SHOWN_BYTES_MAX)),
    valueBytes: value?.length ?? 0,
    truncated: (value?.length ?? 0) > SHOWN_BYTES_MAX || (record.key?.length ?? 0) > SHOWN_BYTES_MAX,
    headers: record.headers.map((h) => ({ key: h.key, value: h.value === null ? null : base64(h.value.subarray(0, SHOWN_BYTES_MAX)) })),
  };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
}

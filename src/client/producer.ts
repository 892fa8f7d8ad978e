/**
 * Produces records to one topic: picks each record's partition, gathers records per
 * partition into batches (bounded in records and bytes), and sends one Produce per
 * leader. With acks=0 the broker answers nothing, so no offsets come back.
 */
import type { KafkaClient } from "./client.ts";
import { ApiKey, Version } from "./client.ts";
import { KafkaError } from "./errors.ts";
import { Partitioner } from "./partitioner.ts";
import { encodeBatch, type CompressionName, type ProduceRecord } from "./records.ts";
import { partitionsByLeader } from "./topics.ts";

/** Limits of one batch before it is sent. */
const BATCH_RECORDS_MAX = 5000;
const BATCH_BYTES_MAX = 512 * 1024;
const PRODUCE_TIMEOUT_MS = 30_000;

export interface ProducerOptions {
  topic: string;
  acks: -1 | 0 | 1;
  compression: CompressionName;
  /** A fixed partition, or null to choose by key. */
  partition: number | null;
}

export interface Produced {
  partition: number;
  /** Offset of the record; -1 with acks=0. */
  offset: number;
  timestampMs: number;
  sizeBytes: number;
}

interface Pending {
  records: ProduceRecord[];
  sizeBytes: number;
}

export class Producer {
  private partitioner: Partitioner | null = null;
  private pending = new Map<number, Pending>();

  constructor(
    private readonly client: KafkaClient,
    private readonly options: ProducerOptions,
  ) {}

  /** Learns the partition count (checks the topic exists). */
  async open(): Promise<void> {
    const topic = await this.client.topic(this.options.topic);
    const count = topic.partitions.length;
    if (this.options.partition !== null && (this.options.partition < 0 || this.options.partition >= count)) {
      throw new KafkaError(3, `partition ${this.options.topic}/${this.options.partition}`, `the topic has ${count} partitions`);
    }
    this.partitioner = new Partitioner(count);
  }

  /** Queues a record (to `partition`, or the producer's choice); returns the results of any batches that filled up and were sent. */
  async add(record: ProduceRecord, partition: number | null = null): Promise<Produced[]> {
    partition ??= this.options.partition ?? this.partitioner!.partitionOf(record.key);
    let batch = this.pending.get(partition);
    if (batch === undefined) this.pending.set(partition, (batch = { records: [], sizeBytes: 0 }));
    batch.records.push(record);
    batch.sizeBytes += (record.key?.length ?? 0) + (record.value?.length ?? 0) + 16;
    return batch.records.length >= BATCH_RECORDS_MAX || batch.sizeBytes >= BATCH_BYTES_MAX ? this.flush() : [];
  }

  /** Sends everything queued; resolves with one result per record, in the order added per partition. */
  async flush(): Promise<Produced[]> {
    if (this.pending.size === 0) return [];
    const batches = this.pending;
    this.pending = new Map();
    const byLeader = await partitionsByLeader(this.client, this.options.topic, [...batches.keys()]);
    const sent = await Promise.all([...byLeader].map(([leader, partitions]) => this.send(leader, partitions, batches)));
    return sent.flat();
  }

  private async send(leader: number, partitions: number[], batches: Map<number, Pending>): Promise<Produced[]> {
    const nowMs = Date.now();
    const encoded = partitions.map((p) => ({ index: p, records: encodeBatch(batches.get(p)!.records, this.options.compression, nowMs) }));
    const body = { transactionalId: null, acks: this.options.acks, timeoutMs: PRODUCE_TIMEOUT_MS, topicData: [{ name: this.options.topic, partitionData: encoded }] };
    const connection = await this.client.node(leader);
    if (this.options.acks === 0) {
      await connection.sendOnly(ApiKey.Produce, Version.Produce, body);
      return partitions.flatMap((p) => results(batches.get(p)!, p, -1, nowMs));
    }
    const response = await connection.request(ApiKey.Produce, Version.Produce, body);
    return response.responses[0].partitionResponses.flatMap((r: any) => {
      if (r.errorCode !== 0) throw new KafkaError(r.errorCode, `produce to ${this.options.topic}/${r.index}`, r.errorMessage ?? (r.recordErrors?.[0]?.batchIndexErrorMessage ?? null));
      return results(batches.get(r.index)!, r.index, r.baseOffset, r.logAppendTimeMs >= 0 ? r.logAppendTimeMs : nowMs);
    });
  }
}

function results(batch: Pending, partition: number, baseOffset: number, timestampMs: number): Produced[] {
  return batch.records.map((r, i) => ({
    partition,
    offset: baseOffset < 0 ? -1 : baseOffset + i,
    timestampMs,
    sizeBytes: (r.key?.length ?? 0) + (r.value?.length ?? 0),
  }));
}

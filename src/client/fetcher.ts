/**
 * Reads records from a set of partitions of one topic, from a position per partition:
 * one Fetch per leader per round (long-polling up to `maxWaitMs`), records before the
 * position (a batch starts earlier) dropped, positions advanced past what was returned.
 */
import type { KafkaClient } from "./client.ts";
import { check } from "./errors.ts";
import { decodeRecords, type ConsumedRecord } from "./records.ts";
import { partitionsByLeader } from "./topics.ts";

const FETCH_BYTES_MAX = 16 * 1024 * 1024;
const PARTITION_FETCH_BYTES_MAX = 4 * 1024 * 1024;

export interface FetchRound {
  records: ConsumedRecord[];
  /** High watermark per partition, as the last Fetch said. */
  highWatermarks: Map<number, number>;
}

export class Fetcher {
  /** Next offset per partition, including partitions no longer read. */
  readonly positions: Map<number, number>;
  private readonly done = new Set<number>();

  constructor(
    private readonly client: KafkaClient,
    readonly topic: string,
    positions: Map<number, number>,
  ) {
    this.positions = new Map(positions);
  }

  /** One round of Fetch over every partition still wanted; records in partition, then offset, order. */
  async poll(maxWaitMs: number): Promise<FetchRound> {
    const byLeader = await partitionsByLeader(this.client, this.topic, this.active());
    const rounds = await Promise.all([...byLeader].map(([leader, partitions]) => this.fetchFrom(leader, partitions, maxWaitMs)));
    const highWatermarks = new Map<number, number>();
    for (const round of rounds) for (const [p, hw] of round.highWatermarks) highWatermarks.set(p, hw);
    return { records: rounds.flatMap((r) => r.records), highWatermarks };
  }

  /** Stops reading `partition` (its position stays). */
  drop(partition: number): void {
    this.done.add(partition);
  }

  /** The partitions still read. */
  active(): number[] {
    return [...this.positions.keys()].filter((p) => !this.done.has(p));
  }

  private async fetchFrom(leader: number, partitions: number[], maxWaitMs: number): Promise<FetchRound> {
    const response = await this.client.callNode(leader, "Fetch", {
      replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: FETCH_BYTES_MAX, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{
        topic: this.topic,
        partitions: partitions.map((partition) => ({
          partition, currentLeaderEpoch: -1, fetchOffset: this.positions.get(partition)!, lastFetchedEpoch: -1, logStartOffset: -1,
          partitionMaxBytes: PARTITION_FETCH_BYTES_MAX,
        })),
      }],
      forgottenTopicsData: [], rackId: "",
    });
    check(response.errorCode, `fetch from ${this.topic}`);
    const records: ConsumedRecord[] = [];
    const highWatermarks = new Map<number, number>();
    for (const p of response.responses[0]?.partitions ?? []) {
      check(p.errorCode, `fetch ${this.topic}/${p.partitionIndex} at offset ${this.positions.get(p.partitionIndex)}`);
      highWatermarks.set(p.partitionIndex, p.highWatermark);
      const from = this.positions.get(p.partitionIndex)!;
      const fresh = decodeRecords(p.records, p.partitionIndex).filter((r) => r.offset >= from);
      if (fresh.length > 0) this.positions.set(p.partitionIndex, fresh[fresh.length - 1]!.offset + 1);
      records.push(...fresh);
    }
    return { records, highWatermarks };
  }
}

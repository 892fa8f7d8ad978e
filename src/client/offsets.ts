/** ListOffsets: a partition's earliest and latest offsets, and the first offset at or after a time. */
import type { KafkaClient } from "./client.ts";
import { check } from "./errors.ts";
import { partitionsByLeader } from "./topics.ts";

export const EARLIEST = -2;
export const LATEST = -1;

/**
 * Per partition, the offset ListOffsets answers for `timestamp` (EARLIEST, LATEST, or milliseconds);
 * `isolationLevel` 1 (read_committed) answers LATEST with the last stable offset.
 */
export async function listOffsets(client: KafkaClient, topic: string, partitions: number[], timestamp: number, isolationLevel: 0 | 1 = 0): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const [leader, mine] of await partitionsByLeader(client, topic, partitions)) {
    const response = await client.callNode(leader, "ListOffsets", {
      replicaId: -1,
      isolationLevel,
      topics: [{ name: topic, partitions: mine.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) }],
    });
    for (const p of response.topics[0].partitions) {
      check(p.errorCode, `offsets of ${topic}/${p.partitionIndex}`);
      out.set(p.partitionIndex, p.offset);
    }
  }
  return out;
}

export interface PartitionOffsets {
  logStartOffset: number;
  highWatermark: number;
}

/** Log start offset and high watermark of each of `partitions`. */
export async function watermarks(client: KafkaClient, topic: string, partitions: number[]): Promise<Map<number, PartitionOffsets>> {
  const [starts, ends] = await Promise.all([listOffsets(client, topic, partitions, EARLIEST), listOffsets(client, topic, partitions, LATEST)]);
  return new Map(partitions.map((p) => [p, { logStartOffset: starts.get(p)!, highWatermark: ends.get(p)! }]));
}

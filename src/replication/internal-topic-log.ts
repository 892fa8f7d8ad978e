/**
 * This shard's replicas of one internal topic (`__consumer_offsets`) as a log per partition for
 * an internal writer (the group coordinator, through group/'s `GroupLogReplicas`): leadership
 * as "ready to append" (a leader that committed an entry of its term, so its whole log is
 * committed), appends as one proposed batch resolved at commit, and the committed record values.
 */
import { buildBatch } from "../storage/batch-builder.ts";
import type { PartitionRef } from "../kafka/ops.ts";
import type { ReplicatedPartitions } from "./replicated-partitions.ts";

export class InternalTopicLog {
  private readonly listeners: Array<(partition: number, leading: boolean) => void> = [];
  /** The partitions whose replica here is ready now: a listener added later is told of them. */
  private readonly ready = new Set<number>();

  constructor(
    private readonly topic: string,
    private readonly partitions: ReplicatedPartitions,
    private readonly nowMs: () => number,
  ) {}

  /** For ShardReplication: a replica here became ready to append, or stopped. */
  readiness(ref: PartitionRef, ready: boolean): void {
    if (ref.topic !== this.topic) return;
    if (ready) this.ready.add(ref.partition);
    else this.ready.delete(ref.partition);
    for (const listener of this.listeners) listener(ref.partition, ready);
  }

  onLeadership(listener: (partition: number, leading: boolean) => void): void {
    this.listeners.push(listener);
    for (const partition of this.ready) listener(partition, true);
  }

  /** Elected, but no entry of its term committed yet (then `readiness` tells it ready). */
  electedNotReady(partition: number): boolean {
    return this.partitions.replica({ topic: this.topic, partition })?.isLeader === true && !this.ready.has(partition);
  }

  append(partition: number, values: Uint8Array[]): Promise<void> {
    const batch = buildBatch({ baseTimestamp: this.nowMs(), records: values.map((value) => ({ value })) });
    return this.replica(partition).proposeCommitted(batch);
  }

  readCommitted(partition: number): Promise<Uint8Array[]> {
    return this.replica(partition).committedValues();
  }

  private replica(partition: number) {
    const replica = this.partitions.replica({ topic: this.topic, partition });
    if (!replica) throw new Error(`no replica of ${this.topic}/${partition} on this shard`);
    return replica;
  }
}

/**
 * The durable side of a cluster node's transactions: transaction-log partition p is partition p
 * of the replicated internal topic `__transaction_state` (Kafka's name), and this node coordinates
 * the transactional ids of p only while its replica of p leads (the same rule as the groups of
 * `__consumer_offsets`, group/replicated-store.ts). Leading starts with a replay of p's committed
 * log (COORDINATOR_LOAD_IN_PROGRESS meanwhile) and a new coordinator epoch written through the log,
 * so markers of an earlier leader can be told from ours; it ends with p's ids dropped from memory
 * (NOT_COORDINATOR). Replication lives behind `GroupLogReplicas`, which the shard injects.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import { type GroupLogReplicas, servingRefusal } from "../group/replicated-store.ts";
import { txnPartitionOf } from "./partitioning.ts";
import type { TxnMetadata } from "./transaction.ts";
import { replayTxnRecords, txnRecordFormat, type TxnRecord } from "./txn-log.ts";

/** The internal topic holding the transactions of a cluster (Kafka's name). */
export const TXN_TOPIC = "__transaction_state";

type PartitionState = { kind: "loading" | "leading"; generation: number; coordinatorEpoch: number };

export interface ReplicatedTxnStoreOptions {
  replicas: GroupLogReplicas;
  log: Logger;
  /** A partition is served from now on: its transactional ids, as its committed log left them. */
  onLoaded: (partition: number, transactions: TxnMetadata[]) => void;
  /** A partition is no longer led here: forget its transactional ids. */
  onUnloaded: (partition: number) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ReplicatedTxnStore {
  private readonly partitions = new Map<number, PartitionState>();
  private generations = 0;

  constructor(private readonly o: ReplicatedTxnStoreOptions) {}

  /** Starts following leadership (after the coordinator is ready to take what a load hands it). */
  start(): void {
    this.o.replicas.onLeadership((partition, leading) => (leading ? void this.load(partition) : this.unload(partition)));
  }

  /** null when this node coordinates the id now, else the error its requests get. */
  refusal(transactionalId: string): number | null {
    const partition = txnPartitionOf(transactionalId);
    return servingRefusal(this.partitions.get(partition), this.o.replicas, partition);
  }

  coordinatorEpochOf(transactionalId: string): number {
    return this.partitions.get(txnPartitionOf(transactionalId))?.coordinatorEpoch ?? 0;
  }

  /** Appends an id's records; resolves once a majority of the partition's replicas has them. Throws when not led here (before or meanwhile). */
  async append(transactionalId: string, records: TxnRecord[]): Promise<void> {
    const partition = txnPartitionOf(transactionalId);
    const state = this.partitions.get(partition);
    if (state?.kind !== "leading") throw new Error(`transactional id ${transactionalId}: partition ${partition} of ${TXN_TOPIC} is not led here`);
    await this.appendTo(partition, records);
    // Committed, but this node stopped leading meanwhile: the new leader replays it; memory here is gone.
    if (this.partitions.get(partition)?.generation !== state.generation) throw new Error(`transactional id ${transactionalId}: lost the leadership of partition ${partition} meanwhile`);
  }

  private appendTo(partition: number, records: TxnRecord[]): Promise<void> {
    return this.o.replicas.append(partition, records.map((r) => encoder.encode(JSON.stringify(r))));
  }

  private async load(partition: number): Promise<void> {
    const state: PartitionState = { kind: "loading", generation: ++this.generations, coordinatorEpoch: 0 };
    this.partitions.set(partition, state);
    try {
      const values = await this.o.replicas.readCommitted(partition);
      if (this.partitions.get(partition) !== state) return;
      const records: TxnRecord[] = [];
      let skipped = 0;
      for (const value of values) {
        const record = parseRecord(value);
        if (record) records.push(record);
        else skipped++;
      }
      if (skipped > 0) this.o.log.warn("skipped records that are no transaction records", { topic: TXN_TOPIC, partition, skipped });
      const { transactions, coordinatorEpoch } = replayTxnRecords(records);
      // Our epoch, durable before any marker of ours leaves: every earlier leader's is lower.
      const epoch = coordinatorEpoch + 1;
      await this.appendTo(partition, [{ k: "ce", e: epoch }]);
      if (this.partitions.get(partition) !== state) return;
      this.partitions.set(partition, { kind: "leading", generation: state.generation, coordinatorEpoch: epoch });
      this.o.onLoaded(partition, transactions);
      this.o.log.info("transactions loaded", { topic: TXN_TOPIC, partition, transactionalIds: transactions.length, coordinatorEpoch: epoch });
    } catch (error) {
      rethrowIfBroken(error);
      // Not loaded (the replica stopped leading or failed while reading): it serves nothing; a new leadership reloads.
      if (this.partitions.get(partition) === state) this.partitions.delete(partition);
      this.o.log.warn("could not load transactions", { topic: TXN_TOPIC, partition, error: String(error) });
    }
  }

  private unload(partition: number): void {
    const state = this.partitions.get(partition);
    if (state === undefined) return;
    this.partitions.delete(partition);
    if (state.kind === "leading") this.o.onUnloaded(partition);
    this.o.log.info("transactions unloaded: no longer the leader", { topic: TXN_TOPIC, partition });
  }
}

function parseRecord(value: Uint8Array): TxnRecord | null {
  try {
    return txnRecordFormat.parse(JSON.parse(decoder.decode(value)));
  } catch {
    return null;
  }
}

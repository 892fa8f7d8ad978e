/**
 * The durable side of a shard's transactions, our `__transaction_state`: one log per
 * transaction-log partition the shard owns, `<data-dir>/transactions/<partition>/txns.log`, in
 * the group log's format (CRC-32C framed JSON, group commit, torn-tail cut, compaction by
 * rewrite + rename; see group/group-log.ts). Each transition writes a transactional id's whole
 * metadata, so replay keeps the last record per id. Each time a partition is loaded its
 * coordinator epoch goes up by one and is written first, so markers sent by an earlier
 * incarnation can be told from ours (Kafka's coordinator epoch is the partition's leader epoch).
 */
import { join } from "node:path";
import { limits } from "../base/limits.ts";
import type { Disk } from "../io/disk.ts";
import { encodeRecords, GroupLog, type RecordFormat } from "../group/group-log.ts";
import { txnPartitionOf, txnPartitionsOfShard } from "./partitioning.ts";
import type { TxnMetadata } from "./transaction.ts";

export type TxnRecord =
  /** A transactional id's metadata after a transition. */
  | { k: "t"; m: TxnMetadata }
  /** A transactional id expired (transactional_id_expiration_ms). */
  | { k: "td"; id: string }
  /** This partition's coordinator epoch, written each time it is loaded. */
  | { k: "ce"; e: number };

const TXN_STATES = new Set(["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"]);

function isMetadata(m: unknown): m is TxnMetadata {
  const v = m as TxnMetadata;
  return !!v && typeof v.transactionalId === "string" && typeof v.producerId === "number" && typeof v.producerEpoch === "number" &&
    TXN_STATES.has(v.state) && Array.isArray(v.partitions) && Array.isArray(v.groups);
}

export const txnRecordFormat: RecordFormat<TxnRecord> = {
  fileName: "txns.log",
  parse: (value) => {
    const r = value as TxnRecord;
    if (!r || typeof r !== "object") return null;
    if (r.k === "t") return isMetadata(r.m) ? r : null;
    if (r.k === "td") return typeof r.id === "string" ? r : null;
    if (r.k === "ce") return typeof r.e === "number" ? r : null;
    return null;
  },
};

export interface LoadedPartition {
  partition: number;
  coordinatorEpoch: number;
  transactions: TxnMetadata[];
}

export class TxnStore {
  private readonly logs = new Map<number, GroupLog<TxnRecord>>();
  private readonly compactAtBytes = new Map<number, number>();
  private readonly epochs = new Map<number, number>();

  constructor(
    private readonly options: {
      disk: Disk;
      dataDir: string;
      shardId: number;
      shardCount: number;
      warn: (message: string) => void;
      onFsyncMs?: (ms: number) => void;
      /** The live metadata of one partition, for compaction. */
      liveMetadata: (partition: number) => TxnMetadata[];
    },
  ) {}

  /** Opens this shard's partitions, bumps each one's coordinator epoch durably, returns what they hold. */
  async load(): Promise<LoadedPartition[]> {
    const { shardId, shardCount } = this.options;
    return Promise.all(
      txnPartitionsOfShard(shardId, shardCount).map(async (partition) => {
        const dir = join(this.options.dataDir, "transactions", String(partition));
        const { log, records } = await GroupLog.openFormat({ disk: this.options.disk, dir, warn: this.options.warn, onFsyncMs: this.options.onFsyncMs }, txnRecordFormat);
        const { transactions, coordinatorEpoch } = replayTxnRecords(records);
        const epoch = coordinatorEpoch + 1;
        await log.append([{ k: "ce", e: epoch }]);
        this.logs.set(partition, log);
        this.epochs.set(partition, epoch);
        this.compactAtBytes.set(partition, limits.groupLogCompactBytes);
        return { partition, coordinatorEpoch: epoch, transactions };
      }),
    );
  }

  coordinatorEpochOf(transactionalId: string): number {
    return this.epochs.get(txnPartitionOf(transactionalId)) ?? 0;
  }

  /** Appends a transactional id's records; resolves once they are durable. */
  async append(transactionalId: string, records: TxnRecord[]): Promise<void> {
    const partition = txnPartitionOf(transactionalId);
    const log = this.logs.get(partition);
    if (!log) throw new Error(`transactional id ${transactionalId} (partition ${partition}) is not on shard ${this.options.shardId}`);
    await log.append(records);
    if (log.bytes > this.compactAtBytes.get(partition)!) await this.compact(partition);
  }

  private liveRecords(partition: number): TxnRecord[] {
    return [{ k: "ce", e: this.epochs.get(partition)! }, ...this.options.liveMetadata(partition).map((m): TxnRecord => ({ k: "t", m }))];
  }

  async compact(partition: number): Promise<void> {
    const log = this.logs.get(partition)!;
    await log.compact(() => this.liveRecords(partition));
    this.compactAtBytes.set(partition, Math.max(limits.groupLogCompactBytes, 2 * log.bytes));
  }

  /** Compacts every partition whose log is larger than its live state by more than `slackBytes` (at start). */
  async compactAll(slackBytes: number): Promise<void> {
    for (const [partition, log] of this.logs) {
      if (log.bytes > encodeRecords(this.liveRecords(partition)).length + slackBytes) await this.compact(partition);
    }
  }

  async close(): Promise<void> {
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map((log) => log.close()));
  }
}

/** The last metadata of each id still present, and the highest coordinator epoch written (-1: none). */
export function replayTxnRecords(records: TxnRecord[]): { transactions: TxnMetadata[]; coordinatorEpoch: number } {
  const byId = new Map<string, TxnMetadata>();
  let coordinatorEpoch = -1;
  for (const r of records) {
    if (r.k === "t") byId.set(r.m.transactionalId, r.m);
    else if (r.k === "td") byId.delete(r.id);
    else coordinatorEpoch = Math.max(coordinatorEpoch, r.e);
  }
  return { transactions: [...byId.values()], coordinatorEpoch };
}

/**
 * A shard's transaction coordinator (Kafka's TransactionCoordinator): the transactional ids
 * whose transaction-log partition this shard owns, their state, its durable log, the markers
 * that finish each transaction. Runs on that shard's thread only; every transaction request
 * reaches it as a typed op (types.ts), routed by shardOfTransactionalId().
 *
 * A state is current only once written: a transition is planned (transaction.ts), appended to
 * the log, then applied. EndTxn is answered once PrepareCommit / PrepareAbort is durable; the
 * markers go out after, to every partition (writeMarkers) and group (completeGroup), retried
 * until each answers, then CompleteCommit / CompleteAbort is written. A restart finds the
 * prepared transactions in the log and sends their markers again, so a transaction ends whole.
 *
 * In a cluster (`replicas` given) the log is the replicated `__transaction_state`
 * (replicated-txn-store.ts): this shard serves the ids of a partition while its replica leads,
 * loads them when it becomes leader (finishing prepared transactions the same way; ongoing ones
 * time out as before) and forgets them when it stops.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Servers } from "../base/calls.ts";
import type { Clock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import type { Logger } from "../base/log.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import type { Disk } from "../io/disk.ts";
import type { GroupLogReplicas } from "../group/replicated-store.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { txnPartitionOf } from "./partitioning.ts";
import {
  completed, fencedAbort, hasExpired, hasTimedOut, newMetadata, planAddOffsets, planAddPartitions, planEnd, planInit, verifyGroup, verifyPartitions, type TxnMetadata,
} from "./transaction.ts";
import { TxnStore, type TxnRecord } from "./txn-log.ts";
import { ReplicatedTxnStore } from "./replicated-txn-store.ts";
import type {
  AddOffsetsArgs, AddPartitionsArgs, EndTxnArgs, InitProducerIdArgs, InitProducerIdResult, ListedTxn, ListTxnArgs, TxnDescription, TxnMarker, TxnOps, TxnPartition,
} from "./types.ts";

export interface TxnCoordinatorOptions {
  shardId: number;
  shardCount: number;
  dataDir: string;
  disk: Disk;
  props: ClusterProperties;
  clock: Clock;
  timers: Timers;
  log: Logger;
  metadata: () => MetadataTable;
  /** A producer id never handed out before (the shard's pool). */
  newProducerId: () => Promise<number | { error: string }>;
  /** Writes markers on the partitions' owners; one error code per marker, in order. */
  writeMarkers: (markers: TxnMarker[]) => Promise<number[]>;
  /** Tells a group's coordinator the outcome, so its pending transactional offsets are applied or dropped. */
  completeGroup: (groupId: string, producerId: number, commit: boolean) => Promise<number>;
  onFsyncMs?: (ms: number) => void;
  /** In a cluster: this shard's replicas of `__transaction_state`, the log instead of local files. */
  replicas?: GroupLogReplicas;
}

/** A log bigger than its live state by this much is compacted at start. */
const COMPACT_AT_START_SLACK_BYTES = 1024 * 1024;
/** Marker retries back off from the first to the second (Kafka retries every retry.backoff.ms, 100 ms). */
const MARKER_RETRY_MS_MIN = 100;
const MARKER_RETRY_MS_MAX = 2000;

export class TxnCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** Ids with a transition being written: other requests get CONCURRENT_TRANSACTIONS (Kafka's pending state). */
  private readonly busy = new Set<string>();
  /** Prepared transactions whose markers are being sent, with what is still to be marked. */
  private readonly completing = new Map<string, { partitions: TxnPartition[]; groups: string[] }>();
  private readonly sleepers = new Set<() => void>();
  private readonly store: TxnStore | ReplicatedTxnStore;
  private cancelCheck: CancelTimer | null = null;
  private stopping = false;
  private readonly loaded: Promise<void>;
  private markLoaded!: () => void;

  constructor(private readonly options: TxnCoordinatorOptions) {
    this.loaded = new Promise((resolve) => (this.markLoaded = resolve));
    this.store = options.replicas ? new ReplicatedTxnStore({
      replicas: options.replicas,
      log: options.log,
      onLoaded: (partition, transactions) => this.onLoaded(partition, transactions),
      onUnloaded: (partition) => this.onUnloaded(partition),
    }) : new TxnStore({
      disk: options.disk,
      dataDir: options.dataDir,
      shardId: options.shardId,
      shardCount: options.shardCount,
      warn: (message) => options.log.warn(message),
      onFsyncMs: options.onFsyncMs,
      liveMetadata: (partition) => [...this.txns.values()].filter((m) => txnPartitionOf(m.transactionalId) === partition),
    });
  }

  /** Loads this shard's transactions, finishes the prepared ones, starts the timeout and expiry check. */
  async start(): Promise<void> {
    if (this.store instanceof ReplicatedTxnStore) {
      this.store.start();
      this.scheduleCheck();
      this.markLoaded();
      return;
    }
    for (const loaded of await this.store.load()) for (const meta of loaded.transactions) this.txns.set(meta.transactionalId, meta);
    await this.store.compactAll(COMPACT_AT_START_SLACK_BYTES);
    let prepared = 0;
    for (const meta of this.txns.values()) if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") (prepared++, this.finish(meta.transactionalId));
    this.scheduleCheck();
    this.options.log.info("transactions loaded", { transactionalIds: this.txns.size, prepared });
    this.markLoaded();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelCheck?.();
    for (const wake of this.sleepers) wake();
    if (this.store instanceof TxnStore) await this.store.close();
  }

  /** A partition of `__transaction_state` is led here: its ids are served, its prepared transactions finished. */
  private onLoaded(partition: number, transactions: TxnMetadata[]): void {
    for (const meta of transactions) this.txns.set(meta.transactionalId, meta);
    for (const meta of transactions) if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") this.finish(meta.transactionalId);
  }

  /** A partition is no longer led here: its ids leave memory (their marker rounds stop: they find their metadata gone). */
  private onUnloaded(partition: number): void {
    for (const id of [...this.txns.keys()]) {
      if (txnPartitionOf(id) !== partition) continue;
      this.txns.delete(id);
      this.completing.delete(id);
    }
  }

  /** null when this shard coordinates the id now; else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS (a cluster). */
  private refusal(transactionalId: string): number | null {
    return this.store instanceof ReplicatedTxnStore ? this.store.refusal(transactionalId) : null;
  }

  /** The error of a failed write: NOT_COORDINATOR when leadership went meanwhile, so the client finds the new coordinator. */
  private writeFailure(transactionalId: string): number {
    return this.refusal(transactionalId) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  readonly servers: Servers<TxnOps> = {
    txnInitProducerId: (request) => this.whenLoaded(() => this.initProducerId(request)),
    txnAddPartitions: (request) => this.whenLoaded(async () => ({ errorCodes: await this.addPartitions(request) })),
    txnAddOffsets: (request) => this.whenLoaded(async () => ({ errorCode: await this.addOffsets(request) })),
    txnEnd: (request) => this.whenLoaded(async () => ({ errorCode: await this.end(request) })),
    txnDescribe: (request) => this.whenLoaded(() => request.transactionalIds.map((id) => this.describe(id))),
    txnList: (request) => this.whenLoaded(() => this.list(request)),
  };

  private async whenLoaded<T>(work: () => T | Promise<T>): Promise<T> {
    await this.loaded;
    return work();
  }

  /** The state of one id, for tests and the admin side. */
  stateOf(transactionalId: string): TxnMetadata | undefined {
    return this.txns.get(transactionalId);
  }

  async initProducerId(args: InitProducerIdArgs): Promise<InitProducerIdResult> {
    const fail = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 });
    const id = args.transactionalId;
    if (id === "" || id.length > limits.transactionalIdCharsMax) return fail(ErrorCode.INVALID_REQUEST);
    if (args.transactionTimeoutMs <= 0 || args.transactionTimeoutMs > this.options.props.transaction_max_timeout_ms) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const refusal = this.refusal(id);
    if (refusal !== null) return fail(refusal);
    if (this.busy.has(id)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    this.busy.add(id);
    try {
      const nowMs = this.options.clock.nowMs();
      let meta = this.txns.get(id);
      if (!meta) {
        const producerId = await this.options.newProducerId();
        if (typeof producerId !== "number") return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        meta = newMetadata(id, producerId, args.transactionTimeoutMs, nowMs);
      }
      const plan = planInit(meta, args, nowMs);
      if (plan.kind === "error") return fail(plan.errorCode);
      const next = plan.next;
      if (plan.kind === "write" && plan.newProducerId) {
        const producerId = await this.options.newProducerId();
        if (typeof producerId !== "number") return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        next.producerId = producerId;
      }
      if (!(await this.write(next))) return fail(this.writeFailure(id));
      if (plan.kind === "fenceAndAbort") {
        this.finish(id);
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS); // the producer retries once the old transaction is aborted
      }
      return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch };
    } finally {
      this.busy.delete(id);
    }
  }

  async addPartitions(args: AddPartitionsArgs): Promise<number[]> {
    const all = (code: number) => args.partitions.map(() => code);
    if (args.transactionalId === "") return all(ErrorCode.INVALID_REQUEST);
    const refusal = this.refusal(args.transactionalId);
    if (refusal !== null) return all(refusal);
    const meta = this.txns.get(args.transactionalId);
    if (!meta) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (args.verifyOnly) return this.busy.has(args.transactionalId) ? all(ErrorCode.CONCURRENT_TRANSACTIONS) : verifyPartitions(meta, args);
    const table = this.options.metadata();
    const unknown = args.partitions.map((p) => !partitionExists(table, p));
    if (unknown.some(Boolean)) return unknown.map((u) => (u ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
    if (meta.partitions.length + args.partitions.length > limits.txnPartitionsMax) return all(ErrorCode.INVALID_REQUEST);
    if (this.busy.has(args.transactionalId)) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    const plan = planAddPartitions(meta, args, this.options.clock.nowMs());
    if (plan.kind === "error") return all(plan.errorCode);
    if (plan.kind === "write" && !(await this.writeExclusive(plan.next))) return all(this.writeFailure(args.transactionalId));
    return all(ErrorCode.NONE);
  }

  async addOffsets(args: AddOffsetsArgs): Promise<number> {
    if (args.transactionalId === "") return ErrorCode.INVALID_REQUEST;
    if (args.groupId === "") return ErrorCode.INVALID_GROUP_ID;
    const refusal = this.refusal(args.transactionalId);
    if (refusal !== null) return refusal;
    const meta = this.txns.get(args.transactionalId);
    if (!meta) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (this.busy.has(args.transactionalId)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (args.verifyOnly) return verifyGroup(meta, args, args.groupId);
    if (meta.groups.length >= limits.txnGroupsMax && !meta.groups.includes(args.groupId)) return ErrorCode.INVALID_REQUEST;
    const plan = planAddOffsets(meta, args, args.groupId, this.options.clock.nowMs());
    if (plan.kind === "error") return plan.errorCode;
    if (plan.kind === "write" && !(await this.writeExclusive(plan.next))) return this.writeFailure(args.transactionalId);
    return ErrorCode.NONE;
  }

  /** Answered once PrepareCommit / PrepareAbort is durable; the markers follow (finish). */
  async end(args: EndTxnArgs): Promise<number> {
    if (args.transactionalId === "") return ErrorCode.INVALID_REQUEST;
    const refusal = this.refusal(args.transactionalId);
    if (refusal !== null) return refusal;
    const meta = this.txns.get(args.transactionalId);
    if (!meta) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (this.busy.has(args.transactionalId)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const plan = planEnd(meta, args, this.options.clock.nowMs());
    if (plan.kind === "error") return plan.errorCode;
    if (plan.kind === "none") return ErrorCode.NONE;
    if (!(await this.writeExclusive(plan.next))) return this.writeFailure(args.transactionalId);
    this.finish(args.transactionalId);
    return ErrorCode.NONE;
  }

  describe(transactionalId: string): TxnDescription {
    const meta = this.txns.get(transactionalId);
    if (!meta) return { errorCode: this.refusal(transactionalId) ?? ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, state: "", timeoutMs: 0, startTimeMs: -1, producerId: -1, producerEpoch: -1, partitions: [] };
    const partitions = this.completing.get(transactionalId)?.partitions ?? meta.partitions;
    return {
      errorCode: ErrorCode.NONE, transactionalId, state: meta.state, timeoutMs: meta.timeoutMs, startTimeMs: meta.startMs,
      producerId: meta.producerId, producerEpoch: meta.producerEpoch, partitions,
    };
  }

  list(args: ListTxnArgs): ListedTxn[] {
    const states = new Set(args.states);
    const producerIds = new Set(args.producerIds);
    const nowMs = this.options.clock.nowMs();
    return [...this.txns.values()]
      .filter((m) => states.size === 0 || states.has(m.state))
      .filter((m) => producerIds.size === 0 || producerIds.has(m.producerId))
      .filter((m) => args.durationMs < 0 || (m.startMs >= 0 && nowMs - m.startMs > args.durationMs))
      .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, state: m.state }));
  }

  /** Writes a transition while no other is in flight for the id. */
  private async writeExclusive(next: TxnMetadata): Promise<boolean> {
    this.busy.add(next.transactionalId);
    try {
      return await this.write(next);
    } finally {
      this.busy.delete(next.transactionalId);
    }
  }

  /** Appends `next` and makes it current once durable; false when the write failed (the state stays as it was). */
  private async write(next: TxnMetadata): Promise<boolean> {
    return this.append(next.transactionalId, [{ k: "t", m: next }], () => this.txns.set(next.transactionalId, next));
  }

  private async append(transactionalId: string, records: TxnRecord[], apply: () => void): Promise<boolean> {
    try {
      await this.store.append(transactionalId, records);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("transaction log write failed", { transactionalId, error: String(error) });
      return false;
    }
    apply();
    return true;
  }

  /** Sends the markers of a prepared transaction until every partition and group has answered, then completes it. */
  private finish(transactionalId: string): void {
    const meta = this.txns.get(transactionalId)!;
    if (this.completing.has(transactionalId) || (meta.state !== "PrepareCommit" && meta.state !== "PrepareAbort")) return;
    const left = { partitions: [...meta.partitions], groups: [...meta.groups] };
    this.completing.set(transactionalId, left);
    void this.sendMarkers(meta, left)
      .catch((error) => {
        rethrowIfBroken(error);
        this.options.log.error("transaction markers failed", { transactionalId, error: String(error) });
      })
      .finally(() => this.completing.get(transactionalId) === left && this.completing.delete(transactionalId));
  }

  private async sendMarkers(meta: TxnMetadata, left: { partitions: TxnPartition[]; groups: string[] }): Promise<void> {
    const commit = meta.state === "PrepareCommit";
    let retryMs = MARKER_RETRY_MS_MIN;
    // Also stops once the id left memory (its partition is led elsewhere now: the new leader finishes it).
    while (!this.stopping && this.txns.get(meta.transactionalId) === meta) {
      left.partitions = await this.markPartitions(meta, commit, left.partitions);
      left.groups = await this.markGroups(meta, commit, left.groups);
      if (left.partitions.length === 0 && left.groups.length === 0) break;
      await this.sleep(retryMs);
      retryMs = Math.min(MARKER_RETRY_MS_MAX, retryMs * 2);
    }
    if (this.stopping || this.txns.get(meta.transactionalId) !== meta) return;
    // A failed write leaves it prepared: the periodic check finishes it again.
    await this.write(completed(meta, this.options.clock.nowMs()));
  }

  /** The partitions still to be marked after one round. */
  private async markPartitions(meta: TxnMetadata, commit: boolean, partitions: TxnPartition[]): Promise<TxnPartition[]> {
    if (partitions.length === 0) return [];
    const coordinatorEpoch = this.store.coordinatorEpochOf(meta.transactionalId);
    const markers = partitions.map((p) => ({ topic: p.topic, partition: p.partition, producerId: meta.producerId, producerEpoch: meta.producerEpoch, commit, coordinatorEpoch }));
    let codes: number[];
    try {
      codes = await this.options.writeMarkers(markers);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.warn("transaction markers not written, retrying", { transactionalId: meta.transactionalId, error: String(error) });
      return partitions;
    }
    const table = this.options.metadata();
    return partitions.filter((p, i) => {
      const code = codes[i];
      if (code === ErrorCode.NONE) return false;
      if (!partitionExists(table, p)) return false; // the topic was deleted: nothing left to mark
      if (code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
        // A newer epoch or coordinator already wrote there; this marker no longer matters (Kafka stops sending it).
        this.options.log.warn("transaction marker refused", { transactionalId: meta.transactionalId, topic: p.topic, partition: p.partition, errorCode: code });
        return false;
      }
      return true;
    });
  }

  private async markGroups(meta: TxnMetadata, commit: boolean, groups: string[]): Promise<string[]> {
    const left: string[] = [];
    for (const groupId of groups) {
      const code = await this.options.completeGroup(groupId, meta.producerId, commit).catch((error) => (rethrowIfBroken(error), ErrorCode.COORDINATOR_NOT_AVAILABLE));
      if (code !== ErrorCode.NONE) left.push(groupId);
    }
    return left;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        cancel();
        resolve();
      };
      const cancel = this.options.timers.after(ms, wake);
      this.sleepers.add(wake);
    });
  }

  /** Every tx_timeout_delay_ms: abort timed-out transactions, forget expired ids, finish prepared ones left behind. */
  private scheduleCheck(): void {
    this.cancelCheck = this.options.timers.after(this.options.props.tx_timeout_delay_ms, () => {
      if (this.stopping) return;
      void this.check()
        .catch((error) => {
          rethrowIfBroken(error);
          this.options.log.error("transaction check failed", { error: String(error) });
        })
        .finally(() => this.stopping || this.scheduleCheck());
    });
  }

  async check(): Promise<void> {
    const nowMs = this.options.clock.nowMs();
    const expirationMs = this.options.props.transactional_id_expiration_ms;
    for (const meta of [...this.txns.values()]) {
      const id = meta.transactionalId;
      if (this.busy.has(id) || this.completing.has(id)) continue;
      if (hasTimedOut(meta, nowMs)) {
        this.options.log.info("transaction timed out, aborting", { transactionalId: id, producerId: meta.producerId, timeoutMs: meta.timeoutMs });
        if (await this.writeExclusive(fencedAbort(meta, nowMs))) this.finish(id);
      } else if (hasExpired(meta, nowMs, expirationMs)) {
        await this.append(id, [{ k: "td", id }], () => this.txns.delete(id));
      } else if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") {
        this.finish(id);
      }
    }
  }

  get transactionCount(): number {
    return this.txns.size;
  }
}

/** Whether the partition exists: in a cluster also when this node holds no replica of it (`ownerOf` is undefined then). */
function partitionExists(table: MetadataTable, p: TxnPartition): boolean {
  return table.assignment(p.topic, p.partition) !== undefined || table.ownerOf(p.topic, p.partition) !== undefined;
}

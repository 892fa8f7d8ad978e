/**
 * The partitions this shard owns: their logs, their fetch waiters, group commit. Runs only on
 * the owning shard's thread, so nothing here needs a lock.
 */
import { join } from "node:path";
import { assert, rethrowIfBroken } from "../base/assert.ts";
import type { Servers } from "../base/calls.ts";
import type { Clock } from "../base/clock.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import type { Logger } from "../base/log.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import { type EffectiveTopicConfig, effectiveTopicConfig } from "../cluster/topic-config.ts";
import type { Disk } from "../io/disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { AppendPolicy } from "../storage/batch-rewrite.ts";
import { Flusher } from "../storage/flusher.ts";
import { LogFailedError, PartitionLog, type SharedLogResources } from "../storage/partition-log.ts";
import { DiskSpaceGuard } from "./disk-space.ts";
import { loadProducerState, saveProducerState } from "../storage/producer-snapshot.ts";
import type { ProducerState } from "../storage/producer-state.ts";
import { ReadAheadBudget } from "../storage/read-ahead.ts";
import { RecentBatchCache } from "../storage/recent-batch-cache.ts";
import { SealedFileLru } from "../storage/sealed-file-lru.ts";
import { answerDuplicate } from "./idempotence.ts";
import { compactLog } from "../storage/compaction.ts";
import { compactInHousekeeping } from "../storage/compaction-pass.ts";
import { appendPolicyOf, prepareProduced, sequenceRefusal } from "../kafka/produce-checks.ts";
import { transactionToVerify, verificationRefusal, type VerifyTxnPartition } from "../kafka/txn-verification.ts";
import type { TxnMarker } from "../storage/control-batch.ts";
import { abortedTxnsIn, appendMarker } from "../storage/txn-markers.ts";
import type { ActiveProducer, OffsetAnswer, OffsetQuery, OpRequest, OpResponse, PartitionOps, PartitionRef, ProduceItem, ProduceResult, ReadItem, ReadResult, WatchItem } from "../kafka/ops.ts";

const NO_RECORDS = new Uint8Array(0);

/** What a topic's logs on this shard are opened and produced to with: one object for all of them. */
interface TopicSettings {
  config: EffectiveTopicConfig;
  policy: AppendPolicy;
}

function topicSettings(config: EffectiveTopicConfig): TopicSettings {
  return { config, policy: appendPolicyOf(config) };
}

interface WantedPartition {
  topic: string;
  partition: number;
  settings: TopicSettings;
}

const key = (ref: PartitionRef) => `${ref.topic}/${ref.partition}`;

function parseKey(k: string): PartitionRef {
  const slash = k.lastIndexOf("/");
  return { topic: k.slice(0, slash), partition: Number(k.slice(slash + 1)) };
}

export class LocalPartitions {
  private readonly logs = new Map<string, PartitionLog>();
  /** Idempotent-producer state of each open log, rebuilt from its batch headers when opened. */
  private readonly producerStates = new WeakMap<PartitionLog, ProducerState>();
  /** What produce changes in each log's batches (its topic's timestamp and compression configs). */
  private readonly appendPolicies = new WeakMap<PartitionLog, AppendPolicy>();
  /** Work in progress per partition, so a partition leaves only once its appends and reads are done. */
  private readonly inflight = new Map<string, Set<Promise<unknown>>>();
  /** Partitions handed off by a live move, not to be reopened while the table still names this shard. */
  private readonly released = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Open watches by id, to end early (`unwatch`). */
  private readonly watches = new Map<string, (woken: boolean) => void>();
  private readonly cache = new RecentBatchCache();
  private readonly readAhead = new ReadAheadBudget();
  private readonly sealedFiles = new SealedFileLru();
  /** The same cache, read-ahead budget and file LRU for the shard's replicated logs. */
  readonly logResources: SharedLogResources = { cache: this.cache, readAhead: this.readAhead, sealedFiles: this.sealedFiles };
  private readonly flusher: Flusher;
  private cancelHousekeeping: CancelTimer | null = null;
  private readonly space: DiskSpaceGuard;

  constructor(
    private readonly options: {
      shardId: number;
      disk: Disk;
      dataDir: string;
      props: ClusterProperties;
      clock: Clock;
      timers: Timers;
      log: Logger;
      onFsyncMs: (ms: number) => void;
      /** KIP-890: asks the transaction coordinator before a transactional batch opens a transaction here; absent: not verified. */
      verifyTxnPartition?: VerifyTxnPartition;
    },
  ) {
    this.flusher = new Flusher(options.clock, options.onFsyncMs);
    this.space = new DiskSpaceGuard({
      disk: options.disk,
      dir: options.dataDir,
      minFreeBytes: options.props.storage_min_free_bytes,
      checkIntervalMs: options.props.storage_space_check_interval_ms,
      timers: options.timers,
      log: options.log,
    });
  }

  /** One server per partition op (the compiler checks none is missing). */
  readonly servers: Servers<PartitionOps> = {
    produce: (request) => this.produce(request.items),
    read: (request) => this.read(request.items),
    listOffsets: (request) => this.listOffsets(request.items),
    deleteRecords: (request) => this.deleteRecords(request.items),
    writeTxnMarkers: (request) => this.writeTxnMarkers(request.items),
    describeProducers: (request) => this.describeProducers(request.items),
    sizes: (request) => this.sizes(request.items),
    watch: (request) => this.watch(request.watchId, request.items, request.waitMs),
    unwatch: (request) => this.unwatch(request.watchId),
  };

  owned(): PartitionRef[] {
    return [...this.logs.keys()].map(parseKey);
  }

  /** Opens the logs this shard now owns (recovering each) and closes the ones it no longer owns. */
  async sync(table: MetadataTable): Promise<void> {
    const wanted = new Map<string, WantedPartition>();
    for (const topic of table.topics()) {
      if (topic.assignments) continue; // a cluster's partitions are Raft groups (replication/)
      let settings: TopicSettings | null = null; // one for all of the topic's logs here, made once
      topic.shards.forEach((shard, partition) => {
        if (shard !== this.options.shardId) return;
        settings ??= topicSettings(effectiveTopicConfig(this.options.props, topic.configs));
        wanted.set(key({ topic: topic.name, partition }), { topic: topic.name, partition, settings });
      });
    }
    for (const k of this.released) if (!wanted.has(k)) this.released.delete(k);
    for (const k of [...this.logs.keys()]) if (!wanted.has(k)) await this.closeLog(k);
    await Promise.all([...wanted].filter(([k]) => !this.logs.has(k) && !this.released.has(k)).map(([k, p]) => this.openLog(k, p)));
    for (const [k, p] of wanted) {
      const log = this.logs.get(k);
      if (!log) continue;
      log.reconfigure(p.settings.config);
      this.appendPolicies.set(log, p.settings.policy);
    }
  }

  /**
   * First half of a live move: stop taking requests for the partition (they get
   * NOT_LEADER_OR_FOLLOWER, which clients retry), let in-flight appends and reads finish,
   * flush and close the log. The new owner opens it when the metadata update arrives.
   */
  async release(ref: PartitionRef): Promise<void> {
    const k = key(ref);
    this.released.add(k);
    await this.closeLog(k);
  }

  private async closeLog(k: string): Promise<void> {
    const log = this.logs.get(k);
    if (!log) return;
    this.logs.delete(k);
    this.wake(k); // waiting fetches re-read and learn the partition moved
    await Promise.allSettled([...(this.inflight.get(k) ?? [])]);
    await this.closeWithSnapshot(log);
  }

  /** Closes a log and, when every append reached it, saves its producer state for a quick reopen. */
  private async closeWithSnapshot(log: PartitionLog): Promise<void> {
    await log.close();
    const producers = this.producerStates.get(log);
    if (!producers || log.failed) return;
    await saveProducerState(this.options.disk, log, producers).catch((error: unknown) => {
      rethrowIfBroken(error);
      this.options.log.warn("could not save producer state", { dir: log.dir, error: String(error) });
    });
  }

  /** Runs `work` on a partition's log, counted as in flight until it settles. */
  private track<T>(k: string, work: Promise<T>): Promise<T> {
    let set = this.inflight.get(k);
    if (!set) this.inflight.set(k, (set = new Set()));
    set.add(work);
    const done = () => {
      set.delete(work);
      if (set.size === 0 && this.inflight.get(k) === set) this.inflight.delete(k);
    };
    work.then(done, done);
    return work;
  }

  details(): Array<PartitionRef & { highWatermark: number; logStartOffset: number; sizeBytes: number }> {
    return [...this.logs].map(([k, log]) => ({ ...parseKey(k), highWatermark: log.highWatermark, logStartOffset: log.logStartOffset, sizeBytes: log.sizeBytes }));
  }

  /** The shard's read-ahead counters (reads started, reads used). */
  /** Bytes the shard-wide cache and read-ahead hold now. */
  get memory(): { recentBatchCache: number; readAhead: number } {
    return { recentBatchCache: this.cache.sizeBytes, readAhead: this.readAhead.heldBytes };
  }

  get readAheadStats(): Pick<ReadAheadBudget, "started" | "used"> {
    return this.readAhead;
  }

  sizeBytes(): number {
    let total = 0;
    for (const log of this.logs.values()) total += log.sizeBytes;
    return total;
  }

  private async openLog(k: string, p: WantedPartition): Promise<void> {
    const log = await PartitionLog.open({
      disk: this.options.disk,
      dir: join(this.options.dataDir, "kafka", p.topic, String(p.partition)),
      config: p.settings.config,
      clock: this.options.clock,
      cache: this.cache,
      readAhead: this.readAhead,
      sealedFiles: this.sealedFiles,
      log: this.warnFor(k),
      onCut: this.truncateProducers,
    });
    this.producerStates.set(log, await loadProducerState(this.options.disk, log));
    this.appendPolicies.set(log, p.settings.policy);
    this.logs.set(k, log);
  }

  /** A log's warnings name its partition. Made outside openLog, so each log's closure holds only the key, not openLog's scope. */
  private warnFor(k: string): (message: string) => void {
    return (message) => this.options.log.warn(message, { partition: k });
  }

  /** A log cut back after a failure: its producers forget the batches past the cut. */
  private readonly truncateProducers = (endOffset: number, log: PartitionLog) => this.producerStates.get(log)?.truncate(endOffset);

  /** Retention and compaction run in the background on the owning shard, at the pace of log_compaction_interval_ms. */
  startHousekeeping(): Promise<void> {
    const run = async () => {
      for (const [k, log] of this.logs) {
        if (this.logs.get(k) !== log) continue; // moved or deleted while an earlier one ran
        const deleted = await log.enforceRetention(this.options.clock.nowMs()).catch((error: unknown) => {
          rethrowIfBroken(error);
          this.options.log.error("retention failed", { partition: k, error: String(error) });
          return 0;
        });
        if (deleted > 0) {
          this.wake(k);
          this.options.log.info("retention deleted segments", { partition: k, segments: deleted, logStartOffset: log.logStartOffset });
        }
        const compaction = { nowMs: this.options.clock.nowMs(), keyMapBudgetBytes: this.options.props.storage_compaction_key_map_memory, stableOffset: this.lastStableOffsetOf(log) };
        await compactInHousekeeping(k, () => compactLog(log, compaction), this.options.log);
      }
      this.cancelHousekeeping = this.options.timers.after(this.options.props.log_compaction_interval_ms, () => void run());
    };
    this.cancelHousekeeping = this.options.timers.after(this.options.props.log_compaction_interval_ms, () => void run());
    return this.space.start();
  }

  async closeAll(): Promise<void> {
    this.cancelHousekeeping?.();
    this.space.stop();
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map((log) => this.closeWithSnapshot(log)));
  }

  produce(items: ProduceItem[]): Promise<ProduceResult[]> {
    return Promise.all(items.map((item) => this.track(key(item), this.produceOne(item))));
  }

  private async produceOne(item: ProduceItem): Promise<ProduceResult> {
    const log = this.logs.get(key(item));
    if (!log) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: "partition is not on this shard", baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    const nowMs = this.options.clock.nowMs();
    const policy = this.appendPolicies.get(log)!;
    const prepared = prepareProduced(item, item.records, { maxMessageBytes: log.config.maxMessageBytes, compact: log.config.cleanup?.compact ?? false }, policy, nowMs);
    if (!prepared.ok) return prepared.result;
    const records = prepared.records;
    const producers = this.producerStates.get(log)!;
    const unverified = await this.verifyTransaction(item, log, records, producers);
    if (unverified) return unverified;
    // Check, append and record with no await in between: nothing may interleave on this partition.
    const verdict = producers.checkPayload(records);
    if (verdict.kind === "duplicate") return answerDuplicate(log, verdict.batch, item.acks, this.flusher);
    if (verdict.kind !== "append") return sequenceRefusal(verdict);
    const lowSpace = this.space.refusal(records.length);
    if (lowSpace) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: lowSpace, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    try {
      // acks=-1 batches become visible (and are answered) only after their fdatasync; every
      // answer waits for visibility, so nothing acknowledged is ever cut after a failure.
      const appended = log.append(records, nowMs, { sync: item.acks === -1 });
      producers.recordPayload(records, appended.visible);
      await appended.written;
      if (item.acks === -1) await this.flusher.requestFlush(log);
      await appended.visible;
      this.wake(key(item));
      const logAppendTimeMs = policy.logAppendTime ? appended.logAppendTimeMs : -1;
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: appended.baseOffset, logAppendTimeMs, logStartOffset: log.logStartOffset };
    } catch (error) {
      rethrowIfBroken(error);
      // A refusal while the log recovers from a failure was logged once, by the log.
      if (!(error instanceof LogFailedError)) this.options.log.error("append failed", { partition: key(item), error: String(error) });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: String(error), baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    }
  }

  /** As Kafka: never below the log start (DeleteRecords or retention may have removed an open transaction's start). */
  private lastStableOffsetOf(log: PartitionLog): number {
    return Math.max(this.producerStates.get(log)!.lastStableOffset(log.highWatermark), log.logStartOffset);
  }

  /**
   * KIP-890 part 1: a transactional batch that would open its producer's transaction here is
   * checked with the coordinator first. Null when it may go on to the append.
   */
  private async verifyTransaction(item: ProduceItem, log: PartitionLog, records: Uint8Array, producers: ProducerState): Promise<ProduceResult | null> {
    const verify = this.options.verifyTxnPartition;
    if (!verify || !item.transactionalId) return null;
    const txn = transactionToVerify(records, producers);
    if (txn === null) return null;
    const markersBefore = producers.markersSeenOf(txn.producerId);
    let errorCode: number;
    try {
      errorCode = await verify(item.transactionalId, txn.producerId, txn.producerEpoch, item);
    } catch (error) {
      rethrowIfBroken(error);
      errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE; // the coordinator's shard could not answer: the producer retries
    }
    if (errorCode !== ErrorCode.NONE) return verificationRefusal(errorCode);
    if (this.logs.get(key(item)) !== log) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: "partition is not on this shard", baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    // Kafka's verification guard: a marker that landed while we asked ended the transaction the answer was about.
    if (producers.markersSeenOf(txn.producerId) !== markersBefore) return verificationRefusal(ErrorCode.INVALID_TXN_STATE);
    return null;
  }

  sizes(items: PartitionRef[]): Promise<Array<{ errorCode: number; sizeBytes: number }>> {
    return Promise.resolve(items.map((item) => {
      const log = this.logs.get(key(item));
      return log ? { errorCode: ErrorCode.NONE, sizeBytes: log.sizeBytes } : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, sizeBytes: -1 };
    }));
  }

  read(items: ReadItem[]): Promise<ReadResult[]> {
    return Promise.all(items.map((item) => {
      const k = key(item);
      const log = this.logs.get(k);
      if (!log) return { ...failedRead(ErrorCode.NOT_LEADER_OR_FOLLOWER), highWatermark: -1, logStartOffset: -1 };
      const lastStableOffset = this.lastStableOffsetOf(log);
      const readEnd = item.readCommitted ? lastStableOffset : log.highWatermark;
      // A consumer that is caught up reads nothing: answered here, with no I/O to track (most partitions of a big fetch session).
      if (item.fetchOffset === readEnd && item.fetchOffset >= log.logStartOffset) {
        return { errorCode: ErrorCode.NONE, highWatermark: log.highWatermark, lastStableOffset, logStartOffset: log.logStartOffset, records: NO_RECORDS, abortedTransactions: item.readCommitted ? [] : null };
      }
      return this.track(k, this.readOne(item, log, lastStableOffset));
    }));
  }

  private async readOne(item: ReadItem, log: PartitionLog, lastStableOffset: number): Promise<ReadResult> {
    let result;
    try {
      result = await log.read(item.fetchOffset, item.maxBytes, item.readCommitted ? lastStableOffset : log.highWatermark);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("read failed", { partition: key(item), error: String(error) });
      return { ...failedRead(ErrorCode.KAFKA_STORAGE_ERROR), highWatermark: log.highWatermark, logStartOffset: log.logStartOffset };
    }
    if (!result.ok) return { ...failedRead(ErrorCode.OFFSET_OUT_OF_RANGE), highWatermark: result.highWatermark, logStartOffset: result.logStartOffset };
    return {
      errorCode: ErrorCode.NONE,
      highWatermark: result.highWatermark,
      lastStableOffset,
      logStartOffset: result.logStartOffset,
      records: result.bytes,
      abortedTransactions: item.readCommitted ? abortedTxnsIn(log, item.fetchOffset, result.bytes) : null,
    };
  }

  deleteRecords(items: OpRequest<"deleteRecords">["items"]): Promise<OpResponse<"deleteRecords">> {
    return Promise.all(items.map((item) => this.track(key(item), this.deleteRecordsOne(item))));
  }

  private async deleteRecordsOne(item: PartitionRef & { offset: number }): Promise<{ errorCode: number; lowWatermark: number }> {
    const log = this.logs.get(key(item));
    if (!log) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 };
    const offset = item.offset === -1 ? log.highWatermark : item.offset;
    if (offset < 0 || offset > log.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: log.logStartOffset };
    try {
      await log.deleteRecordsBefore(offset);
      this.wake(key(item)); // waiting fetches below the new start learn they are out of range
      return { errorCode: ErrorCode.NONE, lowWatermark: log.logStartOffset };
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("delete records failed", { partition: key(item), error: String(error) });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 };
    }
  }

  writeTxnMarkers(items: OpRequest<"writeTxnMarkers">["items"]): Promise<OpResponse<"writeTxnMarkers">> {
    return Promise.all(items.map((item) => this.track(key(item), this.writeTxnMarker(item))));
  }

  /**
   * Appends one commit or abort marker as a control batch, like any batch but always synced
   * (Kafka writes markers with acks=all): the producer's transaction here ends, its records
   * become readable under read_committed once the marker is visible, and an abort is indexed.
   */
  private async writeTxnMarker(item: PartitionRef & TxnMarker): Promise<{ errorCode: number }> {
    const log = this.logs.get(key(item));
    if (!log) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const marker: TxnMarker = { producerId: item.producerId, producerEpoch: item.producerEpoch, commit: item.commit, coordinatorEpoch: item.coordinatorEpoch };
    const nowMs = this.options.clock.nowMs();
    try {
      const result = appendMarker(log, this.producerStates.get(log)!, marker, nowMs);
      if (result.kind === "fenced") return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH };
      if (result.kind === "coordinatorFenced") return { errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED };
      const { appended } = result;
      await appended.written;
      await this.flusher.requestFlush(log);
      await appended.visible;
      this.producerStates.get(log)?.forgetVisibleEnds(log.highWatermark);
      this.wake(key(item)); // read_committed fetches waiting at the last stable offset
      return { errorCode: ErrorCode.NONE };
    } catch (error) {
      rethrowIfBroken(error);
      if (!(error instanceof LogFailedError)) this.options.log.error("transaction marker append failed", { partition: key(item), error: String(error) });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    }
  }

  describeProducers(items: PartitionRef[]): Promise<OpResponse<"describeProducers">> {
    return Promise.resolve(items.map((item) => {
      const log = this.logs.get(key(item));
      if (!log) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, activeProducers: [] };
      const activeProducers = this.producerStates.get(log)!.describe().map((p): ActiveProducer => ({
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        lastSequence: p.lastSequence,
        lastTimestamp: p.lastTimestampMs,
        coordinatorEpoch: p.coordinatorEpoch,
        currentTxnStartOffset: p.currentTxnStartOffset,
      }));
      return { errorCode: ErrorCode.NONE, activeProducers };
    }));
  }

  listOffsets(items: OffsetQuery[]): Promise<OffsetAnswer[]> {
    return Promise.all(items.map((item) => this.track(key(item), this.listOffset(item))));
  }

  private async listOffset(item: OffsetQuery): Promise<OffsetAnswer> {
    const log = this.logs.get(key(item));
    if (!log) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, offset: -1, timestampMs: -1 };
    if (item.timestampMs === -1) {
      const latest = item.readCommitted ? this.lastStableOffsetOf(log) : log.highWatermark;
      return { errorCode: ErrorCode.NONE, offset: latest, timestampMs: -1 };
    }
    if (item.timestampMs === -2) return { errorCode: ErrorCode.NONE, offset: log.logStartOffset, timestampMs: -1 };
    let found;
    try {
      found = item.timestampMs === -3 ? await log.offsetOfMaxTimestamp() : await log.offsetForTimestamp(item.timestampMs);
    } catch (error) {
      rethrowIfBroken(error);
      this.options.log.error("offset lookup failed", { partition: key(item), error: String(error) });
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, offset: -1, timestampMs: -1 };
    }
    // As Kafka: read_committed finds only offsets below the LSO (read_uncommitted: below the high watermark).
    if (!found || (item.readCommitted && found.offset >= this.lastStableOffsetOf(log))) return { errorCode: ErrorCode.NONE, offset: -1, timestampMs: -1 };
    // DeleteRecords may have moved the start inside the batch that was found.
    return { errorCode: ErrorCode.NONE, offset: Math.max(found.offset, log.logStartOffset), timestampMs: found.timestampMs };
  }

  /**
   * Resolves true as soon as any partition differs from what the fetch read (new data, a moved
   * start, the partition gone from this shard), false after waitMs. Only a change wakes it, so a
   * fetch whose min_bytes is not met sleeps instead of re-reading the same bytes.
   */
  watch(watchId: string, items: WatchItem[], waitMs: number): Promise<{ woken: boolean }> {
    if (items.some((item) => this.changedSince(item))) return Promise.resolve({ woken: true });
    assert(!this.watches.has(watchId), () => `watch ${watchId} registered twice`);
    return new Promise((resolve) => {
      const keys = items.map(key);
      const done = (woken: boolean) => {
        cancelTimer();
        for (const k of keys) this.waiters.get(k)?.delete(wake);
        this.watches.delete(watchId);
        resolve({ woken });
      };
      const wake = () => done(true);
      const cancelTimer = this.options.timers.after(waitMs, () => done(false));
      this.watches.set(watchId, done);
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(wake);
      }
    });
  }

  /** Ends a watch whose fetch another owner already woke, so its timer and entries do not linger until max_wait_ms. */
  unwatch(watchId: string): Promise<null> {
    this.watches.get(watchId)?.(false);
    return Promise.resolve(null);
  }


  private changedSince(item: WatchItem): boolean {
    const log = this.logs.get(key(item));
    return !log || log.highWatermark > item.highWatermark || log.logStartOffset !== item.logStartOffset;
  }

  private wake(k: string): void {
    const set = this.waiters.get(k);
    if (!set || set.size === 0) return;
    this.waiters.delete(k);
    for (const wake of set) wake();
  }
}

/** A read that failed: no records, no stable offset. */
function failedRead(errorCode: number): Omit<ReadResult, "highWatermark" | "logStartOffset"> {
  return { errorCode, lastStableOffset: -1, records: NO_RECORDS, abortedTransactions: null };
}

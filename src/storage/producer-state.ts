/**
 * Producer state of one partition, as Kafka's ProducerStateManager keeps it: per producer id, its
 * epoch, the last few batches' sequence ranges and offsets, the coordinator epoch of its last
 * transaction marker and the first offset of its open transaction. A retried batch is recognized
 * and answered with its original offsets; a gap or an old epoch is refused. The open
 * transactions give the last stable offset (LSO): the first offset of the earliest one, else the
 * high watermark; a transaction ended by a marker the high watermark has not passed yet still
 * holds the LSO back. Pure and synchronous: the owning shard checks and records around the
 * (synchronous) offset assignment of an append, so nothing can interleave. Rebuilt at open from
 * the batch headers in the log (markers included).
 */
import type { TxnMarker } from "./control-batch.ts";
import { readMarker } from "./control-batch.ts";
import { DecompressionError } from "./compression.ts";
import { RecordFormatError } from "./records.ts";
import * as rb from "./record-batch.ts";
import { crc32c } from "../base/crc32c.ts";

/** Batches remembered per producer for duplicate detection (Kafka's client in-flight maximum). */
export const PRODUCER_BATCHES_MAX = 5;
/** Producers remembered per partition; past this the least recently seen is forgotten. */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;
/**
 * Ended transactions remembered while their marker may not be visible yet; past this the oldest
 * is taken as visible. A replicated partition's uncommitted tail (the only markers a cut can
 * remove) is far shorter: the Raft leader bounds what is in flight.
 */
export const UNSTABLE_ENDS_MAX = 10_000;

const INT32_MAX = 0x7fffffff;

export interface BatchIdentity {
  producerId: number;
  producerEpoch: number;
  firstSequence: number;
  /** firstSequence + last_offset_delta, wrapping past INT32_MAX to 0. */
  lastSequence: number;
  /** Part of a transaction (attribute bit 0x10). */
  transactional?: boolean;
  /** The batch's max timestamp (DescribeProducers' last timestamp); -1 when not known. */
  maxTimestampMs?: number;
  /** CRC-32C of its records (`recordsCrcOf`), for `record` to remember; absent when only the header was read. */
  recordsCrc?: number;
}

export interface RememberedBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
  /** CRC-32C of its records, which a retry repeats byte for byte; null when not known (rebuilt from a header scan or a snapshot). */
  recordsCrc: number | null;
  /** Settles when the batch became visible (rejects if its write failed); null when rebuilt from disk. */
  visible: Promise<void> | null;
}

interface ProducerEntry {
  epoch: number;
  batches: RememberedBatch[]; // oldest first, at most PRODUCER_BATCHES_MAX
  /** Coordinator epoch of the producer's last marker here; -1 before any. */
  coordinatorEpoch: number;
  /** Max timestamp of its last batch or marker; -1 when not known. */
  lastTimestampMs: number;
  /** First offset of its open transaction in this partition; -1 when none is open. */
  txnFirstOffset: number;
  /** Markers recorded for it since this state was built (not kept in snapshots): tells a wait that one landed meanwhile. */
  markersSeen: number;
}

export type SequenceVerdict =
  | { kind: "append" }
  | { kind: "duplicate"; batch: RememberedBatch }
  | { kind: "outOfOrder"; message: string }
  | { kind: "fenced"; message: string }
  | { kind: "unknownProducer"; message: string }
  | { kind: "invalidTxnState"; message: string };

export type MarkerVerdict = { kind: "append" } | { kind: "fenced"; message: string } | { kind: "coordinatorFenced"; message: string };

/** A transaction a marker ended (only transactions with data here: an empty one leaves no trace). */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  /** The marker's offset. */
  lastOffset: number;
  aborted: boolean;
  /** The LSO right after it ended: the earliest other open transaction's first offset, else lastOffset + 1. */
  lastStableOffset: number;
}

/** One active producer as DescribeProducers reports it. */
export interface ProducerDescription {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestampMs: number;
  coordinatorEpoch: number;
  currentTxnStartOffset: number;
}

/** A transaction ended by a marker the high watermark has not passed: it still holds the LSO, and a cut of the marker reopens it. */
interface UnstableEnd {
  producerId: number;
  firstOffset: number;
  markerOffset: number;
}

/**
 * The identity of the batch at `at`, or null when it carries no producer id (not idempotent).
 * `whole`: the batch's records are in `bytes` too, and their CRC is part of the identity.
 */
export function batchIdentity(bytes: Uint8Array, at = 0, whole = false): BatchIdentity | null {
  const producerId = rb.producerId(bytes, at);
  if (producerId < 0) return null;
  const firstSequence = rb.baseSequence(bytes, at);
  return {
    producerId,
    producerEpoch: rb.producerEpoch(bytes, at),
    firstSequence,
    lastSequence: addSequence(firstSequence, rb.lastOffsetDelta(bytes, at)),
    transactional: (rb.attributes(bytes, at) & rb.ATTR_TRANSACTIONAL) !== 0,
    maxTimestampMs: rb.maxTimestamp(bytes, at),
    recordsCrc: whole ? recordsCrcOf(bytes, at) : undefined,
  };
}

/**
 * CRC-32C of a batch's records, without its header: a client's retry repeats the records byte
 * for byte but may restamp the header (kafkajs sets the batch timestamps when it encodes the
 * request). Compared only between batches as stored (after the broker's own deterministic rewrites).
 */
export function recordsCrcOf(bytes: Uint8Array, at: number): number {
  return crc32c(bytes.subarray(at + rb.BATCH_HEADER_BYTES, at + rb.batchSizeBytes(bytes, at)));
}

function addSequence(sequence: number, delta: number): number {
  const sum = sequence + delta;
  return sum > INT32_MAX ? sum - INT32_MAX - 1 : sum;
}

/**
 * One producer in a snapshot: id, epoch, its remembered batches as [first seq, last seq, base
 * offset, last offset], then (snapshot v2) coordinator epoch, last timestamp and open transaction's first offset.
 */
export type ProducerSnapshotEntry = [
  producerId: number,
  epoch: number,
  batches: Array<[number, number, number, number]>,
  coordinatorEpoch?: number,
  lastTimestampMs?: number,
  txnFirstOffset?: number,
];

const APPEND: SequenceVerdict = Object.freeze({ kind: "append" });

/**
 * A duplicate verdict stands only if the batch at `at` has the remembered batch's records (when
 * they are known: Kafka compares sequences only). A batch with the sequences of a remembered one
 * but other records is no retry: answering it as a duplicate would acknowledge records never
 * written. librdkafka 2.x sends such a batch after an aborted transaction whose discarded retries
 * it counted as never sent. Refused as out of order, which the client cannot take for success.
 */
function retryOrReuse(verdict: SequenceVerdict, batch: BatchIdentity, bytes: Uint8Array, at: number): SequenceVerdict {
  if (verdict.kind !== "duplicate") return verdict;
  const remembered = verdict.batch;
  if (remembered.recordsCrc === null || remembered.recordsCrc === recordsCrcOf(bytes, at)) return verdict;
  const where = remembered.baseOffset >= 0 ? `offset ${remembered.baseOffset}` : "a pending append";
  return {
    kind: "outOfOrder",
    message: `producer ${batch.producerId} epoch ${batch.producerEpoch} reused sequences ${batch.firstSequence}..${batch.lastSequence} of the batch at ${where} for other records`,
  };
}

/**
 * The marker of a stored control batch, or null when it carries none. Before skua refused control
 * batches from clients a client could store any bytes as one: such a batch is no marker, not a
 * reason to refuse opening the log.
 */
function storedMarker(bytes: Uint8Array, at: number): TxnMarker | null {
  try {
    return readMarker(bytes, at);
  } catch (error) {
    if (error instanceof RecordFormatError || error instanceof DecompressionError) return null;
    throw error;
  }
}

const newEntry = (epoch: number): ProducerEntry => ({ epoch, batches: [], coordinatorEpoch: -1, lastTimestampMs: -1, txnFirstOffset: -1, markersSeen: 0 });

export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Open transactions: producer id → first offset, in rising first offset (so the first is the earliest). */
  private ongoing = new Map<number, number>();
  /** Ended transactions whose marker is not yet below the high watermark, in marker order. */
  private unstable: UnstableEnd[] = [];

  static fromSnapshot(entries: ProducerSnapshotEntry[]): ProducerState {
    const state = new ProducerState();
    for (const [producerId, epoch, batches, coordinatorEpoch = -1, lastTimestampMs = -1, txnFirstOffset = -1] of entries.slice(-PRODUCERS_PER_PARTITION_MAX)) {
      const remembered = batches.slice(-PRODUCER_BATCHES_MAX).map(([firstSequence, lastSequence, baseOffset, lastOffset]) => ({ firstSequence, lastSequence, baseOffset, lastOffset, recordsCrc: null, visible: null }));
      state.producers.set(producerId, { epoch, batches: remembered, coordinatorEpoch, lastTimestampMs, txnFirstOffset, markersSeen: 0 });
    }
    state.rebuildOngoing();
    return state;
  }

  /** Every producer, least recently seen first (the order fromSnapshot restores); a leader's batches not yet placed in the log are left out. */
  snapshot(): ProducerSnapshotEntry[] {
    return [...this.producers].map(([producerId, entry]) => [
      producerId,
      entry.epoch,
      entry.batches.filter((b) => b.baseOffset >= 0).map((b): [number, number, number, number] => [b.firstSequence, b.lastSequence, b.baseOffset, b.lastOffset]),
      entry.coordinatorEpoch,
      entry.lastTimestampMs,
      entry.txnFirstOffset,
    ]);
  }

  /** The open transactions again from the entries, in rising first offset. */
  private rebuildOngoing(): void {
    const open = [...this.producers].filter(([, e]) => e.txnFirstOffset >= 0).sort((a, b) => a[1].txnFirstOffset - b[1].txnFirstOffset);
    this.ongoing = new Map(open.map(([producerId, e]) => [producerId, e.txnFirstOffset]));
  }

  /**
   * The last stable offset under `highWatermark`: the first offset of the earliest transaction not
   * yet ended by a visible marker, else the high watermark. Forgets ends the high watermark passed.
   */
  lastStableOffset(highWatermark: number): number {
    this.forgetVisibleEnds(highWatermark);
    let lso = highWatermark;
    const earliest = this.ongoing.values().next();
    if (!earliest.done) lso = Math.min(lso, earliest.value);
    for (const end of this.unstable) lso = Math.min(lso, end.firstOffset);
    return lso;
  }

  /** Forgets the ends whose marker the high watermark passed (called once a marker is visible, so they never pile up). */
  forgetVisibleEnds(highWatermark: number): void {
    let drop = 0;
    while (drop < this.unstable.length && this.unstable[drop]!.markerOffset < highWatermark) drop++;
    if (drop > 0) this.unstable.splice(0, drop);
  }

  /** First offset of the producer's open transaction here, or -1 (KIP-890 verification asks this). */
  openTxnFirstOffset(producerId: number): number {
    return this.producers.get(producerId)?.txnFirstOffset ?? -1;
  }

  /** How many markers of this producer were recorded since the state was built: unchanged across an await means none landed. */
  markersSeenOf(producerId: number): number {
    return this.producers.get(producerId)?.markersSeen ?? 0;
  }

  /** Every producer remembered here, least recently seen first (DescribeProducers). */
  describe(): ProducerDescription[] {
    return [...this.producers].map(([producerId, e]) => ({
      producerId,
      producerEpoch: e.epoch,
      lastSequence: e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSequence : -1,
      lastTimestampMs: e.lastTimestampMs,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.txnFirstOffset,
    }));
  }

  get producerCount(): number {
    return this.producers.size;
  }

  /** What to do with a batch from this producer; changes nothing. */
  check(batch: BatchIdentity): SequenceVerdict {
    const entry = this.producers.get(batch.producerId);
    if (!entry) {
      if (batch.firstSequence === 0) return APPEND;
      return { kind: "unknownProducer", message: `unknown producer id ${batch.producerId} with sequence ${batch.firstSequence} (expected 0)` };
    }
    if (batch.producerEpoch < entry.epoch) {
      return { kind: "fenced", message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${entry.epoch}` };
    }
    if (batch.producerEpoch > entry.epoch) {
      if (batch.firstSequence === 0) return this.checkTxnState(batch, entry);
      return { kind: "outOfOrder", message: `new epoch ${batch.producerEpoch} of producer ${batch.producerId} must start at sequence 0, got ${batch.firstSequence}` };
    }
    const duplicate = entry.batches.find((b) => b.firstSequence === batch.firstSequence && b.lastSequence === batch.lastSequence);
    if (duplicate) return { kind: "duplicate", batch: duplicate };
    const lastSequence = entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSequence : -1;
    if (lastSequence !== -1 && batch.firstSequence !== addSequence(lastSequence, 1)) {
      return { kind: "outOfOrder", message: `producer ${batch.producerId} sent sequence ${batch.firstSequence}, expected ${addSequence(lastSequence, 1)}` };
    }
    return this.checkTxnState(batch, entry);
  }

  /** As Kafka: a producer with an open transaction here may only write transactional batches until its marker. */
  private checkTxnState(batch: BatchIdentity, entry: ProducerEntry): SequenceVerdict {
    if (entry.txnFirstOffset < 0 || batch.transactional) return APPEND;
    return { kind: "invalidTxnState", message: `producer ${batch.producerId} wrote a non-transactional batch while its transaction from offset ${entry.txnFirstOffset} is open` };
  }

  /**
   * Checks every batch of a produce payload in order, as if the earlier ones were appended. Any
   * duplicate answers the whole payload (Kafka does the same); any refusal refuses it all.
   */
  checkPayload(bytes: Uint8Array): SequenceVerdict {
    // The common cases first, without allocating: no producer id, or one batch.
    if (rb.producerId(bytes, 0) < 0 && rb.batchSizeBytes(bytes, 0) === bytes.length) return APPEND;
    if (rb.batchSizeBytes(bytes, 0) === bytes.length) {
      const identity = batchIdentity(bytes, 0)!;
      return retryOrReuse(this.check(identity), identity, bytes, 0);
    }
    let provisional: ProducerState | null = null;
    let verdict: SequenceVerdict = APPEND;
    rb.scanBatches(bytes, 0, (at) => {
      const identity = batchIdentity(bytes, at);
      if (identity === null) return true;
      provisional ??= new ProducerState();
      const seenHere = provisional.producers.has(identity.producerId);
      verdict = seenHere ? provisional.check(identity) : retryOrReuse(this.check(identity), identity, bytes, at);
      if (seenHere && verdict.kind === "duplicate") verdict = { kind: "outOfOrder", message: `sequence ${identity.firstSequence} repeated in one request` };
      if (verdict.kind !== "append") return false;
      provisional.record(identity, -1, -1, null);
      return true;
    });
    return verdict;
  }

  /** Remembers an appended batch (its check said "append"); a transactional one opens the producer's transaction here. */
  record(batch: BatchIdentity, baseOffset: number, lastOffset: number, visible: Promise<void> | null): void {
    const entry = this.touch(batch.producerId, batch.producerEpoch);
    entry.batches.push({ firstSequence: batch.firstSequence, lastSequence: batch.lastSequence, baseOffset, lastOffset, recordsCrc: batch.recordsCrc ?? null, visible });
    if (entry.batches.length > PRODUCER_BATCHES_MAX) entry.batches.shift();
    entry.lastTimestampMs = batch.maxTimestampMs ?? entry.lastTimestampMs;
    // A pending batch (offset -1, a replicated leader's proposal) opens its transaction once placed (openTxnAt).
    if (batch.transactional && baseOffset >= 0) this.openTxnAt(batch.producerId, baseOffset);
  }

  /** A transactional batch of the producer now at `baseOffset`: opens its transaction here unless one is open. */
  openTxnAt(producerId: number, baseOffset: number): void {
    const entry = this.producers.get(producerId);
    if (!entry || entry.txnFirstOffset >= 0) return;
    entry.txnFirstOffset = baseOffset;
    this.ongoing.set(producerId, baseOffset); // offsets rise, so the map stays in first-offset order
  }

  /**
   * The producer's entry, moved to the most recent end (Map order is recency); a new epoch
   * forgets its batches (a new epoch starts its sequences again). Past the bound the least
   * recently seen producer without an open transaction is forgotten.
   */
  private touch(producerId: number, epoch: number): ProducerEntry {
    let entry = this.producers.get(producerId);
    if (entry) this.producers.delete(producerId);
    else entry = newEntry(epoch);
    if (epoch !== entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
    }
    this.producers.set(producerId, entry);
    if (this.producers.size > PRODUCERS_PER_PARTITION_MAX) {
      for (const [id, e] of this.producers) {
        if (e.txnFirstOffset >= 0) continue;
        this.producers.delete(id);
        break;
      }
    }
    return entry;
  }

  /** Whether a marker may be written, as Kafka's appendEndTxnMarker checks it; changes nothing. */
  checkMarker(marker: TxnMarker): MarkerVerdict {
    const entry = this.producers.get(marker.producerId);
    if (!entry) return { kind: "append" };
    if (marker.producerEpoch < entry.epoch) {
      return { kind: "fenced", message: `marker of producer ${marker.producerId} has epoch ${marker.producerEpoch}, older than ${entry.epoch}` };
    }
    if (marker.coordinatorEpoch < entry.coordinatorEpoch) {
      return { kind: "coordinatorFenced", message: `marker of producer ${marker.producerId} has coordinator epoch ${marker.coordinatorEpoch}, older than ${entry.coordinatorEpoch}` };
    }
    return { kind: "append" };
  }

  /**
   * Records a marker appended at `offset` (its check said "append"): the producer's transaction
   * here, if it wrote any data, ends; a marker at a newer epoch moves the producer to it.
   * `visible`: false while the high watermark may not have passed the marker (a live append),
   * so the transaction holds the LSO until it has; true when replaying the log.
   */
  recordMarker(marker: TxnMarker, offset: number, timestampMs: number, visible: boolean): CompletedTxn | null {
    const entry = this.touch(marker.producerId, Math.max(marker.producerEpoch, this.producers.get(marker.producerId)?.epoch ?? marker.producerEpoch));
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    entry.lastTimestampMs = timestampMs;
    entry.markersSeen++;
    const firstOffset = entry.txnFirstOffset;
    if (firstOffset < 0) return null;
    entry.txnFirstOffset = -1;
    this.ongoing.delete(marker.producerId);
    if (!visible) this.unstable.push({ producerId: marker.producerId, firstOffset, markerOffset: offset });
    if (this.unstable.length > UNSTABLE_ENDS_MAX) this.unstable.shift();
    const next = this.ongoing.values().next();
    return { producerId: marker.producerId, firstOffset, lastOffset: offset, aborted: !marker.commit, lastStableOffset: next.done ? offset + 1 : next.value };
  }

  /** Records every idempotent batch of a payload just appended (its base offsets are assigned). */
  recordPayload(bytes: Uint8Array, visible: Promise<void> | null): void {
    rb.scanBatches(bytes, 0, (at) => {
      const identity = batchIdentity(bytes, at, true);
      if (identity !== null) this.record(identity, rb.baseOffset(bytes, at), rb.lastOffset(bytes, at), visible);
    });
  }

  /**
   * A replicated partition's leader: records the payload's idempotent batches before the Raft
   * group assigns their offsets (-1 until `placeRemembered`), so later batches of the same
   * producer are checked against them at once. Returns them, in payload order.
   */
  rememberPending(bytes: Uint8Array, visible: Promise<void>): RememberedBatch[] {
    const remembered: RememberedBatch[] = [];
    rb.scanBatches(bytes, 0, (at) => {
      const identity = batchIdentity(bytes, at, true);
      if (identity === null) return;
      this.record(identity, -1, -1, visible);
      remembered.push(this.producers.get(identity.producerId)!.batches.at(-1)!);
    });
    return remembered;
  }

  /** A proposal that was never appended: its pending batches are forgotten, so a retry is appended afresh. */
  forget(batches: RememberedBatch[]): void {
    for (const entry of this.producers.values()) entry.batches = entry.batches.filter((b) => !batches.includes(b));
  }

  /**
   * The log was cut back to `endOffset` after a failed write: batches at or past it were never
   * acknowledged, so they are forgotten and a producer's retry of them is appended afresh.
   */
  truncate(endOffset: number): void {
    // A transaction whose marker was cut is open again; one whose first batch was cut never opened.
    for (const end of this.unstable.filter((u) => u.markerOffset >= endOffset)) {
      const entry = this.producers.get(end.producerId);
      if (entry && entry.txnFirstOffset < 0) entry.txnFirstOffset = end.firstOffset;
    }
    this.unstable = this.unstable.filter((u) => u.markerOffset < endOffset);
    for (const entry of this.producers.values()) {
      while (entry.batches.length > 0 && entry.batches[entry.batches.length - 1]!.lastOffset >= endOffset) entry.batches.pop();
      if (entry.txnFirstOffset >= endOffset) entry.txnFirstOffset = -1;
    }
    this.rebuildOngoing();
  }

  /**
   * Replays one stored batch while rebuilding from the log (trusts what was written). A marker
   * needs its record readable in `bytes` (markers are small: the header scan reads them whole);
   * answers the transaction it ended, for the aborted-transaction index. `visible`: false on a
   * Raft follower, whose appended markers are not committed yet (a cut of one reopens its transaction).
   * `whole`: the batch's records are in `bytes` (a follower's append), not just its header.
   */
  replay(bytes: Uint8Array, at: number, { visible = true, whole = false }: { visible?: boolean; whole?: boolean } = {}): CompletedTxn | null {
    const identity = batchIdentity(bytes, at, whole);
    if (identity === null) return null;
    if ((rb.attributes(bytes, at) & rb.ATTR_CONTROL) !== 0) {
      const marker = storedMarker(bytes, at);
      return marker === null ? null : this.recordMarker(marker, rb.baseOffset(bytes, at), rb.maxTimestamp(bytes, at), visible);
    }
    const entry = this.producers.get(identity.producerId);
    if (entry && identity.producerEpoch < entry.epoch) return null;
    this.record(identity, rb.baseOffset(bytes, at), rb.lastOffset(bytes, at), null);
    return null;
  }
}

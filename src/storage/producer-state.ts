/**
 * Idempotent-producer state of one partition, as Kafka keeps it: per producer id, its epoch
 * and the last few batches' sequence ranges and offsets. A retried batch is recognized and
 * answered with its original offsets; a gap or an old epoch is refused. Pure and synchronous:
 * the owning shard checks and records around the (synchronous) offset assignment of an
 * append, so nothing can interleave. Rebuilt at open from the batch headers in the log.
 */
import * as rb from "./record-batch.ts";

/** Batches remembered per producer for duplicate detection (Kafka's client in-flight maximum). */
export const PRODUCER_BATCHES_MAX = 5;
/** Producers remembered per partition; past this the least recently seen is forgotten. */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;

const INT32_MAX = 0x7fffffff;

export interface BatchIdentity {
  producerId: number;
  producerEpoch: number;
  firstSequence: number;
  /** firstSequence + last_offset_delta, wrapping past INT32_MAX to 0. */
  lastSequence: number;
}

export interface RememberedBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
  /** Settles when the batch became visible (rejects if its write failed); null when rebuilt from disk. */
  visible: Promise<void> | null;
}

interface ProducerEntry {
  epoch: number;
  batches: RememberedBatch[]; // oldest first, at most PRODUCER_BATCHES_MAX
}

export type SequenceVerdict =
  | { kind: "append" }
  | { kind: "duplicate"; batch: RememberedBatch }
  | { kind: "outOfOrder"; message: string }
  | { kind: "fenced"; message: string }
  | { kind: "unknownProducer"; message: string };

/** The identity of the batch at `at`, or null when it carries no producer id (not idempotent). */
export function batchIdentity(bytes: Uint8Array, at = 0): BatchIdentity | null {
  const producerId = rb.producerId(bytes, at);
  if (producerId < 0) return null;
  const firstSequence = rb.baseSequence(bytes, at);
  return { producerId, producerEpoch: rb.producerEpoch(bytes, at), firstSequence, lastSequence: addSequence(firstSequence, rb.lastOffsetDelta(bytes, at)) };
}

function addSequence(sequence: number, delta: number): number {
  const sum = sequence + delta;
  return sum > INT32_MAX ? sum - INT32_MAX - 1 : sum;
}

/** One producer in a snapshot: id, epoch, and its remembered batches as [first seq, last seq, base offset, last offset]. */
export type ProducerSnapshotEntry = [producerId: number, epoch: number, batches: Array<[number, number, number, number]>];

const APPEND: SequenceVerdict = Object.freeze({ kind: "append" });

export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>();

  static fromSnapshot(entries: ProducerSnapshotEntry[]): ProducerState {
    const state = new ProducerState();
    for (const [producerId, epoch, batches] of entries.slice(-PRODUCERS_PER_PARTITION_MAX)) {
      const remembered = batches.slice(-PRODUCER_BATCHES_MAX).map(([firstSequence, lastSequence, baseOffset, lastOffset]) => ({ firstSequence, lastSequence, baseOffset, lastOffset, visible: null }));
      state.producers.set(producerId, { epoch, batches: remembered });
    }
    return state;
  }

  /** Every producer, least recently seen first (the order fromSnapshot restores). */
  snapshot(): ProducerSnapshotEntry[] {
    return [...this.producers].map(([producerId, entry]) => [
      producerId,
      entry.epoch,
      entry.batches.map((b): [number, number, number, number] => [b.firstSequence, b.lastSequence, b.baseOffset, b.lastOffset]),
    ]);
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
      if (batch.firstSequence === 0) return APPEND;
      return { kind: "outOfOrder", message: `new epoch ${batch.producerEpoch} of producer ${batch.producerId} must start at sequence 0, got ${batch.firstSequence}` };
    }
    const duplicate = entry.batches.find((b) => b.firstSequence === batch.firstSequence && b.lastSequence === batch.lastSequence);
    if (duplicate) return { kind: "duplicate", batch: duplicate };
    const lastSequence = entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSequence : -1;
    if (lastSequence === -1 || batch.firstSequence === addSequence(lastSequence, 1)) return APPEND;
    return {
      kind: "outOfOrder",
      message: `producer ${batch.producerId} sent sequence ${batch.firstSequence}, expected ${addSequence(lastSequence, 1)}`,
    };
  }

  /**
   * Checks every batch of a produce payload in order, as if the earlier ones were appended. Any
   * duplicate answers the whole payload (Kafka does the same); any refusal refuses it all.
   */
  checkPayload(bytes: Uint8Array): SequenceVerdict {
    // The common cases first, without allocating: no producer id, or one batch.
    if (rb.producerId(bytes, 0) < 0 && rb.batchSizeBytes(bytes, 0) === bytes.length) return APPEND;
    if (rb.batchSizeBytes(bytes, 0) === bytes.length) return this.check(batchIdentity(bytes, 0)!);
    let provisional: ProducerState | null = null;
    let verdict: SequenceVerdict = APPEND;
    rb.scanBatches(bytes, 0, (at) => {
      const identity = batchIdentity(bytes, at);
      if (identity === null) return true;
      provisional ??= new ProducerState();
      const seenHere = provisional.producers.has(identity.producerId);
      verdict = seenHere ? provisional.check(identity) : this.check(identity);
      if (seenHere && verdict.kind === "duplicate") verdict = { kind: "outOfOrder", message: `sequence ${identity.firstSequence} repeated in one request` };
      if (verdict.kind !== "append") return false;
      provisional.record(identity, -1, -1, null);
      return true;
    });
    return verdict;
  }

  /** Remembers an appended batch (its check said "append"). */
  record(batch: BatchIdentity, baseOffset: number, lastOffset: number, visible: Promise<void> | null): void {
    let entry = this.producers.get(batch.producerId);
    if (entry) this.producers.delete(batch.producerId); // re-inserted below: Map order is recency
    if (!entry || batch.producerEpoch !== entry.epoch) entry = { epoch: batch.producerEpoch, batches: [] };
    entry.batches.push({ firstSequence: batch.firstSequence, lastSequence: batch.lastSequence, baseOffset, lastOffset, visible });
    if (entry.batches.length > PRODUCER_BATCHES_MAX) entry.batches.shift();
    this.producers.set(batch.producerId, entry);
    if (this.producers.size > PRODUCERS_PER_PARTITION_MAX) this.producers.delete(this.producers.keys().next().value!);
  }

  /** Records every idempotent batch of a payload just appended (its base offsets are assigned). */
  recordPayload(bytes: Uint8Array, visible: Promise<void> | null): void {
    rb.scanBatches(bytes, 0, (at) => {
      const identity = batchIdentity(bytes, at);
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
      const identity = batchIdentity(bytes, at);
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
    for (const entry of this.producers.values()) {
      while (entry.batches.length > 0 && entry.batches[entry.batches.length - 1]!.lastOffset >= endOffset) entry.batches.pop();
    }
  }

  /** Replays one stored batch header while rebuilding from the log (trusts what was written). */
  replay(bytes: Uint8Array, at: number): void {
    const identity = batchIdentity(bytes, at);
    if (identity === null || (rb.attributes(bytes, at) & rb.ATTR_CONTROL) !== 0) return;
    const entry = this.producers.get(identity.producerId);
    if (entry && identity.producerEpoch < entry.epoch) return;
    this.record(identity, rb.baseOffset(bytes, at), rb.lastOffset(bytes, at), null);
  }
}

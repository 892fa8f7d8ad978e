/**
 * Read-ahead for a sequential reader of one log (Redpanda's segment read-ahead): once a fetch
 * continues where the previous one of this log ended, the disk read the next fetch will make is
 * started as soon as this one is answered, so the disk works while the answer travels and the
 * client parses it. One read per log is held ahead, and a shard-wide budget bounds the bytes all
 * its logs hold ahead; past it nothing is read ahead. Runs on the owning shard's thread only.
 *
 * Invalidation: a held read is tied to its segment object, its file position and the log's
 * `epoch`, which the log bumps whenever bytes already written may change (a cut, a truncation,
 * a reset, compaction's swap): a read from before never serves a reader after.
 */
import { assert } from "../base/assert.ts";
import { limits } from "../base/limits.ts";

/** Bytes all read-ahead of one shard may hold (reads in flight or done and not yet taken). */
export class ReadAheadBudget {
  heldBytes = 0;
  /** Reads started ahead, and of those the ones a fetch used. */
  started = 0;
  used = 0;

  constructor(readonly heldBytesMax: number = limits.readAheadBytesMax) {}

  take(bytes: number): boolean {
    if (this.heldBytes + bytes > this.heldBytesMax) return false;
    this.heldBytes += bytes;
    return true;
  }

  give(bytes: number): void {
    this.heldBytes -= bytes;
    assert(this.heldBytes >= 0, "read-ahead budget given back more than it lent");
  }
}

/** What the log reads from: a segment's file bytes, exactly the range asked for (or up to the end written). */
export interface ReadAheadSource {
  read(position: number, lengthBytes: number): Promise<Uint8Array>;
}

interface Held {
  source: ReadAheadSource;
  position: number;
  lengthBytes: number;
  epoch: number;
  /** Null when the read failed (the segment went away): the reader then reads for itself and learns why. */
  bytes: Promise<Uint8Array | null>;
}

export class ReadAhead {
  private held: Held | null = null;
  private epoch = 0;

  constructor(private readonly budget: ReadAheadBudget) {}

  /** Bytes already written may change: nothing read before serves a reader after. */
  invalidate(): void {
    this.epoch++;
    this.release();
  }

  /** Starts reading `lengthBytes` at `position` of `source` for the next fetch, unless the budget is spent. */
  start(source: ReadAheadSource, position: number, lengthBytes: number): void {
    this.release();
    if (lengthBytes <= 0 || !this.budget.take(lengthBytes)) return;
    this.budget.started++;
    const bytes = source.read(position, lengthBytes).then(
      (b) => b,
      () => null,
    );
    this.held = { source, position, lengthBytes, epoch: this.epoch, bytes };
  }

  /**
   * The read held for exactly this start, cut to `lengthBytes` (it may be shorter: the log grew
   * since it began). Null if none matches; a held read is used at most once.
   */
  async take(source: ReadAheadSource, position: number, lengthBytes: number): Promise<Uint8Array | null> {
    const held = this.held;
    if (held === null) return null;
    this.release();
    if (held.source !== source || held.position !== position || held.epoch !== this.epoch) return null;
    const bytes = await held.bytes;
    if (bytes === null || held.epoch !== this.epoch) return null;
    this.budget.used++;
    return bytes.length > lengthBytes ? bytes.subarray(0, lengthBytes) : bytes;
  }

  private release(): void {
    if (this.held === null) return;
    this.budget.give(this.held.lengthBytes);
    this.held = null;
  }
}

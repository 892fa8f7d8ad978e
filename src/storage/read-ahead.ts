/**
 * Read-ahead for a sequential reader of one log (Redpanda's segment read-ahead): once a fetch
 * continues where the previous one of this log ended, the log reads the segment in chunks of at
 * least `chunkBytes` (limits.readAheadChunkBytes) and four fetch windows, one chunk ahead of the
 * one the reader is in, so the disk works while answers travel and the client parses them, and
 * the reader seldom waits for it. A chunk ends at a batch start the sparse index knows, and the
 * next begins there: no byte is read twice. A fetch is served from the chunk holding its start (a
 * view, no copy), so one starting near a chunk's end gets only the batches up to it, a short
 * answer (the client's next fetch starts in the next chunk). A shard-wide budget bounds the bytes
 * all its logs hold; past it nothing more is read ahead. Runs on the owning shard's thread only.
 *
 * Invalidation: a chunk is tied to its segment object and file position, and the log drops every
 * chunk whenever bytes already written may change (a cut, a truncation, a reset, compaction's
 * swap): a read from before never serves a reader after, even one that was waiting on it.
 */
import { assert } from "../base/assert.ts";
import { endHold, lend } from "../base/lent-buffers.ts";
import { limits } from "../base/limits.ts";

/** Bytes all read-ahead of one shard may hold (reads in flight or done and not yet taken). */
export class ReadAheadBudget {
  heldBytes = 0;
  /** Reads started ahead, and fetches served from them. */
  started = 0;
  used = 0;

  constructor(
    readonly heldBytesMax: number = limits.readAheadBytesMax,
    /** The least one read ahead takes. */
    readonly chunkBytes: number = limits.readAheadChunkBytes,
  ) {}

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
  /** `reuse`: the bytes may be in a pooled buffer on loan (base/lent-buffers.ts). */
  read(position: number, lengthBytes: number, reuse: boolean): Promise<Uint8Array>;
  /** A batch start at or before `position` (0 if none is known): where a chunk may end without cutting a batch. */
  batchStartAtMost(position: number): number;
}

interface Chunk {
  source: ReadAheadSource;
  position: number;
  lengthBytes: number;
  /** Null when the read failed (the segment went away): the reader then reads for itself and learns why. */
  bytes: Promise<Uint8Array | null>;
}

/** Fetch windows one chunk holds at least: the short answer at each chunk's end is one fetch in five or fewer. */
const WINDOWS_PER_CHUNK = 4;

export class ReadAhead {
  /** The chunk the reader is in, and the one after it. */
  private current: Chunk | null = null;
  private next: Chunk | null = null;

  constructor(private readonly budget: ReadAheadBudget) {}

  /** Bytes already written may change: nothing read before serves a reader after. */
  invalidate(): void {
    this.release();
  }

  /**
   * The reader's next fetch starts at `position` of `source` and reads up to `windowBytes`; the
   * segment's bytes end at `limitBytes`. Keeps the chunk holding `position` and starts the one
   * after it, or starts anew at `position` (within the budget).
   */
  start(source: ReadAheadSource, position: number, windowBytes: number, limitBytes: number): void {
    if (this.next !== null && this.holds(this.next, source, position)) this.advance();
    if (this.current === null || !this.holds(this.current, source, position)) {
      this.release();
      this.current = this.read(source, position, windowBytes, limitBytes);
    }
    const current = this.current;
    if (current === null || this.next !== null) return;
    const after = current.position + current.lengthBytes;
    if (after < limitBytes) this.next = this.read(source, after, windowBytes, limitBytes);
  }

  /**
   * The bytes at `position` of `source`, up to `lengthBytes` (fewer where the chunk ends), from
   * the chunk holding `position`. Null if none does.
   */
  async take(source: ReadAheadSource, position: number, lengthBytes: number): Promise<Uint8Array | null> {
    if (this.next !== null && this.holds(this.next, source, position)) this.advance();
    const chunk = this.current;
    if (chunk === null || !this.holds(chunk, source, position)) return null;
    const bytes = await chunk.bytes;
    // Let go of meanwhile (another reader, a cut): its buffer may be back in the pool.
    if (bytes === null || !this.stillHeld(chunk)) return null;
    this.budget.used++;
    const from = position - chunk.position;
    return lent(bytes.subarray(from, from + lengthBytes));
  }

  /** Not let go of since it was read (an advance, a restart elsewhere, a cut). */
  private stillHeld(chunk: Chunk): boolean {
    return chunk === this.current || chunk === this.next;
  }

  private holds(chunk: Chunk, source: ReadAheadSource, position: number): boolean {
    return chunk.source === source && chunk.position <= position && position < chunk.position + chunk.lengthBytes;
  }

  /**
   * A chunk at `position`: at least `chunkBytes` and `WINDOWS_PER_CHUNK` of the fetch's windows
   * (so most fetches fit one chunk), but two of them within the budget; at least one window; never
   * past `limitBytes`. It ends at the last batch start known within that, unless none is known
   * past `position` (a batch larger than the chunk: the reader then reads it for itself).
   */
  private read(source: ReadAheadSource, position: number, windowBytes: number, limitBytes: number): Chunk | null {
    const wantedBytes = Math.min(Math.max(windowBytes * WINDOWS_PER_CHUNK, this.budget.chunkBytes), Math.floor(this.budget.heldBytesMax / 2));
    let lengthBytes = Math.min(Math.max(wantedBytes, windowBytes), limitBytes - position);
    const batchStart = position + lengthBytes < limitBytes ? source.batchStartAtMost(position + lengthBytes) : 0;
    if (batchStart > position) lengthBytes = batchStart - position;
    if (lengthBytes <= 0 || !this.budget.take(lengthBytes)) return null;
    this.budget.started++;
    const bytes = source.read(position, lengthBytes, true).catch(() => null);
    return { source, position, lengthBytes, bytes };
  }

  /** The reader went on into the next chunk. */
  private advance(): void {
    this.give(this.current);
    this.current = this.next;
    this.next = null;
  }

  private release(): void {
    this.give(this.current);
    this.give(this.next);
    this.current = this.next = null;
  }

  private give(chunk: Chunk | null): void {
    if (chunk === null) return;
    this.budget.give(chunk.lengthBytes);
    void chunk.bytes.then((bytes) => bytes !== null && endHold(bytes));
  }
}

/** A view of a chunk goes out: whoever writes it gives it back (Connection), so the chunk's buffer can be reused. */
function lent(view: Uint8Array): Uint8Array {
  lend(view);
  return view;
}

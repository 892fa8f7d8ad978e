/**
 * Bounds the files a shard keeps open for sealed segments: the least recently read ones are
 * closed once more than `openMax` are open, and reopened on their next read. Active segments
 * (one per partition, being appended to) are not counted: they always stay open.
 */
import { limits } from "../base/limits.ts";

export interface ClosableSegment {
  /** Closes the file if nothing is using it; true when closed (or already closed). */
  closeIfIdle(): boolean;
}

export class SealedFileLru {
  /** Insertion order is recency: the first entries are the least recently used. */
  private readonly open = new Set<ClosableSegment>();
  closed = 0;

  constructor(readonly openMax: number = limits.sealedSegmentFilesOpenMax) {}

  get openCount(): number {
    return this.open.size;
  }

  /** A sealed segment's file was opened or read: it becomes the most recently used. */
  touch(segment: ClosableSegment): void {
    this.open.delete(segment);
    this.open.add(segment);
    if (this.open.size > this.openMax) this.evict();
  }

  forget(segment: ClosableSegment): void {
    this.open.delete(segment);
  }

  private evict(): void {
    for (const segment of this.open) {
      if (this.open.size <= this.openMax) return;
      if (!segment.closeIfIdle()) continue; // in use right now: try the next one
      this.open.delete(segment);
      this.closed++;
    }
  }
}

/**
 * A checker's copy of one node's log: entries (index, term, checksum) with a hash of the whole
 * prefix up to each, so "these two logs are identical up to index i" is one comparison.
 */

export interface EntryView {
  /** The entry's index (for a batch: its last offset). */
  index: number;
  term: number;
  /** Identifies the entry's contents (the batch CRC-32C). */
  checksum: number;
}

export interface MirrorEntry extends EntryView {
  /** Hash of every entry up to and including this one. */
  prefix: bigint;
}

/** The prefix hash of a log that starts empty at offset 0. */
export const EMPTY_PREFIX = 0n;

export function chainPrefix(before: bigint, e: EntryView): bigint {
  return Bun.hash.wyhash(`${e.index}:${e.term}:${e.checksum}`, before);
}

export class LogMirror {
  entries: MirrorEntry[] = [];
  /** Prefix hash of what precedes the first entry (EMPTY_PREFIX, or a snapshot's anchor). */
  base = EMPTY_PREFIX;
  /** False when the log starts after a snapshot whose prefix the checker could not place. */
  anchored = true;

  /**
   * Makes the mirror equal `next` (a full log, oldest first) and returns the entries that are new
   * or changed: the caller checks them against what other nodes hold.
   */
  replace(next: readonly EntryView[], base: bigint, anchored: boolean): MirrorEntry[] {
    let same = 0;
    if (base === this.base && anchored === this.anchored) {
      const n = Math.min(next.length, this.entries.length);
      while (same < n && equal(this.entries[same], next[same])) same++;
    }
    this.base = base;
    this.anchored = anchored;
    this.entries.length = same;
    let prefix = same > 0 ? this.entries[same - 1].prefix : base;
    for (let i = same; i < next.length; i++) {
      const e = next[i];
      prefix = chainPrefix(prefix, e);
      this.entries.push({ index: e.index, term: e.term, checksum: e.checksum, prefix });
    }
    return this.entries.slice(same);
  }

  last(): MirrorEntry | null {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1] : null;
  }

  /** The entry whose index is exactly `index`, or null. */
  at(index: number): MirrorEntry | null {
    const i = this.position(index);
    return i < this.entries.length && this.entries[i].index === index ? this.entries[i] : null;
  }

  /** The last entry with index ≤ `index`, or null. */
  atOrBefore(index: number): MirrorEntry | null {
    const i = this.position(index + 1);
    return i > 0 ? this.entries[i - 1] : null;
  }

  /** First position whose index is ≥ `index` (binary search). */
  private position(index: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].index < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function equal(a: EntryView, b: EntryView): boolean {
  return a.index === b.index && a.term === b.term && a.checksum === b.checksum;
}

/**
 * Timers on virtual time, for tests and deterministic simulation: nothing fires until
 * `advance` (all due timers at once) or `fireNext` (one, so the caller can let the work it
 * started settle before the next) moves the manual clock to it; due timers fire in time order
 * (ties: the order they were set), each with the clock at its own due time. A binary heap, so
 * thousands of timers (many Raft groups) stay cheap; cancelled ones are dropped when they surface.
 */
import type { ManualClock } from "./clock.ts";
import type { CancelTimer, Timers } from "./timers.ts";

interface Entry {
  atMs: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

export class ManualTimers implements Timers {
  private heap: Entry[] = [];
  private nextOrder = 0;

  constructor(readonly clock: ManualClock) {}

  after(delayMs: number, fn: () => void): CancelTimer {
    const entry: Entry = { atMs: this.clock.nowMs() + Math.max(0, delayMs), order: this.nextOrder++, fn, cancelled: false };
    this.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingCount(): number {
    return this.heap.filter((e) => !e.cancelled).length;
  }

  /** Moves the clock `ms` forward, firing every timer that comes due on the way; returns how many fired. */
  advance(ms: number): number {
    const endMs = this.clock.nowMs() + ms;
    let fired = 0;
    while (this.fireNext(endMs)) fired++;
    this.clock.set(endMs);
    return fired;
  }

  /** Due time of the earliest timer not cancelled, or Infinity. */
  nextDueMs(): number {
    this.dropCancelled();
    return this.heap[0]?.atMs ?? Number.POSITIVE_INFINITY;
  }

  /** Fires the earliest timer due at or before `untilMs`, moving the clock to its due time; false if none. */
  fireNext(untilMs: number): boolean {
    this.dropCancelled();
    const first = this.heap[0];
    if (first === undefined || first.atMs > untilMs) return false;
    this.pop();
    this.clock.set(Math.max(this.clock.nowMs(), first.atMs));
    first.fn();
    return true;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private static before(a: Entry, b: Entry): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!ManualTimers.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      let m = i;
      if (l < h.length && ManualTimers.before(h[l]!, h[m]!)) m = l;
      if (l + 1 < h.length && ManualTimers.before(h[l + 1]!, h[m]!)) m = l + 1;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

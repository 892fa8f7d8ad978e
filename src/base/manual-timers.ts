/**
 * Timers on virtual time, for tests and deterministic simulation: nothing fires until
 * `advance` moves the manual clock past it; due timers fire in time order (ties: the order
 * they were set), each with the clock at its own due time.
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
  private pending: Entry[] = [];
  private nextOrder = 0;

  constructor(readonly clock: ManualClock) {}

  after(delayMs: number, fn: () => void): CancelTimer {
    const entry: Entry = { atMs: this.clock.nowMs() + Math.max(0, delayMs), order: this.nextOrder++, fn, cancelled: false };
    this.pending.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingCount(): number {
    return this.pending.filter((e) => !e.cancelled).length;
  }

  /** Moves the clock `ms` forward, firing every timer that comes due on the way; returns how many fired. */
  advance(ms: number): number {
    const endMs = this.clock.nowMs() + ms;
    let fired = 0;
    for (let next = this.earliestDue(endMs); next; next = this.earliestDue(endMs)) {
      this.pending.splice(this.pending.indexOf(next), 1);
      this.clock.set(Math.max(this.clock.nowMs(), next.atMs));
      next.fn();
      fired++;
    }
    this.clock.set(endMs);
    return fired;
  }

  private earliestDue(endMs: number): Entry | undefined {
    this.pending = this.pending.filter((e) => !e.cancelled);
    let best: Entry | undefined;
    for (const e of this.pending) if (e.atMs <= endMs && (!best || e.atMs < best.atMs || (e.atMs === best.atMs && e.order < best.order))) best = e;
    return best;
  }
}

/**
 * One node's view of time in the simulation: its own clock, running at its own rate (drift), and
 * timers over the shared virtual time. Killing it (the node crashed) cancels every pending timer
 * and makes later ones no-ops, so a dead incarnation never runs again.
 */
import { assert } from "../../../src/base/assert.ts";
import type { Clock } from "../../../src/base/clock.ts";
import type { CancelTimer, Timers } from "../../../src/base/timers.ts";
import type { Scheduler, SimEvent } from "./scheduler.ts";

export class NodeTime implements Clock, Timers {
  private readonly pending = new Set<SimEvent>();
  private alive = true;

  /** `rate` > 1 runs this node's clock fast: its timers fire early in virtual time. */
  constructor(
    private readonly scheduler: Scheduler,
    readonly name: string,
    readonly rate: number,
    private readonly offsetMs: number,
  ) {
    assert(rate > 0, "clock rate must be positive");
  }

  nowMs(): number {
    return this.offsetMs + this.scheduler.nowMs() * this.rate;
  }

  /** Runs `fn` after `localMs` of this node's clock. */
  after(localMs: number, fn: () => void): CancelTimer {
    if (!this.alive) return () => {};
    const event = this.scheduler.after(Math.max(0, localMs) / this.rate, `${this.name} timer`, () => {
      this.pending.delete(event);
      if (this.alive) fn();
    });
    this.pending.add(event);
    return () => {
      this.scheduler.cancel(event);
      this.pending.delete(event);
    };
  }

  /** Virtual milliseconds that `localMs` of this node's clock take. */
  toVirtualMs(localMs: number): number {
    return localMs / this.rate;
  }

  kill(): void {
    this.alive = false;
    for (const event of this.pending) this.scheduler.cancel(event);
    this.pending.clear();
  }
}

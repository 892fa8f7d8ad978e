/**
 * Virtual time and the event queue that drives a simulation. One event runs per step; events at
 * the same time run in the order they were scheduled, so a run depends only on its seed.
 */
import { assert } from "../../../src/base/assert.ts";

export interface SimEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void;
  cancelled: boolean;
}

/** Most events the queue may hold at once: a runaway timer or message storm stops the run. */
export const SCHEDULER_EVENTS_MAX = 1_000_000;

export class Scheduler {
  private readonly heap: SimEvent[] = [];
  private seq = 0;
  private timeMs = 0;
  stepsRun = 0;

  nowMs(): number {
    return this.timeMs;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs `run` `delayMs` from now (virtual). */
  after(delayMs: number, label: string, run: () => void): SimEvent {
    assert(delayMs >= 0 && Number.isFinite(delayMs), `bad delay ${delayMs}`);
    assert(this.heap.length < SCHEDULER_EVENTS_MAX, "scheduler queue full");
    const event: SimEvent = { atMs: this.timeMs + delayMs, seq: this.seq++, label, run, cancelled: false };
    this.push(event);
    return event;
  }

  cancel(event: SimEvent): void {
    event.cancelled = true;
  }

  /** Pops the next live event, moves time to it and runs it; null when nothing is left. */
  runNext(): SimEvent | null {
    for (;;) {
      const event = this.pop();
      if (!event) return null;
      if (event.cancelled) continue;
      assert(event.atMs >= this.timeMs, "time went backwards");
      this.timeMs = event.atMs;
      this.stepsRun++;
      event.run();
      return event;
    }
  }

  private push(event: SimEvent): void {
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as SimEvent;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const h = this.heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/**
 * Lets every promise continuation the last event started run to completion before the next
 * event: the simulated disk and network resolve at once, so their chains end in microtasks, and
 * a macrotask turn comes after all of them.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

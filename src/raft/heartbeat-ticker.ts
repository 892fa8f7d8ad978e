/**
 * The shared heartbeat clock of one node (or shard): every leader's tick runs on one timer per
 * interval, on multiples of the interval, so the heartbeats of all its groups leave together and
 * batch into one message per peer (HeartbeatBatcher), and an idle group arms no timer of its own.
 */
import type { Clock } from "../base/clock.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import type { HeartbeatTicker } from "./types.ts";

export class SharedHeartbeatTicker implements HeartbeatTicker {
  private readonly ticks = new Set<() => void>();
  private cancel: CancelTimer | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly intervalMs: number,
  ) {}

  add(tick: () => void): () => void {
    const entry = () => tick(); // its own identity: the same function added twice ticks twice
    this.ticks.add(entry);
    this.arm();
    return () => void this.ticks.delete(entry);
  }

  /** Stops the clock (the node shuts down); ticks added later start it again. */
  stop(): void {
    this.cancel?.();
    this.cancel = null;
    this.ticks.clear();
  }

  private arm(): void {
    if (this.cancel !== null) return;
    const now = this.clock.nowMs();
    const delayMs = this.intervalMs - (((now % this.intervalMs) + this.intervalMs) % this.intervalMs);
    this.cancel = this.timers.after(delayMs, () => this.fire());
  }

  private fire(): void {
    this.cancel = null;
    // A tick may end its own leadership (removed: not visited again) or another's.
    for (const tick of this.ticks) tick();
    if (this.ticks.size > 0) this.arm();
  }
}

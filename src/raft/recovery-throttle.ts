/**
 * The recovery throttle (Redpanda's `raft_learner_recovery_rate`): a token bucket of bytes that
 * every leader on a shard draws from before it sends log entries to a learner being caught up.
 * Voters are never throttled, only learners, so a replica move's catch-up cannot starve the
 * groups' own replication. A send may take the bucket into debt (an append is read before its
 * size is known, and is never split); no learner sends until the debt is paid, so over time the
 * rate holds. Clock-free: the caller passes the time, so the simulator can drive it.
 */
import { assert } from "../base/assert.ts";
import type { LearnerThrottle } from "./types.ts";

/** How many milliseconds of the rate the bucket holds when full (the burst). */
const BURST_MS = 100;

export class RecoveryThrottle implements LearnerThrottle {
  private tokens: number;
  private lastMs: number | null = null;
  private readonly burstBytes: number;

  /** `bytesPerSecond` > 0. */
  constructor(readonly bytesPerSecond: number) {
    assert(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0, `recovery rate must be positive, got ${bytesPerSecond}`);
    this.burstBytes = Math.max(1, (bytesPerSecond * BURST_MS) / 1000);
    this.tokens = this.burstBytes;
  }

  private refill(nowMs: number): void {
    if (this.lastMs !== null && nowMs > this.lastMs) this.tokens = Math.min(this.burstBytes, this.tokens + ((nowMs - this.lastMs) * this.bytesPerSecond) / 1000);
    if (this.lastMs === null || nowMs > this.lastMs) this.lastMs = nowMs;
  }

  /** Milliseconds until a learner may be sent to again (0: now). */
  waitMs(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens > 0 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.bytesPerSecond);
  }

  /** Records bytes sent to a learner (may go into debt). */
  take(bytes: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= bytes;
  }
}

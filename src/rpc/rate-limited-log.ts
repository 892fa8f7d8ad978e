/**
 * Warnings about peers (bad frames, refused connects) limited per kind: the first of each kind in
 * an interval is logged, the rest are counted and reported with the next one, so a peer sending
 * garbage in a loop cannot flood the log.
 */
import type { Clock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";

export const RPC_WARN_INTERVAL_MS = 10_000;

export class RateLimitedLog {
  private readonly lastMs = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = RPC_WARN_INTERVAL_MS,
  ) {}

  warn(kind: string, message: string, fields: Record<string, unknown> = {}): void {
    const nowMs = this.clock.nowMs();
    const last = this.lastMs.get(kind);
    if (last !== undefined && nowMs - last < this.intervalMs) {
      this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
      return;
    }
    this.lastMs.set(kind, nowMs);
    const suppressed = this.suppressed.get(kind) ?? 0;
    this.suppressed.delete(kind);
    this.log.warn(message, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}

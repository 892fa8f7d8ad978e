/**
 * Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with "full jitter" (a uniform
 * pick in [delay/2, delay]) from an injected random source, so tests and simulations repeat and
 * a node's shards do not reconnect in lockstep.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 100, maxMs: 5000 };

export class Backoff {
  private failures = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number,
  ) {}

  /** The delay before the next attempt; each call counts one more failure. */
  nextDelayMs(): number {
    const ceilingMs = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(ceilingMs / 2 + (this.random() * ceilingMs) / 2);
  }

  /** After a success: the next failure starts again from `baseMs`. */
  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}

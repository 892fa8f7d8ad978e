/**
 * Group commit for one shard. Flush requests from all of the shard's partitions share
 * rounds: while a round runs, new requests join the next one; a round fdatasyncs every
 * log in it in parallel, then settles each log's waiters.
 */
import type { Clock } from "../base/clock.ts";

export interface Flushable {
  flush(): Promise<void>;
}

interface Round {
  /** One shared promise per log, so a failing log rejects only its own waiters. */
  waiters: Map<Flushable, PromiseWithResolvers<void>>;
}

export class Flusher {
  private running = false;
  private next: Round | null = null;
  rounds = 0;

  constructor(
    private readonly clock: Clock,
    /** Called with each round's duration, for fsync latency metrics. */
    private readonly onFsync?: (ms: number) => void,
  ) {}

  /** Resolves once everything `log` had written when the request's round started is synced. */
  requestFlush(log: Flushable): Promise<void> {
    this.next ??= { waiters: new Map() };
    let waiter = this.next.waiters.get(log);
    if (!waiter) {
      waiter = Promise.withResolvers<void>();
      this.next.waiters.set(log, waiter);
    }
    // Start on a microtask so requests made in the same tick share the round.
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => void this.runRounds());
    }
    return waiter.promise;
  }

  private async runRounds(): Promise<void> {
    while (this.next !== null) {
      const round = this.next;
      this.next = null;
      const startMs = this.clock.nowMs();
      const entries = [...round.waiters];
      const results = await Promise.allSettled(entries.map(([log]) => log.flush()));
      this.rounds++;
      this.onFsync?.(this.clock.nowMs() - startMs);
      // Settle after the round's bookkeeping; the next round starts right after, in this loop.
      results.forEach((r, i) => {
        const waiter = entries[i]![1];
        if (r.status === "fulfilled") waiter.resolve();
        else waiter.reject(r.reason);
      });
    }
    this.running = false;
  }
}

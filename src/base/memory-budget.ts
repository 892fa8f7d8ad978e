/**
 * A shard's budget of bytes for requests being read or waiting to be served, and answers
 * waiting to be sent (Kafka's queued.max.request.bytes, per shard as in Redpanda). Memory is
 * taken as it is allocated, never from a size a client declares.
 *
 * Holders (connections) say how many of their bytes are stuck: held until the client does
 * something (sends the rest of a frame, reads its answers). Bytes of requests being served are
 * not stuck: they come back by themselves. When a take cannot fit even after everything not
 * stuck came back, the holder with the most stuck bytes is shed (its connection closed), so a
 * crowd of slow or never-reading clients cannot starve the others.
 */
import { assert } from "./assert.ts";

export interface BudgetHolder {
  /** Bytes this holder keeps that only the client's progress gives back. */
  readonly stuckBytes: number;
  /** Give back everything (close the connection). */
  shed(reason: string): void;
}

export class MemoryBudget {
  private used = 0;
  private readonly holders = new Set<BudgetHolder>();
  private readonly waiters = new Set<() => void>(); // insertion order: woken first come, first served
  private wakeQueued = false;
  /** Holders shed since start: counted for metrics and tests. */
  shedCount = 0;

  constructor(readonly capacityBytes: number) {
    assert(capacityBytes > 0, "memory budget must be positive");
  }

  get usedBytes(): number {
    return this.used;
  }

  get freeBytes(): number {
    return Math.max(0, this.capacityBytes - this.used);
  }

  register(holder: BudgetHolder): void {
    this.holders.add(holder);
  }

  unregister(holder: BudgetHolder): void {
    this.holders.delete(holder);
  }

  /**
   * Takes `bytes` for `requester` if they fit; false when the requester must wait (`whenFree`)
   * or was itself shed. Sheds the most stuck holders while stuck bytes alone leave no room.
   */
  take(requester: BudgetHolder, bytes: number): boolean {
    assert(bytes >= 0, "negative take");
    if (this.used + bytes <= this.capacityBytes) {
      this.used += bytes; // the common case: no need to look at the holders
      return true;
    }
    while (this.stuckTotal() + bytes > this.capacityBytes) {
      const victim = this.mostStuck();
      if (!victim) break;
      this.shedCount++;
      victim.shed(`request memory budget of ${this.capacityBytes} bytes is held by stuck connections; closing the one holding the most`);
      this.holders.delete(victim);
      if (victim === requester) return false;
    }
    if (this.used + bytes > this.capacityBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Takes `bytes` only if they fit now, shedding no one (an optional, larger allocation). */
  takeIfFree(bytes: number): boolean {
    assert(bytes >= 0, "negative take");
    if (this.used + bytes > this.capacityBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Bytes already allocated (an answer that was built): counted even past the capacity. */
  charge(bytes: number): void {
    assert(bytes >= 0, "negative charge");
    this.used += bytes;
  }

  release(bytes: number): void {
    assert(bytes >= 0 && bytes <= this.used, () => `memory budget released ${bytes} of ${this.used} bytes`);
    this.used -= bytes;
    if (bytes > 0 && this.waiters.size > 0 && !this.wakeQueued) {
      this.wakeQueued = true;
      queueMicrotask(() => this.wake()); // never inside the caller's own accounting
    }
  }

  /** Calls `fn` once, soon after a release leaves room. Returns a cancel. */
  whenFree(fn: () => void): () => void {
    const once = () => fn();
    this.waiters.add(once);
    return () => this.waiters.delete(once);
  }

  private wake(): void {
    this.wakeQueued = false;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const fn of waiting) {
      if (this.used >= this.capacityBytes) {
        this.waiters.add(fn); // still full: keep its place for the next release
        continue;
      }
      fn();
    }
  }

  private stuckTotal(): number {
    let total = 0;
    for (const holder of this.holders) total += holder.stuckBytes;
    return total;
  }

  private mostStuck(): BudgetHolder | null {
    let best: BudgetHolder | null = null;
    for (const holder of this.holders) if (holder.stuckBytes > 0 && (!best || holder.stuckBytes > best.stuckBytes)) best = holder;
    return best;
  }
}

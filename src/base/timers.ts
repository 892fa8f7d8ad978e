/**
 * One-shot timers as an interface beside `Clock`, so core code (Raft, and later the broker's own
 * timeouts) can run on virtual time in a simulation. The broker's implementation wraps setTimeout.
 */

/** Cancels a timer; calling it after the timer fired, or twice, does nothing. */
export type CancelTimer = () => void;

export interface Timers {
  /** Calls `fn` once, `delayMs` from now (never synchronously, even for 0). */
  after(delayMs: number, fn: () => void): CancelTimer;
}

export const systemTimers: Timers = {
  after(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(handle);
  },
};

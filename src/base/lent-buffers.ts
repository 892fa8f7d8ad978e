/**
 * Buffers reused once nothing can still read them. A fresh multi-megabyte buffer per disk read
 * costs its zero-fill, a page fault per 4 KiB and its share of a full collection: a third of a
 * disk fetch's time (bench/README). Reusing one is safe only once its holder (the read-ahead) let
 * go of it and every view of it that went out (into a fetch answer) was written to its socket.
 *
 * So a pooled buffer is on loan: its holder ends the hold, views that leave are lent (counted)
 * and given back when written; at zero with the hold ended the buffer goes back to its pool. A
 * view that is never given back (its answer dropped, or sent to another shard, whose thread does
 * not know this loan) keeps the buffer from reuse: it is then collected as any other buffer. A
 * view given back that was never lent is a broken invariant.
 *
 * Per thread: each shard's loans are its own (a module instance per Worker).
 */
import { assert } from "./assert.ts";

class Loan {
  views = 0;
  held = true;
  constructor(readonly free: () => void) {}
}

const loans = new WeakMap<ArrayBufferLike, Loan>();

/** `buffer` starts out held; once the hold ends and no lent view is out, `free` takes it back. */
export function startLoan(buffer: ArrayBufferLike, free: () => void): void {
  assert(!loans.has(buffer), "buffer already on loan");
  loans.set(buffer, new Loan(free));
}

/** The holder is done with the buffer under `view` (a no-op for a buffer not on loan). */
export function endHold(view: Uint8Array): void {
  const loan = loans.get(view.buffer);
  if (loan === undefined || !loan.held) return;
  loan.held = false;
  settle(view.buffer, loan);
}

/** `view` goes out to a reader that gives it back (`giveBack`) once done with it. */
export function lend(view: Uint8Array): void {
  const loan = loans.get(view.buffer);
  if (loan !== undefined) loan.views++;
}

/** A reader is done with a lent `view` (or any view of the same lending): a no-op for a buffer not on loan. */
export function giveBack(view: Uint8Array): void {
  const loan = loans.get(view.buffer);
  if (loan === undefined) return;
  assert(loan.views > 0, "a view given back that was never lent");
  loan.views--;
  settle(view.buffer, loan);
}

function settle(buffer: ArrayBufferLike, loan: Loan): void {
  if (loan.held || loan.views > 0) return;
  loans.delete(buffer);
  loan.free();
}

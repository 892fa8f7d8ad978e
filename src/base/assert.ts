/** Assertions stay on in production: a broken invariant stops the process rather than corrupting data. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}

/**
 * Catch blocks that turn operating errors (EIO, ENOSPC, a failed peer) into error codes call
 * this first: a broken invariant is never an error code, it keeps going up until it stops the
 * process (a shard's unhandled error reaches the supervisor, which exits non-zero).
 */
export function rethrowIfBroken(error: unknown): void {
  if (error instanceof AssertionError) throw error;
}

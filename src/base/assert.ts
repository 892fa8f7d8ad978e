/** Assertions stay on in production: a broken invariant stops the process rather than corrupting data. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** A message built from values is passed as a function: hot paths do not pay for the string. */
export function assert(condition: unknown, message: string | (() => string) = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(typeof message === "function" ? message() : message);
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

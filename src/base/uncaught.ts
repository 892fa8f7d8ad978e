/**
 * Where an error nobody caught ends up: a broken invariant rethrown out of a request, a
 * failure in a background task. On a shard it is sent to the main thread; the main thread
 * logs it and exits non-zero. Installed once per thread, at its entry point.
 */
export function onUncaughtError(handle: (description: string) => void): void {
  const describe = (error: unknown) => handle(error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error));
  process.on("uncaughtException", describe);
  process.on("unhandledRejection", describe);
}

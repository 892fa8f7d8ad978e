/**
 * Typed request/response tables: a table names each call with its request and response type,
 * and `Servers<T>` is one function per call. A server table written as an object literal of
 * this type makes the compiler check that every call has a server (and no server is extra).
 */
export type CallTable<T> = { [N in keyof T]: { request: unknown; response: unknown } };

export type CallRequest<T extends CallTable<T>, N extends keyof T> = T[N]["request"];
export type CallResponse<T extends CallTable<T>, N extends keyof T> = T[N]["response"];

export type Servers<T extends CallTable<T>> = { [N in keyof T]: (request: T[N]["request"]) => Promise<T[N]["response"]> };

/** A call whose channel closed before the answer came: the broker is stopping, not failing. */
export class CallAbandonedError extends Error {
  override name = "CallAbandonedError";
}

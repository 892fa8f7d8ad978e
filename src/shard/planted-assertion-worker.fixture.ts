/**
 * For supervisor-exit.test.ts only: the real shard Worker entry, plus an assertion that fails
 * on the shard's thread, with nothing to catch it, right after the shard is created. The
 * broker has no such switch; this file exists only as a test's worker URL.
 */
import { AssertionError } from "../base/assert.ts";
import "./worker.ts";

declare const self: Worker;

self.addEventListener("message", () => queueMicrotask(() => {
  throw new AssertionError("planted by the test");
}), { once: true });

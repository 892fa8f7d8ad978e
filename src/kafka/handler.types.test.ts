/**
 * Handlers are tied to their message definitions: a response field the definition lacks, at
 * any depth, or of the wrong type, does not compile. The `@ts-expect-error` lines are the
 * test: `tsc --noEmit` (part of the test command) fails if any of them stops being an error.
 */
import { expect, test } from "bun:test";
import { ErrorCode } from "../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

const versions = { minVersion: 0, maxVersion: 4 };

test("a response that matches its message definition compiles and is kept as written", async () => {
  const handler = defineHandler({ apiKey: 12, name: "Heartbeat", ...versions, async handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
  } });
  expect(handler.apiKey).toBe(12);
});

test("misspelled or mistyped response fields are type errors", () => {
  // @ts-expect-error "errorCod" is not a HeartbeatResponse field
  defineHandler({ apiKey: 12, name: "Heartbeat", ...versions, async handle() {
    return { throttleTimeMs: 0, errorCod: ErrorCode.NONE };
  } });
  // @ts-expect-error a nested field: DeleteGroups results have "errorCode", not "error"
  defineHandler({ apiKey: 42, name: "DeleteGroups", ...versions, async handle() {
    return { throttleTimeMs: 0, results: [{ groupId: "g", error: 0 }] };
  } });
  // @ts-expect-error throttleTimeMs is a number
  defineHandler({ apiKey: 12, name: "Heartbeat", ...versions, async handle() { return { throttleTimeMs: "0", errorCode: ErrorCode.NONE }; } });
});

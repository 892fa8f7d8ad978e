import { expect, test } from "bun:test";
import { bigBuffer, collections, countBigBytes } from "./big-buffers.ts";
import { limits } from "./limits.ts";

test("every collect-every bytes of large buffers, allocated here or moved here, runs one full collection", () => {
  const before = collections.count;
  const chunkBytes = limits.collectEveryBigBytes / 4;
  for (let i = 0; i < 3; i++) expect(bigBuffer(chunkBytes).length).toBe(chunkBytes);
  expect(collections.count).toBe(before); // three quarters: not yet
  countBigBytes(chunkBytes);
  expect(collections.count).toBe(before + 1);
  expect(collections.seconds).toBeGreaterThan(0);
  countBigBytes(limits.collectEveryBigBytes - 1);
  expect(collections.count).toBe(before + 1); // the count starts again after a collection
});

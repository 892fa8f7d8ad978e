/**
 * What becomes of a request that fails: a broken invariant goes on up (the shard stops), an
 * operating error the handler let through becomes UNKNOWN_SERVER_ERROR where the response has a
 * top-level error code, and only where it has none does the request fail (closing the connection).
 */
import { expect, test } from "bun:test";
import { AssertionError } from "../base/assert.ts";
import { ManualClock } from "../base/clock.ts";
import { configureLog, logger } from "../base/log.ts";
import { mulberry32 } from "../base/random.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRequestFrame } from "../protocol/frame.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import { createDispatcher } from "./dispatcher.ts";
import { handlersByKey } from "./registry.ts";
import { FetchSessionCache } from "./fetch-sessions.ts";
import { ProducerIdPool } from "./producer-id-pool.ts";
import type { ShardContext } from "./handler.ts";

/** A shard whose every op fails with `error`. */
function failingContext(error: Error): ShardContext {
  const clock = new ManualClock(0);
  const table = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "t", id: "6c1b4bde-5d0c-4c39-8b7e-2f0e1f7c9a11", shards: [0], configs: {} }] });
  return {
    shardId: 0, shardCount: 1, nodeId: 0, clusterId: "test", advertised: { host: "127.0.0.1", port: 9092 },
    props: defaultProperties(), clock, metadata: () => table, dataDir: "/nonexistent",
    fetchSessions: new FetchSessionCache({ shardId: 0, shardCount: 1, slots: 4, clock, random: mulberry32(1) }),
    producerIds: new ProducerIdPool(async () => { throw error; }),
    invoke: async () => { throw error; },
    callController: async () => { throw error; },
  };
}

const withoutSize = (frame: Uint8Array) => frame.subarray(4);
const heartbeatV0 = withoutSize(encodeRequestFrame(12, 0, 7, "test", { groupId: "g", generationId: 1, memberId: "m" }));
const produceV3 = withoutSize(encodeRequestFrame(0, 3, 8, "test", { acks: 1, timeoutMs: 100, topicData: [{ name: "t", partitionData: [{ index: 0, records: buildBatch({ records: [{ key: "k", value: "v" }] }) }] }] }));

test("an operating error answers UNKNOWN_SERVER_ERROR where the response has a top-level error code", async () => {
  configureLog({ format: "text", minLevel: "error" });
  const dispatch = createDispatcher(failingContext(new Error("shard 1 failed: EIO: write")), { connections: 0, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, recordRequest() {} }, logger("test"));
  const answer = (await dispatch(heartbeatV0)) as Uint8Array; // small answers are one buffer
  const view = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
  expect(view.getInt32(4)).toBe(7); // correlation id
  expect(view.getInt16(8)).toBe(ErrorCode.UNKNOWN_SERVER_ERROR); // Heartbeat v0: the error code is the whole body
  await expect(dispatch(produceV3)).rejects.toThrow("EIO"); // Produce v3 has no top-level code: the connection closes
});

test("a failed assertion is never answered: it goes on up", async () => {
  const dispatch = createDispatcher(failingContext(new AssertionError("cache accounting out of step")), { connections: 0, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, recordRequest() {} }, logger("test"));
  await expect(dispatch(heartbeatV0)).rejects.toBeInstanceOf(AssertionError);
});

test("an API skua does not serve gets UNSUPPORTED_VERSION where the response has a top-level error code", async () => {
  const dispatch = createDispatcher(failingContext(new Error("not reached")), { connections: 0, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, recordRequest() {} }, logger("test"));
  const saslHandshakeV1 = withoutSize(encodeRequestFrame(17, 1, 9, "test", { mechanism: "PLAIN" }));
  const served = handlersByKey.get(17)!;
  handlersByKey.delete(17); // every API with message definitions is served now: take one away
  let answer: Uint8Array;
  try {
    answer = (await dispatch(saslHandshakeV1)) as Uint8Array;
  } finally {
    handlersByKey.set(17, served);
  }
  const view = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
  expect(view.getInt32(4)).toBe(9);
  expect(view.getInt16(4 + 4)).toBe(ErrorCode.UNSUPPORTED_VERSION); // the first field after a v0 response header
});

test("SaslHandshake on a connection without SASL answers ILLEGAL_SASL_STATE", async () => {
  const dispatch = createDispatcher(failingContext(new Error("not reached")), { connections: 0, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, recordRequest() {} }, logger("test"));
  const answer = (await dispatch(withoutSize(encodeRequestFrame(17, 1, 9, "test", { mechanism: "PLAIN" })))) as Uint8Array;
  expect(new DataView(answer.buffer, answer.byteOffset, answer.byteLength).getInt16(8)).toBe(ErrorCode.ILLEGAL_SASL_STATE);
});

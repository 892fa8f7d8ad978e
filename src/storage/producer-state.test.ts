import { describe, expect, test } from "bun:test";
import { concatBytes } from "../base/bytes.ts";
import { buildBatch } from "./batch-builder.ts";
import { batchIdentity, PRODUCER_BATCHES_MAX, ProducerState, type BatchIdentity } from "./producer-state.ts";
import * as rb from "./record-batch.ts";

const id = (producerId: number, producerEpoch: number, firstSequence: number, count = 1): BatchIdentity => ({
  producerId, producerEpoch, firstSequence, lastSequence: firstSequence + count - 1,
});

function batch(producerId: number, producerEpoch: number, baseSequence: number, count = 1, baseOffset = 0): Uint8Array {
  const records = Array.from({ length: count }, (_, i) => ({ value: `v${baseSequence + i}` }));
  return buildBatch({ records, producerId, producerEpoch, baseSequence, baseOffset });
}

/** Appends like the owning shard: check, then record at the next offsets. */
function append(state: ProducerState, b: BatchIdentity, nextOffset: { value: number }): void {
  expect(state.check(b).kind).toBe("append");
  const count = b.lastSequence - b.firstSequence + 1;
  state.record(b, nextOffset.value, nextOffset.value + count - 1, null);
  nextOffset.value += count;
}

describe("ProducerState", () => {
  test("a new producer starts at sequence 0; in-order batches append", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, id(7, 0, 0, 3), offset);
    append(state, id(7, 0, 3, 2), offset);
    expect(state.check(id(7, 0, 5))).toEqual({ kind: "append" });
  });

  test("a retried batch is a duplicate answered with its original offsets, for the last 5 batches", () => {
    const state = new ProducerState();
    const offset = { value: 100 };
    for (let seq = 0; seq < 8; seq++) append(state, id(7, 0, seq), offset);
    for (let seq = 8 - PRODUCER_BATCHES_MAX; seq < 8; seq++) {
      const verdict = state.check(id(7, 0, seq));
      expect(verdict.kind).toBe("duplicate");
      if (verdict.kind === "duplicate") expect(verdict.batch.baseOffset).toBe(100 + seq);
    }
    // Older than the remembered batches: not provably a duplicate, so out of order.
    expect(state.check(id(7, 0, 1)).kind).toBe("outOfOrder");
  });

  test("a gap is out of order; a same-start batch of another length is not a duplicate", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, id(7, 0, 0, 2), offset);
    expect(state.check(id(7, 0, 3)).kind).toBe("outOfOrder");
    expect(state.check(id(7, 0, 0, 3)).kind).toBe("outOfOrder");
  });

  test("an older epoch is fenced; a newer epoch must restart at 0 and resets the sequence", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, id(7, 2, 0), offset);
    append(state, id(7, 2, 1), offset);
    expect(state.check(id(7, 1, 2)).kind).toBe("fenced");
    expect(state.check(id(7, 3, 5)).kind).toBe("outOfOrder");
    append(state, id(7, 3, 0), offset);
    expect(state.check(id(7, 2, 2)).kind).toBe("fenced");
    expect(state.check(id(7, 3, 1)).kind).toBe("append");
  });

  test("an unknown producer with a non-zero sequence is refused", () => {
    expect(new ProducerState().check(id(9, 0, 4)).kind).toBe("unknownProducer");
  });

  test("sequences wrap from INT32_MAX to 0", () => {
    const state = new ProducerState();
    state.record({ producerId: 7, producerEpoch: 0, firstSequence: 0x7ffffffe, lastSequence: 0x7fffffff }, 0, 1, null);
    expect(state.check(id(7, 0, 0)).kind).toBe("append");
    expect(batchIdentity(batch(7, 0, 0x7fffffff, 3))!.lastSequence).toBe(1);
  });

  test("producers are independent; batches without a producer id are not tracked", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, id(1, 0, 0), offset);
    append(state, id(2, 0, 0), offset);
    expect(state.check(id(1, 0, 1)).kind).toBe("append");
    expect(batchIdentity(buildBatch({ records: [{ value: "x" }] }))).toBeNull();
    expect(state.checkPayload(buildBatch({ records: [{ value: "x" }] }))).toEqual({ kind: "append" });
  });

  test("checkPayload walks several batches in order and refuses a gap inside the payload", () => {
    const state = new ProducerState();
    expect(state.checkPayload(concatBytes([batch(7, 0, 0, 2), batch(7, 0, 2, 3)]))).toEqual({ kind: "append" });
    expect(state.checkPayload(concatBytes([batch(7, 0, 0, 2), batch(7, 0, 3)])).kind).toBe("outOfOrder");
    expect(state.checkPayload(concatBytes([batch(7, 0, 0), batch(7, 0, 0)])).kind).toBe("outOfOrder");
    expect(state.producerCount).toBe(0); // checking changes nothing
  });

  test("recordPayload remembers each batch at its assigned offsets; a retry of the payload is a duplicate", () => {
    const state = new ProducerState();
    const payload = concatBytes([batch(7, 0, 0, 2, 40), batch(7, 0, 2, 1, 42)]);
    state.recordPayload(payload, null);
    const verdict = state.checkPayload(concatBytes([batch(7, 0, 0, 2), batch(7, 0, 2, 1)]));
    expect(verdict.kind).toBe("duplicate");
    if (verdict.kind === "duplicate") expect(verdict.batch.baseOffset).toBe(40);
    expect(state.check(id(7, 0, 3)).kind).toBe("append");
  });

  test("replay rebuilds from stored headers, ignoring control batches and older epochs", () => {
    const state = new ProducerState();
    const stored = [batch(7, 1, 0, 2, 0), batch(7, 1, 2, 2, 2), batch(7, 0, 9, 1, 4), batch(8, 0, 0, 1, 5)];
    for (const b of stored) state.replay(b, 0);
    const retry = state.check(id(7, 1, 2, 2));
    expect(retry.kind).toBe("duplicate");
    if (retry.kind === "duplicate") expect(retry.batch).toMatchObject({ baseOffset: 2, lastOffset: 3 });
    expect(state.check(id(7, 1, 4)).kind).toBe("append");
    expect(state.check(id(8, 0, 1)).kind).toBe("append");
    const control = batch(9, 0, 0);
    control[rb.Field.attributes + 1] |= rb.ATTR_CONTROL;
    state.replay(control, 0);
    expect(state.producerCount).toBe(2);
  });
});

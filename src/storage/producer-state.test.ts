import { describe, expect, test } from "bun:test";
import { concatBytes } from "../base/bytes.ts";
import { buildBatch } from "./batch-builder.ts";
import { batchIdentity, PRODUCER_BATCHES_MAX, ProducerState, type BatchIdentity } from "./producer-state.ts";
import * as rb from "./record-batch.ts";
import { buildMarkerBatch } from "./control-batch.ts";

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

  test("a batch with a remembered batch's sequences but other records is refused, not answered as a duplicate", () => {
    const state = new ProducerState();
    state.recordPayload(buildBatch({ records: [{ value: "t0.166.2" }], producerId: 7, producerEpoch: 2, baseSequence: 43, baseOffset: 799 }), null);
    // A retry restamped by the client (kafkajs sets the header's timestamps at encoding) is still a retry.
    const retry = state.checkPayload(buildBatch({ records: [{ value: "t0.166.2" }], producerId: 7, producerEpoch: 2, baseSequence: 43, baseTimestamp: 1_700_000_000_000 }));
    expect(retry.kind).toBe("duplicate");
    const reused = state.checkPayload(buildBatch({ records: [{ value: "t0.168.0" }], producerId: 7, producerEpoch: 2, baseSequence: 43 }));
    expect(reused).toEqual({ kind: "outOfOrder", message: "producer 7 epoch 2 reused sequences 43..43 of the batch at offset 799 for other records" });
    // Rebuilt from a header scan its records are not known: a same-sequence batch is taken for a retry, as Kafka does.
    const scanned = new ProducerState();
    scanned.replay(buildBatch({ records: [{ value: "t0.166.2" }], producerId: 7, producerEpoch: 2, baseSequence: 43, baseOffset: 799 }), 0);
    expect(scanned.checkPayload(buildBatch({ records: [{ value: "t0.168.0" }], producerId: 7, producerEpoch: 2, baseSequence: 43 })).kind).toBe("duplicate");
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

describe("ProducerState transactions", () => {
  const txn = (producerId: number, epoch: number, firstSequence: number, count = 1): BatchIdentity => ({ ...id(producerId, epoch, firstSequence, count), transactional: true });
  const marker = (producerId: number, epoch: number, commit: boolean, coordinatorEpoch = 0) => ({ producerId, producerEpoch: epoch, commit, coordinatorEpoch });

  test("a transactional batch opens the producer's transaction; the LSO stops at its first offset until its marker is visible", () => {
    const state = new ProducerState();
    const offset = { value: 10 };
    append(state, id(1, 0, 0), offset); // 10: not transactional
    append(state, txn(2, 0, 0, 2), offset); // 11-12
    append(state, txn(2, 0, 2), offset); // 13
    expect(state.openTxnFirstOffset(2)).toBe(11);
    expect(state.lastStableOffset(14)).toBe(11);
    expect(state.lastStableOffset(11)).toBe(11);
    expect(state.lastStableOffset(5)).toBe(5); // never past the high watermark
    expect(state.checkMarker(marker(2, 0, true))).toEqual({ kind: "append" });
    const ended = state.recordMarker(marker(2, 0, true), 14, 1000, false);
    expect(ended).toEqual({ producerId: 2, firstOffset: 11, lastOffset: 14, aborted: false, lastStableOffset: 15 });
    expect(state.openTxnFirstOffset(2)).toBe(-1);
    expect(state.lastStableOffset(14)).toBe(11); // the marker is not visible yet
    expect(state.lastStableOffset(15)).toBe(15);
  });

  test("with transactions interleaved the LSO is the earliest open one's first offset; an abort reports it and the next LSO", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, txn(1, 0, 0), offset); // 0
    append(state, txn(2, 0, 0), offset); // 1
    append(state, txn(1, 0, 1), offset); // 2
    expect(state.lastStableOffset(3)).toBe(0);
    const aborted = state.recordMarker(marker(1, 0, false), 3, 0, true);
    expect(aborted).toEqual({ producerId: 1, firstOffset: 0, lastOffset: 3, aborted: true, lastStableOffset: 1 });
    expect(state.lastStableOffset(4)).toBe(1);
    state.recordMarker(marker(2, 0, true), 4, 0, true);
    expect(state.lastStableOffset(5)).toBe(5);
  });

  test("a marker for a producer with no data here ends nothing (an empty transaction leaves no index entry)", () => {
    const state = new ProducerState();
    expect(state.recordMarker(marker(5, 3, false), 0, 0, true)).toBeNull();
    expect(state.describe()).toEqual([{ producerId: 5, producerEpoch: 3, lastSequence: -1, lastTimestampMs: 0, coordinatorEpoch: 0, currentTxnStartOffset: -1 }]);
  });

  test("a non-transactional batch while the producer's transaction is open is invalid txn state", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, txn(1, 0, 0), offset);
    expect(state.check(id(1, 0, 1)).kind).toBe("invalidTxnState");
    expect(state.check(txn(1, 0, 1)).kind).toBe("append");
    expect(state.checkPayload(concatBytes([batch(3, 0, 0), batch(3, 0, 1)]))).toEqual({ kind: "append" });
  });

  test("markers are fenced by an older producer epoch or coordinator epoch; a marker at a newer epoch moves the producer to it", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, txn(1, 4, 0), offset);
    state.recordMarker(marker(1, 4, true, 7), 1, 0, true);
    expect(state.checkMarker(marker(1, 3, false, 7)).kind).toBe("fenced");
    expect(state.checkMarker(marker(1, 4, false, 6)).kind).toBe("coordinatorFenced");
    // The coordinator fences the producer: it aborts at a bumped epoch.
    append(state, txn(1, 4, 1), offset);
    const ended = state.recordMarker(marker(1, 5, false, 7), 3, 0, true);
    expect(ended?.aborted).toBe(true);
    expect(state.check(txn(1, 4, 2)).kind).toBe("fenced");
    expect(state.check(txn(1, 5, 0)).kind).toBe("append");
  });

  test("a cut past a marker opens its transaction again; a cut of its first batch forgets it", () => {
    const state = new ProducerState();
    const offset = { value: 0 };
    append(state, txn(1, 0, 0), offset); // 0
    append(state, txn(2, 0, 0), offset); // 1
    state.recordMarker(marker(1, 0, true), 2, 0, false);
    expect(state.lastStableOffset(2)).toBe(0); // the marker is not visible: its transaction still holds the LSO
    state.truncate(2); // a failed write cuts the log back to the high watermark, the marker with it
    expect(state.openTxnFirstOffset(1)).toBe(0);
    expect(state.lastStableOffset(2)).toBe(0);
    state.truncate(1); // producer 2's batch at 1 goes too
    expect(state.openTxnFirstOffset(2)).toBe(-1);
    expect(state.lastStableOffset(1)).toBe(0);
  });

  test("replay rebuilds open transactions from stored batches and markers; snapshots keep them", () => {
    const stored = [
      buildBatch({ records: [{ value: "a" }], producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: true, baseOffset: 0 }),
      buildBatch({ records: [{ value: "b" }], producerId: 2, producerEpoch: 0, baseSequence: 0, transactional: true, baseOffset: 1 }),
      markerAt(buildMarkerBatch({ producerId: 1, producerEpoch: 0, commit: false, coordinatorEpoch: 3 }, 500), 2),
    ];
    const state = new ProducerState();
    const ended = stored.map((b) => state.replay(b, 0));
    expect(ended[2]).toEqual({ producerId: 1, firstOffset: 0, lastOffset: 2, aborted: true, lastStableOffset: 1 });
    expect(state.lastStableOffset(3)).toBe(1);
    const restored = ProducerState.fromSnapshot(JSON.parse(JSON.stringify(state.snapshot())));
    expect(restored.lastStableOffset(3)).toBe(1);
    expect(restored.describe()).toEqual(state.describe());
    expect(restored.describe().find((p) => p.producerId === 1)).toMatchObject({ coordinatorEpoch: 3, lastTimestampMs: 500, currentTxnStartOffset: -1 });
  });

  test("a Raft replica's replay: a marker not yet visible holds the LSO, a cut of it reopens the transaction; a pending batch opens one once placed", () => {
    const stored = [
      buildBatch({ records: [{ value: "a" }], producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: true, baseOffset: 0 }),
      markerAt(buildMarkerBatch({ producerId: 1, producerEpoch: 0, commit: false, coordinatorEpoch: 3 }, 500), 1),
    ];
    const state = new ProducerState();
    for (const b of stored) state.replay(b, 0, { visible: false });
    expect(state.lastStableOffset(1)).toBe(0); // the marker at 1 is not committed yet
    state.truncate(1); // a new leader's log lacks it
    expect(state.openTxnFirstOffset(1)).toBe(0);
    state.replay(markerAt(buildMarkerBatch({ producerId: 1, producerEpoch: 0, commit: false, coordinatorEpoch: 4 }, 600), 1), 0, { visible: false });
    state.forgetVisibleEnds(2);
    expect(state.lastStableOffset(2)).toBe(2);

    // A leader's proposal is remembered before its offset is known: its transaction opens when the group places it.
    const pending = buildBatch({ records: [{ value: "b" }], producerId: 2, producerEpoch: 0, baseSequence: 0, transactional: true });
    state.rememberPending(pending, Promise.resolve());
    expect(state.openTxnFirstOffset(2)).toBe(-1);
    expect(state.lastStableOffset(2)).toBe(2);
    state.openTxnAt(2, 2);
    expect(state.openTxnFirstOffset(2)).toBe(2);
    expect(state.lastStableOffset(3)).toBe(2);
  });
});

function markerAt(bytes: Uint8Array, offset: number): Uint8Array {
  rb.setBaseOffset(bytes, offset);
  return bytes;
}

test("replay takes a malformed control batch (a client could store one before they were refused) as no marker", () => {
  const state = new ProducerState();
  const bogus = buildBatch({ records: [{ key: new Uint8Array([0, 0, 0, 0]), value: new Uint8Array([1]) }], control: true, transactional: true, producerId: 4, producerEpoch: 0, baseSequence: -1 });
  expect(state.replay(bogus, 0)).toBeNull();
  expect(state.producerCount).toBe(0);
});

/** The transaction state machine alone: Kafka's transitions and error codes, no I/O. */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "../protocol/errors.ts";
import {
  completed, fencedAbort, hasExpired, hasTimedOut, newMetadata, planAddOffsets, planAddPartitions, planEnd, planInit, verifyGroup, verifyPartitions, type TxnMetadata,
} from "./transaction.ts";

const NOW = 1_000_000;
const init = (meta: TxnMetadata, producerId = -1, producerEpoch = -1) => planInit(meta, { transactionalId: "t", transactionTimeoutMs: 60_000, producerId, producerEpoch }, NOW);

function written(plan: ReturnType<typeof init> | ReturnType<typeof planAddPartitions>): TxnMetadata {
  if (plan.kind !== "write" && plan.kind !== "fenceAndAbort") throw new Error(`expected a write, got ${JSON.stringify(plan)}`);
  return plan.next;
}

const at = (epoch: number): TxnMetadata => written(init({ ...newMetadata("t", 7, 60_000, NOW), producerEpoch: epoch - 1 }));
const ref = (meta: TxnMetadata) => ({ transactionalId: "t", producerId: meta.producerId, producerEpoch: meta.producerEpoch });
const add = (meta: TxnMetadata, ...partitions: number[]) => planAddPartitions(meta, { ...ref(meta), partitions: partitions.map((partition) => ({ topic: "a", partition })), verifyOnly: false }, NOW);
const ongoing = (meta: TxnMetadata) => written(add(meta, 0, 1));

describe("InitProducerId", () => {
  test("a new id gets epoch 0, every later init bumps the epoch and keeps the producer id", () => {
    const first = written(init(newMetadata("t", 7, 60_000, NOW)));
    expect(first).toMatchObject({ producerId: 7, producerEpoch: 0, state: "Empty" });
    const second = written(init(first));
    expect(second).toMatchObject({ producerId: 7, producerEpoch: 1, state: "Empty" });
  });

  test("an ongoing transaction of the old producer is fenced (epoch + 1) and aborted", () => {
    const plan = init(ongoing(at(3)));
    expect(plan.kind).toBe("fenceAndAbort");
    expect(written(plan)).toMatchObject({ producerEpoch: 4, state: "PrepareAbort", partitions: [{ topic: "a", partition: 0 }, { topic: "a", partition: 1 }] });
  });

  test("while markers are out: CONCURRENT_TRANSACTIONS", () => {
    const preparing = { ...ongoing(at(3)), state: "PrepareCommit" as const };
    expect(init(preparing)).toEqual({ kind: "error", errorCode: ErrorCode.CONCURRENT_TRANSACTIONS });
  });

  test("KIP-360: the current id and epoch bump; a retry of that bump is answered again; anything else is fenced", () => {
    const current = at(5);
    const bumped = written(init(current, 7, 5));
    expect(bumped).toMatchObject({ producerEpoch: 6, lastProducerEpoch: 5 });
    expect(written(init(bumped, 7, 5))).toMatchObject({ producerEpoch: 6 }); // its answer was lost
    expect(init(bumped, 7, 3)).toEqual({ kind: "error", errorCode: ErrorCode.PRODUCER_FENCED });
    expect(init(bumped, 8, 6)).toEqual({ kind: "error", errorCode: ErrorCode.PRODUCER_FENCED });
  });

  test("an exhausted epoch rotates the producer id", () => {
    const plan = init(at(32766));
    expect(plan).toMatchObject({ kind: "write", newProducerId: true });
    expect(written(plan)).toMatchObject({ producerEpoch: 0, lastProducerId: 7 });
  });
});

describe("AddPartitionsToTxn and AddOffsetsToTxn", () => {
  test("the first add opens the transaction at now; adding what it holds writes nothing", () => {
    const open = ongoing(at(0));
    expect(open).toMatchObject({ state: "Ongoing", startMs: NOW });
    expect(add(open, 1, 0)).toEqual({ kind: "none" });
    expect(written(add(open, 2)).partitions).toHaveLength(3);
  });

  test("a wrong producer id, an old epoch, a transaction being finished", () => {
    const open = ongoing(at(2));
    const partitions = [{ topic: "a", partition: 0 }];
    expect(planAddPartitions(open, { ...ref(open), producerId: 99, partitions, verifyOnly: false }, NOW)).toEqual({ kind: "error", errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING });
    expect(planAddPartitions(open, { ...ref(open), producerEpoch: 1, partitions, verifyOnly: false }, NOW)).toEqual({ kind: "error", errorCode: ErrorCode.PRODUCER_FENCED });
    expect(add({ ...open, state: "PrepareAbort" }, 0)).toEqual({ kind: "error", errorCode: ErrorCode.CONCURRENT_TRANSACTIONS });
  });

  test("KIP-890 verification: NONE only for partitions the ongoing transaction holds", () => {
    const open = ongoing(at(0));
    const args = { ...ref(open), partitions: [{ topic: "a", partition: 0 }, { topic: "a", partition: 5 }], verifyOnly: true };
    expect(verifyPartitions(open, args)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE]);
    expect(verifyPartitions(completed({ ...open, state: "PrepareCommit" }, NOW), args)).toEqual([ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_TXN_STATE]);
    expect(verifyPartitions(open, { ...args, producerEpoch: open.producerEpoch - 1 })).toEqual([ErrorCode.PRODUCER_FENCED, ErrorCode.PRODUCER_FENCED]);
  });

  test("a group joins the transaction once; TxnOffsetCommit's check wants it there", () => {
    const withGroup = written(planAddOffsets(at(0), ref(at(0)), "g", NOW));
    expect(withGroup).toMatchObject({ state: "Ongoing", groups: ["g"] });
    expect(planAddOffsets(withGroup, ref(withGroup), "g", NOW)).toEqual({ kind: "none" });
    expect(verifyGroup(withGroup, ref(withGroup), "g")).toBe(ErrorCode.NONE);
    expect(verifyGroup(withGroup, ref(withGroup), "other")).toBe(ErrorCode.INVALID_TXN_STATE);
  });
});

describe("EndTxn", () => {
  const end = (meta: TxnMetadata, commit: boolean) => planEnd(meta, { ...ref(meta), commit }, NOW);

  test("ongoing → prepare; completed: a retry of the same outcome is NONE, the other INVALID_TXN_STATE", () => {
    const prepared = written(end(ongoing(at(0)), true));
    expect(prepared.state).toBe("PrepareCommit");
    expect(end(prepared, true)).toEqual({ kind: "error", errorCode: ErrorCode.CONCURRENT_TRANSACTIONS });
    expect(end(prepared, false)).toEqual({ kind: "error", errorCode: ErrorCode.INVALID_TXN_STATE });
    const done = completed(prepared, NOW);
    expect(done).toMatchObject({ state: "CompleteCommit", partitions: [], groups: [], startMs: -1 });
    expect(end(done, true)).toEqual({ kind: "none" });
    expect(end(done, false)).toEqual({ kind: "error", errorCode: ErrorCode.INVALID_TXN_STATE });
  });

  test("nothing open: INVALID_TXN_STATE; an old epoch: PRODUCER_FENCED", () => {
    expect(end(at(1), true)).toEqual({ kind: "error", errorCode: ErrorCode.INVALID_TXN_STATE });
    const open = ongoing(at(1));
    expect(planEnd(open, { ...ref(open), producerEpoch: 0, commit: true }, NOW)).toEqual({ kind: "error", errorCode: ErrorCode.PRODUCER_FENCED });
  });
});

describe("timeouts and expiry", () => {
  test("an ongoing transaction times out after its timeout; the abort fences its epoch", () => {
    const open = ongoing(at(4));
    expect(hasTimedOut(open, NOW + 60_000)).toBe(false);
    expect(hasTimedOut(open, NOW + 60_001)).toBe(true);
    expect(fencedAbort(open, NOW)).toMatchObject({ state: "PrepareAbort", producerEpoch: 5 });
  });

  test("only an id with nothing open expires", () => {
    expect(hasExpired(at(0), NOW + 10, 10)).toBe(true);
    expect(hasExpired(ongoing(at(0)), NOW + 10, 10)).toBe(false);
    expect(hasExpired(at(0), NOW + 9, 10)).toBe(false);
  });
});

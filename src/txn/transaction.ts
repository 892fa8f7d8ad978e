/**
 * One transactional id's state and its transitions, as Kafka's TransactionMetadata and
 * TransactionCoordinator decide them. Pure: no I/O, no clock (time is passed in). Each
 * `plan*` function looks at the current state and a request and says what to do: answer an
 * error, answer without a change, or write the next state (the coordinator writes it to the
 * transaction log and only then makes it current).
 */
import { ErrorCode } from "../protocol/errors.ts";
import type { AddPartitionsArgs, EndTxnArgs, InitProducerIdArgs, ProducerRef, TxnPartition, TxnStateName } from "./types.ts";

/** What the transaction log stores for one transactional id; each transition writes it whole. */
export interface TxnMetadata {
  transactionalId: string;
  producerId: number;
  /** The id before a rotation (epoch exhausted), so a retried InitProducerId is recognised (KIP-360); -1 when none. */
  lastProducerId: number;
  producerEpoch: number;
  /** The epoch before the last bump by InitProducerId, -1 when none. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnStateName;
  partitions: TxnPartition[];
  /** Groups whose offsets this transaction commits (AddOffsetsToTxn). */
  groups: string[];
  /** When the transaction began (first partition or group added); -1 when none is open. */
  startMs: number;
  updateMs: number;
}

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Kafka's Short.MaxValue - 1: past it the producer id is rotated (KIP-360). */
const EPOCH_EXHAUSTED_AT = 32766;

export const isEpochExhausted = (epoch: number) => epoch >= EPOCH_EXHAUSTED_AT;

export type InitPlan =
  | { kind: "error"; errorCode: number }
  /** Write `next`; `newProducerId` says the caller must first take a fresh producer id for it. */
  | { kind: "write"; next: TxnMetadata; newProducerId: boolean }
  /** An ongoing transaction of the old epoch: fence it (epoch + 1) and abort it; the client retries. */
  | { kind: "fenceAndAbort"; next: TxnMetadata };

/** The metadata of a transactional id seen for the first time: a fresh producer id, no epoch yet. */
export function newMetadata(transactionalId: string, producerId: number, timeoutMs: number, nowMs: number): TxnMetadata {
  return {
    transactionalId, producerId, lastProducerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, lastProducerEpoch: NO_PRODUCER_EPOCH,
    timeoutMs, state: "Empty", partitions: [], groups: [], startMs: -1, updateMs: nowMs,
  };
}

/** Kafka's isValidProducerId: the id a KIP-360 request names must be this one (or the one before a rotation). */
function isValidProducerId(meta: TxnMetadata, args: InitProducerIdArgs): boolean {
  if (args.producerId === NO_PRODUCER_ID) return true;
  return meta.producerEpoch === NO_PRODUCER_EPOCH || args.producerId === meta.producerId || (args.producerId === meta.lastProducerId && isEpochExhausted(args.producerEpoch));
}

/** InitProducerId on an id that already has metadata (`meta`), with its timeout already checked. */
export function planInit(meta: TxnMetadata, args: InitProducerIdArgs, nowMs: number): InitPlan {
  if (!isValidProducerId(meta, args)) return { kind: "error", errorCode: ErrorCode.PRODUCER_FENCED };
  const expectedEpoch = args.producerId === NO_PRODUCER_ID ? null : args.producerEpoch;
  switch (meta.state) {
    case "PrepareCommit":
    case "PrepareAbort":
    case "PrepareEpochFence":
    case "Dead":
      return { kind: "error", errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    case "Ongoing":
      return { kind: "fenceAndAbort", next: fencedAbort(meta, nowMs) };
    case "Empty":
    case "CompleteCommit":
    case "CompleteAbort": {
      const base = { ...meta, timeoutMs: args.transactionTimeoutMs, state: "Empty" as const, partitions: [], groups: [], startMs: -1, updateMs: nowMs };
      if (isEpochExhausted(meta.producerEpoch) && (expectedEpoch === null || expectedEpoch === meta.producerEpoch)) {
        // Rotation: the caller fills in the new id; the old one is kept to recognise a retry.
        return { kind: "write", newProducerId: true, next: { ...base, lastProducerId: meta.producerId, producerEpoch: 0, lastProducerEpoch: expectedEpoch === null ? NO_PRODUCER_EPOCH : meta.producerEpoch } };
      }
      const bumped = meta.producerEpoch + 1;
      if (expectedEpoch === null) return { kind: "write", newProducerId: false, next: { ...base, producerEpoch: bumped, lastProducerEpoch: NO_PRODUCER_EPOCH } };
      if (meta.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === meta.producerEpoch) {
        return { kind: "write", newProducerId: false, next: { ...base, producerEpoch: bumped, lastProducerEpoch: meta.producerEpoch } };
      }
      // A retry whose answer was lost: the bump already happened, answer it again.
      if (expectedEpoch === meta.lastProducerEpoch) return { kind: "write", newProducerId: false, next: { ...meta } };
      return { kind: "error", errorCode: ErrorCode.PRODUCER_FENCED };
    }
  }
}

/** The epoch fenced (+1, unless exhausted) and the ongoing transaction put to PrepareAbort (InitProducerId of a new producer, or a timeout). */
export function fencedAbort(meta: TxnMetadata, nowMs: number): TxnMetadata {
  const epoch = isEpochExhausted(meta.producerEpoch) ? meta.producerEpoch : meta.producerEpoch + 1;
  return { ...meta, producerEpoch: epoch, state: "PrepareAbort", updateMs: nowMs };
}

/** Checks shared by AddPartitionsToTxn, AddOffsetsToTxn and the KIP-890 verification. */
function producerProblem(meta: TxnMetadata, ref: ProducerRef): number {
  if (meta.producerId !== ref.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (meta.producerEpoch !== ref.producerEpoch) return ErrorCode.PRODUCER_FENCED;
  if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort" || meta.state === "PrepareEpochFence" || meta.state === "Dead") return ErrorCode.CONCURRENT_TRANSACTIONS;
  return ErrorCode.NONE;
}

const partitionKey = (p: TxnPartition) => `${p.topic}/${p.partition}`;

export function holdsPartition(meta: TxnMetadata, p: TxnPartition): boolean {
  return meta.partitions.some((q) => q.topic === p.topic && q.partition === p.partition);
}

export type AddPlan = { kind: "error"; errorCode: number } | { kind: "none" } | { kind: "write"; next: TxnMetadata };

/** The state an ongoing transaction has once `partitions` and `groups` are in it (starting it if it was not open). */
function withAdded(meta: TxnMetadata, partitions: TxnPartition[], groups: string[], nowMs: number): TxnMetadata {
  const opening = meta.state !== "Ongoing";
  const known = new Set(meta.partitions.map(partitionKey));
  const added = partitions.filter((p) => !known.has(partitionKey(p)) && (known.add(partitionKey(p)), true));
  return {
    ...meta,
    state: "Ongoing",
    partitions: [...meta.partitions, ...added.map((p) => ({ topic: p.topic, partition: p.partition }))],
    groups: [...new Set([...meta.groups, ...groups])],
    startMs: opening ? nowMs : meta.startMs,
    updateMs: nowMs,
  };
}

/** AddPartitionsToTxn (not verifyOnly): partitions join the transaction, opening it if needed. */
export function planAddPartitions(meta: TxnMetadata, args: AddPartitionsArgs, nowMs: number): AddPlan {
  const problem = producerProblem(meta, args);
  if (problem !== ErrorCode.NONE) return { kind: "error", errorCode: problem };
  if (meta.state === "Ongoing" && args.partitions.every((p) => holdsPartition(meta, p))) return { kind: "none" };
  return { kind: "write", next: withAdded(meta, args.partitions, [], nowMs) };
}

/** KIP-890 part 1: one code per partition, NONE only if this producer's ongoing transaction holds it. */
export function verifyPartitions(meta: TxnMetadata, args: AddPartitionsArgs): number[] {
  const problem = producerProblem(meta, args);
  if (problem !== ErrorCode.NONE) return args.partitions.map(() => problem);
  return args.partitions.map((p) => (meta.state === "Ongoing" && holdsPartition(meta, p) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE));
}

/** TxnOffsetCommit's check (KIP-890 for offsets): this producer's ongoing transaction holds the group. */
export function verifyGroup(meta: TxnMetadata, ref: ProducerRef, groupId: string): number {
  const problem = producerProblem(meta, ref);
  if (problem !== ErrorCode.NONE) return problem;
  return meta.state === "Ongoing" && meta.groups.includes(groupId) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
}

/** AddOffsetsToTxn: the group joins the transaction (its offsets are committed or dropped with it). */
export function planAddOffsets(meta: TxnMetadata, ref: ProducerRef, groupId: string, nowMs: number): AddPlan {
  const problem = producerProblem(meta, ref);
  if (problem !== ErrorCode.NONE) return { kind: "error", errorCode: problem };
  if (meta.state === "Ongoing" && meta.groups.includes(groupId)) return { kind: "none" };
  return { kind: "write", next: withAdded(meta, [], [groupId], nowMs) };
}

/** EndTxn: an ongoing transaction moves to PrepareCommit / PrepareAbort; a retry of a finished one answers NONE. */
export function planEnd(meta: TxnMetadata, args: EndTxnArgs, nowMs: number): AddPlan {
  if (meta.producerId !== args.producerId) return { kind: "error", errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
  if (meta.producerEpoch !== args.producerEpoch) return { kind: "error", errorCode: ErrorCode.PRODUCER_FENCED };
  const sameOutcome = (state: TxnStateName) => (args.commit ? state === "PrepareCommit" || state === "CompleteCommit" : state === "PrepareAbort" || state === "CompleteAbort");
  switch (meta.state) {
    case "Ongoing":
      return { kind: "write", next: { ...meta, state: args.commit ? "PrepareCommit" : "PrepareAbort", updateMs: nowMs } };
    case "CompleteCommit":
    case "CompleteAbort":
      return sameOutcome(meta.state) ? { kind: "none" } : { kind: "error", errorCode: ErrorCode.INVALID_TXN_STATE };
    case "PrepareCommit":
    case "PrepareAbort":
      return sameOutcome(meta.state) ? { kind: "error", errorCode: ErrorCode.CONCURRENT_TRANSACTIONS } : { kind: "error", errorCode: ErrorCode.INVALID_TXN_STATE };
    case "Empty":
      return { kind: "error", errorCode: ErrorCode.INVALID_TXN_STATE };
    case "Dead":
    case "PrepareEpochFence":
      return { kind: "error", errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
  }
}

/** After every marker is written: the transaction is complete and holds nothing. */
export function completed(meta: TxnMetadata, nowMs: number): TxnMetadata {
  const state = meta.state === "PrepareCommit" ? "CompleteCommit" : "CompleteAbort";
  return { ...meta, state, partitions: [], groups: [], startMs: -1, updateMs: nowMs };
}

/** Ongoing past its timeout: to be aborted by the coordinator. */
export function hasTimedOut(meta: TxnMetadata, nowMs: number): boolean {
  return meta.state === "Ongoing" && meta.startMs >= 0 && nowMs > meta.startMs + meta.timeoutMs;
}

/** Idle (no transaction open) for longer than transactional_id_expiration_ms: forgotten. */
export function hasExpired(meta: TxnMetadata, nowMs: number, expirationMs: number): boolean {
  return (meta.state === "Empty" || meta.state === "CompleteCommit" || meta.state === "CompleteAbort") && nowMs - meta.updateMs >= expirationMs;
}

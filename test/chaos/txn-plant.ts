/**
 * Known corruptions of a transactional history, to show txn-checker.ts catches each (`--plant
 * KIND` with `--transactions`, and txn-checker.test.ts). Each returns what it changed, or null
 * when the history has nothing to corrupt that way.
 */
import { plantSkip } from "./plant.ts";
import type { TxnVerdict } from "./txn-checker.ts";
import type { TxnHistory } from "./txn-history.ts";

export const TXN_PLANTS = {
  lose: "lost",
  "aborted-read": "abortedReads",
  partial: "partial",
  duplicate: "duplicated",
  reorder: "orderViolations",
  "dirty-read": "dirtyReads",
  skip: "skipped",
  "stale-offset": "offsetViolations",
  diverge: "diverged",
} as const satisfies Record<string, keyof TxnVerdict>;

export type TxnPlantKind = keyof typeof TXN_PLANTS;

export function isTxnPlantKind(name: string): name is TxnPlantKind {
  return Object.hasOwn(TXN_PLANTS, name);
}

const committedTxns = (h: TxnHistory) => h.txns.filter((t) => t.outcome === "committed");
const indexOf = (h: TxnHistory, value: string) => h.committedLog.findIndex((r) => r.value === value);

export function plantTxn(history: TxnHistory, kind: TxnPlantKind): string | null {
  switch (kind) {
    case "lose": {
      const txn = committedTxns(history).at(-1);
      const i = txn === undefined ? -1 : indexOf(history, txn.records[0]!.value);
      if (i < 0) return null;
      const [record] = history.committedLog.splice(i, 1);
      return `dropped ${record!.value} (a committed transaction's) from the read_committed log`;
    }
    case "aborted-read": {
      const aborted = new Set(history.txns.filter((t) => t.outcome === "aborted").flatMap((t) => t.records.map((r) => r.value)));
      const record = history.uncommittedLog.find((r) => r.value !== null && aborted.has(r.value));
      if (record === undefined) return null;
      history.committedLog.push({ ...record });
      return `put ${record.value} (an aborted transaction's) into the read_committed log`;
    }
    case "partial": {
      const txn = committedTxns(history).find((t) => t.records.length > 1);
      if (txn === undefined) return null;
      txn.outcome = "unknown";
      history.committedLog.splice(indexOf(history, txn.records[1]!.value), 1);
      return `made producer ${txn.producer}'s transaction ${txn.txn} unknown and dropped one of its records from the read_committed log`;
    }
    case "duplicate": {
      const record = history.committedLog[0];
      if (record === undefined) return null;
      history.committedLog.push({ ...record, offset: 1e9 });
      return `read ${record.value} again at ${record.partition}@${1e9}`;
    }
    case "reorder": {
      const pair = samePartitionPair(history);
      if (pair === null) return null;
      const [a, b] = pair.map((value) => history.committedLog[indexOf(history, value)]!);
      [a!.offset, b!.offset] = [b!.offset, a!.offset];
      // The same swap in the read_uncommitted log, so the two views still agree and only the order is wrong.
      for (const r of history.uncommittedLog) r.value = r.value === a!.value ? b!.value : r.value === b!.value ? a!.value : r.value;
      return `swapped the offsets of ${a!.value} and ${b!.value}`;
    }
    case "dirty-read": {
      const [first, second] = history.committedLog;
      if (first === undefined || second === undefined) return null;
      history.groupReads.push({ ...first, value: second.value });
      return `the group read ${second.value} at ${first.partition}@${first.offset}`;
    }
    case "skip": return plantSkip(history);
    case "stale-offset": {
      const txn = committedTxns(history).at(-1);
      if (txn === undefined) return null;
      history.finalOffsets.set(txn.producer, txn.offset - 1);
      return `producer ${txn.producer}'s committed group offset set to ${txn.offset - 1}`;
    }
    case "diverge": {
      const replica = history.replicas.find((r) => r.batches.length > 0);
      if (replica === undefined) return null;
      replica.batches[0]!.crc ^= 1;
      return `changed the CRC of node ${replica.nodeId}'s first batch of partition ${replica.partition}`;
    }
  }
}

/** Two records of one producer's committed transactions on one partition, in send order. */
function samePartitionPair(history: TxnHistory): [string, string] | null {
  const firstOn = new Map<string, string>();
  for (const txn of committedTxns(history).sort((a, b) => a.producer - b.producer || a.txn - b.txn)) {
    for (const r of txn.records) {
      const id = `${txn.producer}/${r.partition}`;
      const before = firstOn.get(id);
      if (before !== undefined) return [before, r.value];
      firstOn.set(id, r.value);
    }
  }
  return null;
}

/** The transactional chaos checker on a synthetic history: clean passes, and each planted fault is reported as its own kind. */
import { describe, expect, test } from "bun:test";
import type { LogRecord } from "./history.ts";
import { checkTxns, txnFailures } from "./txn-checker.ts";
import type { TxnHistory, TxnOutcome } from "./txn-history.ts";
import { plantTxn, TXN_PLANTS, type TxnPlantKind } from "./txn-plant.ts";

/**
 * Two producers, ten transactions each over two partitions (the even ones on both): every third
 * aborted, producer 1's last one unknown and visible, producer 0's last one unknown and not.
 */
function cleanHistory(): TxnHistory {
  const history: TxnHistory = { txns: [], committedLog: [], uncommittedLog: [], groupReads: [], commits: [], finalOffsets: new Map(), replicas: [] };
  const next = [0, 0];
  const lastVisible = new Map<number, number>();
  for (let txn = 0; txn < 10; txn++) {
    for (const producer of [0, 1]) {
      const outcome: TxnOutcome = txn === 9 ? "unknown" : txn % 3 === 2 ? "aborted" : "committed";
      const visible = outcome === "committed" || (outcome === "unknown" && producer === 1);
      const records = (txn % 2 === 0 ? [0, 1] : [producer]).map((partition, n) => ({ value: `t${producer}.${txn}.${n}`, partition }));
      history.txns.push({ producer, txn, records, offset: txn + 1, outcome });
      for (const r of records) {
        const record: LogRecord = { partition: r.partition, offset: next[r.partition]!++, key: null, value: r.value };
        history.uncommittedLog.push(record);
        if (visible) history.committedLog.push({ ...record });
      }
      next[0]!++; // the markers
      next[1]!++;
      if (visible) lastVisible.set(producer, txn + 1);
    }
  }
  history.finalOffsets = lastVisible;
  history.groupReads = history.committedLog.slice(0, 8).map((r) => ({ ...r }));
  // The group read a prefix of each partition; it committed partition 0 through what it read.
  const lastRead0 = history.groupReads.filter((r) => r.partition === 0).at(-1)!;
  history.commits = [{ atMs: 0, partition: 0, offset: 0 }, { atMs: 100, partition: 0, offset: lastRead0.offset + 1 }];
  for (const nodeId of [1, 2, 3]) {
    history.replicas.push({ nodeId, partition: 0, batches: [{ baseOffset: 0, lastOffset: 40, crc: 0xdead }], committedOffset: 40 });
    history.replicas.push({ nodeId, partition: 1, batches: [{ baseOffset: 0, lastOffset: 40, crc: 0xbeef }], committedOffset: 40 });
  }
  return history;
}

describe("transactional chaos checker", () => {
  test("a clean history passes", () => {
    const verdict = checkTxns(cleanHistory());
    expect(verdict.problems).toEqual([]);
    expect(txnFailures(verdict)).toBe(0);
    expect(verdict).toMatchObject({ transactions: 20, committed: 12, aborted: 6, unknown: 2, unknownVisible: 1, comparedPartitions: 2 });
  });

  for (const kind of Object.keys(TXN_PLANTS) as TxnPlantKind[]) {
    test(`planted ${kind} is reported as ${TXN_PLANTS[kind]}`, () => {
      const history = cleanHistory();
      expect(plantTxn(history, kind)).not.toBeNull();
      const verdict = checkTxns(history);
      expect(verdict[TXN_PLANTS[kind]]).toBeGreaterThan(0);
      expect(txnFailures(verdict)).toBeGreaterThan(0);
      expect(verdict.problems.length).toBeGreaterThan(0);
    });
  }

  test("an unknown outcome may go either way, but not halfway, and its offset goes with its records", () => {
    const history = cleanHistory();
    const unknown = history.txns.find((t) => t.producer === 1 && t.outcome === "unknown")!;
    // Drop its records: it aborted after all, so the producer's offset must be the one before.
    history.committedLog = history.committedLog.filter((r) => !unknown.records.some((u) => u.value === r.value));
    expect(checkTxns(history).offsetViolations).toBe(1);
    history.finalOffsets.set(1, 8); // transaction 7's (8 was aborted)
    expect(txnFailures(checkTxns(history))).toBe(0);
  });

  test("the group reading an aborted record during the run is an aborted read, even though the final log is clean", () => {
    const history = cleanHistory();
    const aborted = history.txns.find((t) => t.outcome === "aborted")!.records[0]!.value;
    history.groupReads.push({ ...history.uncommittedLog.find((r) => r.value === aborted)! });
    expect(checkTxns(history).abortedReads).toBe(1);
  });
});

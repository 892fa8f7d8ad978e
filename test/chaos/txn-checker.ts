/**
 * The verdict of a transactional chaos run from its history (txn-history.ts). A transaction is
 * visible when any of its records is in the read_committed log; then all of them must be, and
 * the group offset sent with it too:
 *   - lost: a record of a committed transaction missing from the read_committed log;
 *   - abortedReads: a record of an aborted transaction read under read_committed (the final log
 *     or the consumer group during the run);
 *   - partial: a transaction some of whose records are visible and some not;
 *   - duplicated: a value more than once in the read_committed or the read_uncommitted log;
 *   - phantom: a value read that was never sent;
 *   - dirtyReads: a read_committed record (final or the group's) that the read_uncommitted log
 *     does not hold at that offset;
 *   - orderViolations: one producer's visible records on one partition not in the order sent;
 *   - commitRegressions and skipped: the read_committed group's committed offsets moving
 *     backwards, or past a read_committed record no member was delivered (checker.ts);
 *   - offsetViolations: a producer's committed group offset is not the one sent with its last
 *     visible transaction (an offset committed without its records, or lost with them committed);
 *   - diverged: replicas' disks not holding the same committed prefix (checker.ts).
 * An unknown outcome may go either way; it is counted as visible or not.
 */
import { checkCommits, checkReplicas, checkSkipped, Problems, where, type CommonVerdict } from "./checker.ts";
import type { LogRecord } from "./history.ts";
import type { TxnAttempt, TxnHistory } from "./txn-history.ts";

export interface TxnVerdict extends CommonVerdict {
  transactions: number;
  committed: number;
  aborted: number;
  unknown: number;
  /** Unknown outcomes that turned out visible (committed). */
  unknownVisible: number;
  /** Records in visible transactions (what read_committed must hold). */
  visibleRecords: number;
  abortedReads: number;
  partial: number;
  offsetViolations: number;
}

export function txnFailures(v: TxnVerdict): number {
  return v.lost + v.abortedReads + v.partial + v.duplicated + v.phantom + v.dirtyReads + v.orderViolations + v.commitRegressions + v.skipped + v.offsetViolations + v.diverged;
}

/** Each value's records in a log; values read more than once are counted and reported as duplicated. */
function indexLog(log: LogRecord[], name: string, sent: Map<string, TxnAttempt>, problems: Problems, v: TxnVerdict): Map<string, LogRecord> {
  const out = new Map<string, LogRecord>();
  for (const record of log) {
    if (record.value === null || !sent.has(record.value)) {
      v.phantom++;
      problems.add("phantom", `${name} log ${where(record)} holds ${JSON.stringify(record.value)}, never sent`);
      continue;
    }
    const before = out.get(record.value);
    if (before !== undefined) {
      v.duplicated++;
      problems.add("duplicated", `${record.value} twice in the ${name} log: ${where(before)} and ${where(record)}`);
      continue;
    }
    out.set(record.value, record);
  }
  return out;
}

export function checkTxns(history: TxnHistory): TxnVerdict {
  const problems = new Problems();
  const v: TxnVerdict = {
    transactions: history.txns.length, committed: 0, aborted: 0, unknown: 0, unknownVisible: 0, visibleRecords: 0,
    lost: 0, abortedReads: 0, partial: 0, duplicated: 0, phantom: 0, dirtyReads: 0, orderViolations: 0, commitRegressions: 0, skipped: 0, offsetViolations: 0,
    diverged: 0, comparedPartitions: 0, uncommittedTails: 0, problems: problems.lines,
  };
  const sent = new Map<string, TxnAttempt>();
  for (const txn of history.txns) for (const r of txn.records) sent.set(r.value, txn);
  const committed = indexLog(history.committedLog, "read_committed", sent, problems, v);
  const written = indexLog(history.uncommittedLog, "read_uncommitted", sent, problems, v);

  const visible = new Set<TxnAttempt>();
  for (const txn of history.txns) {
    v[txn.outcome]++;
    const seen = txn.records.filter((r) => committed.has(r.value));
    if (seen.length > 0) visible.add(txn);
    if (txn.outcome === "unknown" && seen.length > 0) v.unknownVisible++;
    if (txn.outcome === "aborted" && seen.length > 0) {
      v.abortedReads += seen.length;
      problems.add("aborted-read", `producer ${txn.producer} transaction ${txn.txn} was aborted; read_committed holds ${seen.map((r) => `${r.value} at ${where(committed.get(r.value)!)}`).join(", ")}`);
    }
    if (txn.outcome === "committed" && seen.length < txn.records.length) {
      v.lost += txn.records.length - seen.length;
      const missing = txn.records.filter((r) => !committed.has(r.value)).map((r) => {
        const acked = r.ackedOffset === undefined ? "not acknowledged" : `acknowledged at ${where({ partition: r.partition, offset: r.ackedOffset })}`;
        return `${r.value} (${acked}; ${written.has(r.value) ? `written at ${where(written.get(r.value)!)}` : "not in the log"})`;
      });
      problems.add("lost", `producer ${txn.producer} transaction ${txn.txn} was committed; read_committed lacks ${missing.join(", ")}`);
    }
    if (seen.length > 0 && seen.length < txn.records.length) {
      v.partial++;
      problems.add("partial", `producer ${txn.producer} transaction ${txn.txn} (${txn.outcome}): ${seen.length} of ${txn.records.length} records visible`);
    }
    if (seen.length > 0) v.visibleRecords += txn.records.length;
    for (const r of seen) {
      const at = committed.get(r.value)!;
      if (at.partition !== r.partition) {
        v.dirtyReads++;
        problems.add("dirty-read", `${r.value} was sent to partition ${r.partition}, read at ${where(at)}`);
      }
    }
  }
  for (const [value, at] of committed) {
    const w = written.get(value);
    if (w === undefined || w.partition !== at.partition || w.offset !== at.offset) {
      v.dirtyReads++;
      problems.add("dirty-read", `read_committed has ${value} at ${where(at)}, read_uncommitted ${w === undefined ? "nowhere" : `at ${where(w)}`}`);
    }
  }
  checkGroupReads(history, sent, committed, problems, v);
  v.orderViolations = checkOrder(history, committed, problems);
  v.commitRegressions = checkCommits(history.commits, problems);
  v.skipped = checkSkipped({ finalLog: history.committedLog, groupReads: history.groupReads, commits: history.commits }, problems);
  v.offsetViolations = checkOffsets(history, visible, problems);
  const replicas = checkReplicas(history.replicas, problems);
  v.diverged = replicas.diverged;
  v.comparedPartitions = replicas.compared;
  v.uncommittedTails = replicas.uncommittedTails;
  return v;
}

/** The read_committed group saw only records the final read_committed log holds at the same offsets. */
function checkGroupReads(history: TxnHistory, sent: Map<string, TxnAttempt>, committed: Map<string, LogRecord>, problems: Problems, v: TxnVerdict): void {
  for (const read of history.groupReads) {
    const txn = read.value === null ? undefined : sent.get(read.value);
    if (txn === undefined) {
      v.phantom++;
      problems.add("phantom", `the group read ${JSON.stringify(read.value)} at ${where(read)}, never sent`);
      continue;
    }
    const final = committed.get(read.value!);
    if (txn.outcome === "aborted") {
      v.abortedReads++;
      problems.add("aborted-read", `the group read ${read.value} at ${where(read)}, of producer ${txn.producer}'s aborted transaction ${txn.txn}`);
    } else if (final === undefined || final.partition !== read.partition || final.offset !== read.offset) {
      v.dirtyReads++;
      problems.add("dirty-read", `the group read ${read.value} at ${where(read)}; the final read_committed log has it ${final === undefined ? "nowhere" : `at ${where(final)}`}`);
    }
  }
}

/** Per producer and partition, visible records in (transaction, send) order sit at increasing offsets. */
function checkOrder(history: TxnHistory, committed: Map<string, LogRecord>, problems: Problems): number {
  const last = new Map<string, { value: string; offset: number }>();
  let violations = 0;
  for (const txn of [...history.txns].sort((a, b) => a.producer - b.producer || a.txn - b.txn)) {
    for (const r of txn.records) {
      const at = committed.get(r.value);
      if (at === undefined) continue;
      const id = `${txn.producer}/${at.partition}`;
      const before = last.get(id);
      if (before !== undefined && at.offset <= before.offset) {
        violations++;
        problems.add("order", `producer ${txn.producer} on partition ${at.partition}: ${before.value} at ${before.offset} was sent before ${r.value} at ${at.offset}`);
      }
      last.set(id, { value: r.value, offset: at.offset });
    }
  }
  return violations;
}

/** Each producer's committed group offset is the one its last visible transaction sent (-1 when none is visible). */
function checkOffsets(history: TxnHistory, visible: Set<TxnAttempt>, problems: Problems): number {
  const producers = new Set(history.txns.map((t) => t.producer));
  let violations = 0;
  for (const producer of producers) {
    const lastVisible = history.txns.filter((t) => t.producer === producer && visible.has(t)).sort((a, b) => a.txn - b.txn).at(-1);
    const expected = lastVisible?.offset ?? -1;
    const actual = history.finalOffsets.get(producer);
    if (actual === expected) continue;
    violations++;
    problems.add("offset", `producer ${producer}: committed group offset ${actual ?? "not read"}, its last visible transaction (${lastVisible?.txn ?? "none"}) sent ${expected}`);
  }
  return violations;
}

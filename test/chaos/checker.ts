/**
 * The chaos run's verdict from its history (history.ts), Jepsen style:
 *   - lost: an acknowledged value missing from the final log;
 *   - misplaced: an acknowledged value present, but not at the partition and offset it was acknowledged with;
 *   - duplicated: a value present more than once in the final log;
 *   - phantom: a value read (final log or consumer group) that was never produced;
 *   - dirtyReads: the consumer group saw a record at an offset where the final log holds another;
 *   - orderViolations: for one producer and key, acknowledged values not in send order in the log;
 *   - commitRegressions: a committed offset of the group lower than one answered before;
 *   - skipped: a record of the final log below the group's highest committed offset of its
 *     partition that no member was delivered (the group committed past what it read);
 *   - diverged: partitions whose replicas' disks do not hold the same committed prefix: the same
 *     batches through the committed offset, the last ending there (what Raft promises; past it
 *     a replica may hold an uncommitted suffix, counted as an uncommitted tail, not a failure).
 * Unacknowledged values may appear (at most once); they are counted, not failures.
 */
import type { CommitSample, DiskBatch, History, LogRecord, ReplicaLog } from "./history.ts";

/** What both chaos checkers (this one and txn-checker.ts) count. */
export interface CommonVerdict {
  lost: number;
  duplicated: number;
  phantom: number;
  dirtyReads: number;
  orderViolations: number;
  commitRegressions: number;
  skipped: number;
  diverged: number;
  /** Partitions whose replicas were compared. */
  comparedPartitions: number;
  /** Replicas holding batches past their partition's committed offset (not compared, not a failure). */
  uncommittedTails: number;
  /** Human-readable examples of each failure (bounded). */
  problems: string[];
}

export interface Verdict extends CommonVerdict {
  acked: number;
  attempted: number;
  unackedPresent: number;
  misplaced: number;
}

const PROBLEMS_PER_KIND_MAX = 5;

export function failures(verdict: Verdict): number {
  return verdict.lost + verdict.misplaced + verdict.duplicated + verdict.phantom + verdict.dirtyReads +
    verdict.orderViolations + verdict.commitRegressions + verdict.skipped + verdict.diverged;
}

/** Failure lines, at most a few per kind (the counts are kept in the verdict). */
export class Problems {
  readonly lines: string[] = [];
  private readonly counts = new Map<string, number>();

  add(kind: string, text: string): void {
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    if (count <= PROBLEMS_PER_KIND_MAX) this.lines.push(`${kind}: ${text}`);
  }
}

export const where = (r: { partition: number; offset: number }) => `${r.partition}@${r.offset}`;

export function check(history: History): Verdict {
  const problems = new Problems();
  const produced = new Map(history.attempts.map((a) => [a.value, a]));
  const present = new Map<string, LogRecord[]>();
  for (const record of history.finalLog) {
    if (record.value === null || !produced.has(record.value)) {
      problems.add("phantom", `final log ${where(record)} holds ${JSON.stringify(record.value)}, never produced`);
      continue;
    }
    const seen = present.get(record.value) ?? [];
    seen.push(record);
    present.set(record.value, seen);
  }
  const verdict: Verdict = {
    acked: 0, attempted: history.attempts.length, unackedPresent: 0, lost: 0, misplaced: 0, duplicated: 0,
    phantom: history.finalLog.filter((r) => r.value === null || !produced.has(r.value)).length,
    dirtyReads: 0, orderViolations: 0, commitRegressions: 0, skipped: 0, diverged: 0, comparedPartitions: 0, uncommittedTails: 0,
    problems: problems.lines,
  };
  for (const [value, records] of present) {
    if (records.length > 1) {
      verdict.duplicated += records.length - 1;
      problems.add("duplicated", `${value} at ${records.map(where).join(", ")}`);
    }
  }
  for (const attempt of history.attempts) {
    const records = present.get(attempt.value) ?? [];
    if (attempt.acked === null) {
      if (records.length > 0) verdict.unackedPresent++;
      continue;
    }
    verdict.acked++;
    if (records.length === 0) {
      verdict.lost++;
      problems.add("lost", `${attempt.value} acknowledged at ${where(attempt.acked)}`);
    } else if (!records.some((r) => r.partition === attempt.acked!.partition && r.offset === attempt.acked!.offset)) {
      verdict.misplaced++;
      problems.add("misplaced", `${attempt.value} acknowledged at ${where(attempt.acked)}, found at ${records.map(where).join(", ")}`);
    }
  }
  verdict.orderViolations = checkOrder(history, present, problems);
  verdict.dirtyReads = checkGroupReads(history, produced, problems, verdict);
  verdict.commitRegressions = checkCommits(history.commits, problems);
  verdict.skipped = checkSkipped(history, problems);
  const replicas = checkReplicas(history.replicas, problems);
  verdict.diverged = replicas.diverged;
  verdict.comparedPartitions = replicas.compared;
  verdict.uncommittedTails = replicas.uncommittedTails;
  return verdict;
}

/** Per producer and key, acknowledged values sorted by seq must sit at increasing positions in the log. */
function checkOrder(history: History, present: Map<string, LogRecord[]>, problems: Problems): number {
  const byProducerKey = new Map<string, Array<{ seq: number; value: string }>>();
  for (const a of history.attempts) {
    if (a.acked === null) continue;
    const id = `${a.producer}/${a.key}`;
    const list = byProducerKey.get(id) ?? [];
    list.push({ seq: a.seq, value: a.value });
    byProducerKey.set(id, list);
  }
  let violations = 0;
  for (const [id, list] of byProducerKey) {
    list.sort((x, y) => x.seq - y.seq);
    let previous: LogRecord | null = null;
    let previousValue = "";
    for (const { value } of list) {
      const record = present.get(value)?.[0];
      if (record === undefined) continue; // lost: reported already
      if (previous !== null && (record.partition !== previous.partition || record.offset <= previous.offset)) {
        violations++;
        problems.add("order", `${id}: ${previousValue} at ${where(previous)} was sent before ${value} at ${where(record)}`);
      }
      previous = record;
      previousValue = value;
    }
  }
  return violations;
}

/** The group never saw a value that was never produced, nor one the final log does not hold at that offset. */
function checkGroupReads(history: History, produced: Map<string, unknown>, problems: Problems, verdict: Verdict): number {
  const finalAt = new Map(history.finalLog.map((r) => [where(r), r.value]));
  let dirty = 0;
  for (const read of history.groupReads) {
    if (read.value === null || !produced.has(read.value)) {
      verdict.phantom++;
      problems.add("phantom", `the group read ${JSON.stringify(read.value)} at ${where(read)}, never produced`);
    } else if (finalAt.get(where(read)) !== read.value) {
      dirty++;
      problems.add("dirty-read", `the group read ${read.value} at ${where(read)}; the final log has ${JSON.stringify(finalAt.get(where(read)) ?? null)} there`);
    }
  }
  return dirty;
}

/** Committed offsets per partition, in sampling order, never decrease. */
export function checkCommits(commits: CommitSample[], problems: Problems): number {
  const highest = new Map<number, { offset: number; atMs: number }>();
  let regressions = 0;
  for (const sample of [...commits].sort((a, b) => a.atMs - b.atMs)) {
    const before = highest.get(sample.partition);
    if (before !== undefined && sample.offset < before.offset) {
      regressions++;
      problems.add("commit-regression", `partition ${sample.partition}: ${before.offset} at ${before.atMs} ms, then ${sample.offset} at ${sample.atMs} ms`);
      continue;
    }
    highest.set(sample.partition, { offset: sample.offset, atMs: sample.atMs });
  }
  return regressions;
}

/** Every final-log record below its partition's highest committed offset was delivered to the group (at least once). */
export function checkSkipped(history: Pick<History, "finalLog" | "groupReads" | "commits">, problems: Problems): number {
  const committed = new Map<number, number>();
  for (const c of history.commits) committed.set(c.partition, Math.max(c.offset, committed.get(c.partition) ?? -1));
  const read = new Set(history.groupReads.map(where));
  let skipped = 0;
  for (const record of history.finalLog) {
    if (record.offset >= (committed.get(record.partition) ?? -1) || read.has(where(record))) continue;
    skipped++;
    problems.add("skipped", `${record.value} at ${where(record)} was never delivered to the group, which committed ${committed.get(record.partition)} on partition ${record.partition}`);
  }
  return skipped;
}

const batchText = (b: DiskBatch) => `[${b.baseOffset}..${b.lastOffset} crc ${b.crc.toString(16)}]`;

/**
 * Every replica of a partition holds the same committed prefix: the same batches (offsets and
 * CRCs) up to the partition's committed offset, the last of them ending exactly there. Batches
 * past it are not compared (Raft promises nothing of an uncommitted suffix), only counted.
 */
export function checkReplicas(replicaLogs: ReplicaLog[], problems: Problems): { diverged: number; compared: number; uncommittedTails: number } {
  const byPartition = new Map<number, ReplicaLog[]>();
  for (const replica of replicaLogs) {
    const list = byPartition.get(replica.partition) ?? [];
    list.push(replica);
    byPartition.set(replica.partition, list);
  }
  let diverged = 0;
  let uncommittedTails = 0;
  for (const [partition, replicas] of byPartition) {
    // One per partition (final-check.ts records the same on each replica); not known: whole logs.
    const known = replicas.map((r) => r.committedOffset).filter((c) => c !== null);
    const committedOffset = known.length === replicas.length ? Math.min(...known) : null;
    const prefixes = replicas.map((replica) => ({ replica, prefix: committedPrefix(replica.batches, committedOffset) }));
    uncommittedTails += prefixes.filter(({ replica, prefix }) => replica.batches.length > prefix.length).length;
    const short = committedOffset === null ? undefined : prefixes.find(({ prefix }) => (prefix.at(-1)?.lastOffset ?? -1) !== committedOffset);
    if (short !== undefined) {
      diverged++;
      const last = short.prefix.at(-1);
      problems.add("diverged", `partition ${partition}: node ${short.replica.nodeId} holds ${last === undefined ? "none of the committed log" : `the committed log only through offset ${last.lastOffset}`}, committed through ${committedOffset}`);
      continue;
    }
    const [first, ...rest] = prefixes;
    for (const other of rest) {
      const difference = firstDifference(first!.prefix, other.prefix);
      if (difference === null) continue;
      diverged++;
      problems.add("diverged", `partition ${partition}: node ${first!.replica.nodeId} vs node ${other.replica.nodeId} at batch ${difference.index}: ${difference.a} vs ${difference.b}`);
      break;
    }
  }
  return { diverged, compared: byPartition.size, uncommittedTails };
}

/** The batches through `committedOffset` (batches are in offset order); null: all of them. */
function committedPrefix(batches: DiskBatch[], committedOffset: number | null): DiskBatch[] {
  if (committedOffset === null) return batches;
  const end = batches.findIndex((b) => b.lastOffset > committedOffset);
  return end < 0 ? batches : batches.slice(0, end);
}

function firstDifference(a: DiskBatch[], b: DiskBatch[]): { index: number; a: string; b: string } | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && x.baseOffset === y.baseOffset && x.lastOffset === y.lastOffset && x.crc === y.crc) continue;
    return { index: i, a: x === undefined ? "(end)" : batchText(x), b: y === undefined ? "(end)" : batchText(y) };
  }
  return null;
}

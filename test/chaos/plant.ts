/**
 * Known corruptions of a history, to show the checker catches each one (`--plant KIND` on a real
 * run, and checker.test.ts on a synthetic one). Each returns a description of what it changed,
 * or null when the history has nothing to corrupt that way (e.g. no acknowledged record).
 */
import type { Verdict } from "./checker.ts";
import type { History } from "./history.ts";

export const PLANTS = {
  lose: "lost",
  duplicate: "duplicated",
  misplace: "misplaced",
  reorder: "orderViolations",
  phantom: "phantom",
  "dirty-read": "dirtyReads",
  "commit-regress": "commitRegressions",
  skip: "skipped",
  diverge: "diverged",
} as const satisfies Record<string, keyof Verdict>;

export type PlantKind = keyof typeof PLANTS;

export function isPlantKind(name: string): name is PlantKind {
  return Object.hasOwn(PLANTS, name);
}

function ackedIndexes(history: History): number[] {
  const acked = new Set(history.attempts.filter((a) => a.acked !== null).map((a) => a.value));
  return history.finalLog.flatMap((r, i) => (r.value !== null && acked.has(r.value) ? [i] : []));
}

export function plant(history: History, kind: PlantKind): string | null {
  const acked = ackedIndexes(history);
  switch (kind) {
    case "lose": {
      const i = acked[Math.floor(acked.length / 2)];
      if (i === undefined) return null;
      const [record] = history.finalLog.splice(i, 1);
      return `dropped ${record!.value} from the final log`;
    }
    case "duplicate": {
      const i = acked[0];
      if (i === undefined) return null;
      const record = history.finalLog[i]!;
      const last = Math.max(...history.finalLog.filter((r) => r.partition === record.partition).map((r) => r.offset));
      history.finalLog.push({ ...record, offset: last + 1 });
      return `appended a second copy of ${record.value} to partition ${record.partition}`;
    }
    case "misplace": {
      const i = acked[0];
      if (i === undefined) return null;
      history.finalLog[i] = { ...history.finalLog[i]!, offset: history.finalLog[i]!.offset + 1_000_000 };
      return `moved ${history.finalLog[i]!.value} to offset ${history.finalLog[i]!.offset}`;
    }
    case "reorder": return plantReorder(history);
    case "phantom": {
      history.finalLog.push({ partition: 0, offset: 9_999_999, key: "k0", value: "never:sent" });
      return "added a record nobody produced";
    }
    case "dirty-read": {
      const read = history.groupReads[0] ?? history.finalLog[0];
      if (read === undefined) return null;
      history.groupReads.push({ ...read, offset: read.offset + 5_000_000 });
      return `the group 'read' ${read.value} at an offset the final log does not hold`;
    }
    case "commit-regress": {
      const last = history.commits.filter((c) => c.offset > 0).at(-1);
      if (last === undefined) return null;
      history.commits.push({ atMs: last.atMs + 1, partition: last.partition, offset: last.offset - 1 });
      return `a committed offset of partition ${last.partition} went from ${last.offset} to ${last.offset - 1}`;
    }
    case "skip": return plantSkip(history);
    case "diverge": {
      // The last committed batch: the replicas are compared up to it (past it they may differ).
      const copies = (partition: number) => history.replicas.filter((r) => r.partition === partition).length;
      const lastCommitted = (r: History["replicas"][number]) => (r.committedOffset === null ? r.batches.length - 1 : r.batches.findLastIndex((b) => b.lastOffset <= r.committedOffset!));
      const replica = history.replicas.find((r) => lastCommitted(r) >= 0 && copies(r.partition) > 1);
      if (replica === undefined) return null;
      const at = lastCommitted(replica);
      replica.batches[at] = { ...replica.batches[at]!, crc: (replica.batches[at]!.crc ^ 1) >>> 0 };
      return `flipped a CRC bit of node ${replica.nodeId}'s last committed batch of partition ${replica.partition}`;
    }
  }
}

/** Drops every group read of one record below the group's last committed offset of its partition. */
export function plantSkip(history: Pick<History, "commits" | "groupReads">): string | null {
  const committed = history.commits.filter((c) => c.offset > 0).at(-1);
  const read = committed === undefined ? undefined : history.groupReads.find((r) => r.partition === committed.partition && r.offset < committed.offset);
  if (read === undefined) return null;
  history.groupReads = history.groupReads.filter((r) => r.partition !== read.partition || r.offset !== read.offset);
  return `the group never read ${read.value} at ${read.partition}@${read.offset}, below its committed offset ${committed!.offset}`;
}

/** Swaps the log positions of two acknowledged values of one producer and key. */
function plantReorder(history: History): string | null {
  const acked = new Map(history.attempts.filter((a) => a.acked !== null).map((a) => [a.value, a]));
  const firstOf = new Map<string, number>();
  for (const [i, record] of history.finalLog.entries()) {
    const attempt = record.value === null ? undefined : acked.get(record.value);
    if (attempt === undefined) continue;
    const id = `${attempt.producer}/${attempt.key}`;
    const j = firstOf.get(id);
    if (j === undefined) {
      firstOf.set(id, i);
      continue;
    }
    const a = history.finalLog[j]!;
    const b = history.finalLog[i]!;
    history.finalLog[j] = { ...a, value: b.value };
    history.finalLog[i] = { ...b, value: a.value };
    for (const v of [a.value!, b.value!]) {
      const at = history.finalLog.find((r) => r.value === v)!;
      acked.get(v)!.acked = { partition: at.partition, offset: at.offset }; // only the order is wrong, not the offsets
    }
    return `swapped ${a.value} and ${b.value} (producer/key ${id})`;
  }
  return null;
}

/**
 * The checkers on hand-built node views: each property passes a valid history and throws its
 * own Violation on a history that breaks it.
 */
import { describe, expect, test } from "bun:test";
import { SafetyChecker, Violation, type NodeView } from "./lib/checkers.ts";
import type { EntryView } from "./lib/log-mirror.ts";

const view = (id: number, over: Partial<NodeView> = {}): NodeView => ({ id, role: "follower", term: 1, votedFor: -1, commitIndex: -1, logStartIndex: 0, ...over });
const log = (...entries: Array<[index: number, term: number, checksum: number]>): EntryView[] => entries.map(([index, term, checksum]) => ({ index, term, checksum }));

function checker(nodes = [1, 2, 3], staleLeaderBoundMs = 1000): SafetyChecker {
  const c = new SafetyChecker({ nodes, staleLeaderBoundMs });
  for (const id of nodes) c.nodeUp(id, { term: 0, votedFor: -1 }, 0);
  return c;
}

function violation(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof Violation) return e.property;
    throw e;
  }
  return "none";
}

describe("checkers", () => {
  test("a valid history passes every check", () => {
    const c = checker();
    c.observe(view(1, { role: "leader", term: 1, votedFor: 1, commitIndex: 1 }), log([0, 1, 10], [1, 1, 11]), 0);
    c.observe(view(2, { term: 1, votedFor: 1, commitIndex: 1 }), log([0, 1, 10], [1, 1, 11]), 0);
    c.acked({ index: 1, term: 1, checksum: 11 }, 0);
    c.endOfStep(0);
    c.observe(view(2, { role: "leader", term: 2, votedFor: 2, commitIndex: 1 }), log([0, 1, 10], [1, 1, 11], [3, 2, 12]), 5);
    c.endOfStep(5);
    expect(c.committedEntries).toBe(2);
    expect(c.elections).toBe(2);
  });

  test("two leaders in one term", () => {
    const c = checker();
    c.observe(view(1, { role: "leader" }), null, 0);
    expect(violation(() => c.observe(view(2, { role: "leader" }), null, 0))).toBe("election-safety");
  });

  test("same index and term, different entries", () => {
    const c = checker();
    c.observe(view(1), log([0, 1, 10]), 0);
    expect(violation(() => c.observe(view(2), log([0, 1, 99]), 0))).toBe("log-matching");
  });

  test("same last entry, different history before it", () => {
    const c = checker();
    c.observe(view(1), log([0, 1, 10], [1, 2, 11]), 0);
    expect(violation(() => c.observe(view(2), log([0, 2, 20], [1, 2, 11]), 0))).toBe("log-matching");
  });

  test("two nodes commit different entries at one index", () => {
    const c = checker();
    c.observe(view(1, { commitIndex: 0 }), log([0, 1, 10]), 0);
    expect(violation(() => c.observe(view(2, { term: 2, commitIndex: 0 }), log([0, 2, 20]), 0))).toBe("state-machine-safety");
  });

  test("a new leader without an entry committed earlier", () => {
    const c = checker();
    c.observe(view(1, { role: "leader", commitIndex: 1 }), log([0, 1, 10], [1, 1, 11]), 0);
    expect(violation(() => c.observe(view(2, { role: "leader", term: 2 }), log([0, 1, 10]), 0))).toBe("leader-completeness");
  });

  test("a new leader without an acknowledged entry", () => {
    const c = checker();
    c.observe(view(1, { role: "leader", commitIndex: 1 }), log([0, 1, 10], [1, 1, 11]), 0);
    c.acked({ index: 1, term: 1, checksum: 11 }, 0);
    c.endOfStep(0);
    expect(violation(() => c.observe(view(3, { role: "leader", term: 3 }), log([0, 1, 10], [1, 2, 30]), 0))).toBe("acked-entry-lost");
  });

  test("an acknowledgement of something not committed", () => {
    const c = checker();
    c.observe(view(1, { role: "leader", commitIndex: -1 }), log([0, 1, 10]), 0);
    c.acked({ index: 0, term: 1, checksum: 10 }, 0);
    expect(violation(() => c.endOfStep(0))).toBe("acked-entry-lost");
  });

  test("a vote given twice in one term, on the wire or in the view", () => {
    const c = checker();
    c.sent({ from: 3, to: 1, durableTerm: 2, voteGrantedInTerm: 2 });
    expect(violation(() => c.sent({ from: 3, to: 2, durableTerm: 2, voteGrantedInTerm: 2 }))).toBe("double-vote");
    const d = checker();
    d.observe(view(3, { term: 2, votedFor: 1 }), null, 0);
    expect(violation(() => d.observe(view(3, { term: 2, votedFor: 2 }), null, 0))).toBe("double-vote");
  });

  test("term or vote going backwards across a restart", () => {
    const c = checker();
    c.sent({ from: 2, to: 1, durableTerm: 5, voteGrantedInTerm: 5 });
    c.nodeDown(2);
    expect(violation(() => c.nodeUp(2, { term: 4, votedFor: -1 }, 0))).toBe("durable-state-regressed");
    expect(violation(() => c.nodeUp(2, { term: 5, votedFor: 3 }, 0))).toBe("durable-state-regressed");
    c.nodeUp(2, { term: 5, votedFor: 1 }, 0);
    c.observe(view(2, { term: 5, votedFor: 1 }), null, 0);
    expect(violation(() => c.observe(view(2, { term: 4 }), null, 0))).toBe("durable-state-regressed");
  });

  test("a leader that stays leader without hearing from a majority", () => {
    const c = checker([1, 2, 3], 300);
    c.observe(view(1, { role: "leader" }), null, 0);
    c.delivered(2, 1, 100);
    c.endOfStep(350);
    c.observe(view(1, { role: "leader" }), null, 450);
    expect(violation(() => c.endOfStep(450))).toBe("stale-leader");
  });
});

import { expect, test } from "bun:test";
import type { RaftInspect } from "../raft/types.ts";
import { groupSize, nextLeaveStep } from "./controller-leave.ts";

function leader(self: number, voters: number[], learners: number[], match: Record<number, number> = {}): RaftInspect {
  return {
    self, role: "leader", term: 3, votedFor: self, leaderId: self, commitIndex: 10, logStartOffset: 0, snapshotTerm: -1, durableIndex: 10, lastIndex: 10, lastTerm: 3,
    config: { voters, learners }, configIndex: 5, transferringTo: null, stopped: false,
    peers: [...voters, ...learners].filter((id) => id !== self).map((id) => ({ id, matchIndex: match[id] ?? 10, nextIndex: 11, lastHeardMs: 0 })),
  };
}

test("a learner leaves at once; a voter is replaced by a caught-up learner on an active node first, keeping the group at 3", () => {
  expect(nextLeaveStep(leader(0, [0, 1, 2], [3, 4]), 4, [3], false)).toEqual({ kind: "ready" }); // its leaving recorded first
  expect(nextLeaveStep(leader(0, [0, 1, 2], [3, 4]), 4, [3], true)).toEqual({ kind: "remove", node: 4 });
  expect(nextLeaveStep(leader(0, [0, 1, 2], [3]), 2, [3], true)).toEqual({ kind: "promote", node: 3 });
  expect(nextLeaveStep(leader(0, [0, 1, 2], [3], { 3: 4 }), 2, [3], true)).toMatchObject({ kind: "wait" }); // behind
  expect(nextLeaveStep(leader(0, [0, 1, 2, 3], []), 2, [3], false)).toEqual({ kind: "ready" });
  expect(nextLeaveStep(leader(0, [0, 1, 2, 3], []), 2, [3], true)).toEqual({ kind: "remove", node: 2 });
  expect(nextLeaveStep(leader(0, [0, 1, 3], []), 2, [3], true)).toEqual({ kind: "gone" });
  // A learner that is not a replacement (down, or draining itself) is not promoted: the group shrinks instead.
  expect(nextLeaveStep(leader(0, [0, 1, 2], [3]), 2, [], true)).toEqual({ kind: "remove", node: 2 });
});

test("the leader leaving hands its leadership to the voter furthest along; nothing while a change is uncommitted", () => {
  expect(nextLeaveStep(leader(2, [0, 1, 2, 3], [], { 0: 8, 1: 9, 3: 7 }), 2, [3], false)).toEqual({ kind: "transfer", node: 1 });
  expect(nextLeaveStep({ ...leader(0, [0, 1, 2], [3]), configIndex: 11 }, 2, [3], true)).toMatchObject({ kind: "wait" });
  expect(nextLeaveStep({ ...leader(0, [0, 1, 2], [3]), role: "follower" }, 2, [3], true)).toMatchObject({ kind: "wait" });
  expect(nextLeaveStep(leader(0, [0], []), 0, [], true)).toMatchObject({ kind: "wait" });
  expect([1, 2, 3, 4, 5, 6].map(groupSize)).toEqual([1, 1, 3, 3, 5, 5]);
});

import { expect, test } from "bun:test";
import type { RaftInspect } from "../raft/types.ts";
import { nextMoveStep } from "./move-steps.ts";

/** A leader (node 1) at commit 100 whose peers all match 100, with the given configuration. */
function leader(voters: number[], learners: number[] = [], over: Partial<RaftInspect> = {}): RaftInspect {
  const peers = [...voters, ...learners].filter((id) => id !== 1).map((id) => ({ id, matchIndex: 100, nextIndex: 101, lastHeardMs: 0 }));
  return {
    self: 1, role: "leader", term: 3, votedFor: 1, leaderId: 1, commitIndex: 100, logStartOffset: 0, snapshotTerm: -1, durableIndex: 100,
    lastIndex: 100, lastTerm: 3, config: { voters, learners }, configIndex: 90, peers, transferringTo: null, stopped: false, ...over,
  };
}

test("one node replaced: add a learner, promote it once caught up, remove the old voter, finish", () => {
  const target = [1, 2, 4];
  expect(nextMoveStep(leader([1, 2, 3]), target)).toEqual({ kind: "addLearner", node: 4 });
  const behind = leader([1, 2, 3], [4]);
  behind.peers.find((p) => p.id === 4)!.matchIndex = 40;
  expect(nextMoveStep(behind, target).kind).toBe("wait");
  expect(nextMoveStep(leader([1, 2, 3], [4]), target)).toEqual({ kind: "promote", node: 4 });
  expect(nextMoveStep(leader([1, 2, 3, 4]), target)).toEqual({ kind: "remove", node: 3 });
  expect(nextMoveStep(leader([1, 2, 4]), target)).toEqual({ kind: "finish" });
});

test("the leader's own node leaves: it hands leadership to the target voter furthest along first", () => {
  const state = leader([1, 2, 3, 4]);
  state.peers.find((p) => p.id === 2)!.matchIndex = 99;
  expect(nextMoveStep(state, [2, 3, 4])).toEqual({ kind: "transfer", node: 3 });
  expect(nextMoveStep(leader([1, 2, 3, 4], [], { transferringTo: 3 }), [2, 3, 4]).kind).toBe("wait");
});

test("nothing while not leading, while a change is uncommitted; never fewer voters than the target has", () => {
  expect(nextMoveStep(leader([1, 2, 3], [], { role: "follower" }), [1, 2, 4])).toEqual({ kind: "wait", why: "not the leader" });
  expect(nextMoveStep(leader([1, 2, 3], [], { configIndex: 101 }), [1, 2, 4]).kind).toBe("wait");
  // Growing from 3 to 4 replicas: no removal, only the addition.
  expect(nextMoveStep(leader([1, 2, 3]), [1, 2, 3, 4])).toEqual({ kind: "addLearner", node: 4 });
  // Two replaced: the second joins only after the first old voter left (voters stay at 3 or 4).
  expect(nextMoveStep(leader([1, 2, 3, 4]), [1, 4, 5])).toEqual({ kind: "remove", node: 2 });
  expect(nextMoveStep(leader([1, 3, 4]), [1, 4, 5])).toEqual({ kind: "addLearner", node: 5 });
  // Shrinking: a voter leaves down to the target's count.
  expect(nextMoveStep(leader([1, 2, 3]), [1, 2])).toEqual({ kind: "remove", node: 3 });
  // A cancelled addition (a learner outside the target) goes first.
  expect(nextMoveStep(leader([1, 2, 3], [4]), [1, 2, 3])).toEqual({ kind: "remove", node: 4 });
});

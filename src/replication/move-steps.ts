/**
 * The next membership change a partition's leader makes to move its group to a target replica
 * set (cluster/replica-moves.ts), decided from the group's state alone, so a new leader or a
 * restarted one carries on where the last stopped. Single-server changes, one at a time, each
 * only after the previous one committed (raft/README.md "Membership"): a missing target node
 * joins as a learner, is promoted once it caught up with the commit index, and only then, with
 * more voters than the target has, a voter outside the target is removed (the leader transfers
 * its leadership first if it is the one to go). So the group never has fewer voters than the
 * target's count. Pure: tested on its own.
 */
import type { NodeId, RaftInspect } from "../raft/types.ts";

export type MoveStep =
  | { kind: "wait"; why: string }
  | { kind: "addLearner" | "promote" | "remove" | "transfer"; node: NodeId }
  /** The committed voters are the target's nodes and no learner is left: the controller may finish. */
  | { kind: "finish" };

export function nextMoveStep(raft: RaftInspect, targetNodes: readonly NodeId[]): MoveStep {
  if (raft.role !== "leader" || raft.stopped) return { kind: "wait", why: "not the leader" };
  if (raft.transferringTo !== null) return { kind: "wait", why: `transferring leadership to ${raft.transferringTo}` };
  if (raft.configIndex > raft.commitIndex) return { kind: "wait", why: "the last membership change is not committed yet" };
  const { voters, learners } = raft.config;
  const target = new Set(targetNodes);
  const stray = learners.find((l) => !target.has(l));
  if (stray !== undefined) return { kind: "remove", node: stray }; // a cancelled addition
  const learner = learners[0];
  if (learner !== undefined) {
    const match = raft.peers.find((p) => p.id === learner)?.matchIndex ?? -1;
    return match >= raft.commitIndex ? { kind: "promote", node: learner } : { kind: "wait", why: `learner ${learner} is catching up (${match} of ${raft.commitIndex})` };
  }
  const extra = voters.filter((v) => !target.has(v));
  if (extra.length > 0 && voters.length > target.size) {
    const other = extra.find((v) => v !== raft.self);
    if (other !== undefined) return { kind: "remove", node: other };
    const successor = transferTarget(raft, targetNodes.filter((n) => voters.includes(n)));
    return successor === null ? { kind: "wait", why: "no target voter to hand leadership to" } : { kind: "transfer", node: successor };
  }
  const missing = targetNodes.find((n) => !voters.includes(n));
  if (missing !== undefined) return { kind: "addLearner", node: missing };
  return extra.length === 0 ? { kind: "finish" } : { kind: "wait", why: `voters ${voters.join(",")} are not the target's` };
}

/** The target voter furthest along (ties: the first listed, the preferred leader). */
function transferTarget(raft: RaftInspect, candidates: NodeId[]): NodeId | null {
  let best: NodeId | null = null;
  let bestMatch = -Infinity;
  for (const id of candidates) {
    if (id === raft.self) continue;
    const match = raft.peers.find((p) => p.id === id)?.matchIndex ?? -1;
    if (match > bestMatch) {
      best = id;
      bestMatch = match;
    }
  }
  return best;
}

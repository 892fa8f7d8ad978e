/**
 * The next membership change that takes a decommissioned node out of the controller group
 * (group 0), decided from the group's state alone on its leader, one change at a time: a learner
 * is removed; a voter is first replaced, while the group would otherwise shrink below its size
 * (the largest of 1, 3, 5 that the remaining members can fill), by promoting a learner on an
 * active node; the leader hands its leadership to another voter if it is the one leaving. Once
 * the only change left is its removal, the node may leave the node list (`ready`): it is still a
 * member then, so it applies that too and knows; once that is recorded (`recorded`) it is removed.
 * Pure: tested on its own.
 */
import type { NodeId, RaftInspect } from "../raft/types.ts";

export type LeaveStep =
  | { kind: "wait"; why: string }
  | { kind: "remove" | "promote" | "transfer"; node: NodeId }
  /** Only its removal is left: record that it left the cluster first. */
  | { kind: "ready" }
  /** The node is no member of the group, and that is committed. */
  | { kind: "gone" };

/** `replacements`: learners on active nodes that are up, which may become voters. */
export function nextLeaveStep(raft: RaftInspect, leaving: NodeId, replacements: readonly NodeId[], recorded: boolean): LeaveStep {
  if (raft.role !== "leader" || raft.stopped) return { kind: "wait", why: "not the leader" };
  if (raft.transferringTo !== null) return { kind: "wait", why: `transferring leadership to ${raft.transferringTo}` };
  if (raft.configIndex > raft.commitIndex) return { kind: "wait", why: "the last membership change is not committed yet" };
  const { voters, learners } = raft.config;
  if (learners.includes(leaving)) return recorded ? { kind: "remove", node: leaving } : { kind: "ready" };
  if (!voters.includes(leaving)) return { kind: "gone" };
  const staying = voters.filter((v) => v !== leaving);
  const spare = learners.filter((l) => l !== leaving && replacements.includes(l));
  if (staying.length < groupSize(staying.length + spare.length) && spare.length > 0) {
    const next = furthestAlong(raft, spare);
    const match = raft.peers.find((p) => p.id === next)?.matchIndex ?? -1;
    return match >= raft.commitIndex ? { kind: "promote", node: next } : { kind: "wait", why: `learner ${next} is catching up` };
  }
  if (leaving !== raft.self) return recorded ? { kind: "remove", node: leaving } : { kind: "ready" };
  if (staying.length === 0) return { kind: "wait", why: "the leaving node is the only voter" };
  return { kind: "transfer", node: furthestAlong(raft, staying) };
}

/** The controller group's size for this many members: 1, 3 or 5 (the largest odd count they fill, at most 5). */
export function groupSize(members: number): number {
  return members >= 5 ? 5 : members >= 3 ? 3 : 1;
}

function furthestAlong(raft: RaftInspect, candidates: NodeId[]): NodeId {
  const match = (id: NodeId) => raft.peers.find((p) => p.id === id)?.matchIndex ?? -1;
  return [...candidates].sort((a, b) => match(b) - match(a) || a - b)[0]!;
}

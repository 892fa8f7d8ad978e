/**
 * Raft messages as RPC bodies: each RaftMessage as one flat `RaftRequest` (its kind as a number,
 * unused fields zero), and a HeartbeatBatcher batch as one `RaftBatchRequest` (an array per kind, light heartbeats as columns). Decoding checks
 * what the codec cannot (a known kind); a peer's bad message is refused, never trusted.
 */
import { PackedLight, type Batchable, type NodeMessage } from "../raft/heartbeat-batcher.ts";
import type { AppendReply, HeartbeatRequest, RaftMessage } from "../raft/types.ts";
import type { RaftBatchRequest, RaftRequest } from "../rpc/messages/index.ts";

const KINDS = ["preVote", "preVoteReply", "vote", "voteReply", "append", "heartbeat", "appendReply", "timeoutNow", "installSnapshot", "lightBeat", "lightBeatReply"] as const;
type Kind = (typeof KINDS)[number];
const KIND_NUMBER = new Map<Kind, number>(KINDS.map((k, i) => [k, i]));
const EMPTY = new Uint8Array(0);

const BLANK: RaftRequest = {
  kind: 0, group: 0, from: 0, to: 0, term: 0, prevIndex: 0, prevTerm: 0, commitIndex: 0, flag: false,
  matchIndex: 0, conflictTerm: 0, conflictIndex: 0, lastIndex: 0, entries: EMPTY, voters: [], learners: [],
};

export function encodeRaftMessage(m: RaftMessage): RaftRequest {
  const r: RaftRequest = { ...BLANK, kind: KIND_NUMBER.get(m.kind)!, group: m.group, from: m.from, to: m.to, term: m.term };
  switch (m.kind) {
    case "preVote":
    case "vote":
      return { ...r, prevIndex: m.lastIndex, prevTerm: m.lastTerm, flag: m.kind === "vote" && m.transfer };
    case "preVoteReply":
    case "voteReply":
      return { ...r, flag: m.granted };
    case "append":
      return { ...r, prevIndex: m.prevIndex, prevTerm: m.prevTerm, commitIndex: m.commitIndex, entries: m.entries };
    case "heartbeat":
      return { ...r, prevIndex: m.prevIndex, prevTerm: m.prevTerm, commitIndex: m.commitIndex };
    case "appendReply":
      return { ...r, flag: m.success, matchIndex: m.matchIndex, conflictTerm: m.conflictTerm, conflictIndex: m.conflictIndex, lastIndex: m.lastIndex };
    case "timeoutNow":
      return r;
    case "installSnapshot":
      return { ...r, prevIndex: m.startOffset, prevTerm: m.prevTerm, voters: m.config.voters, learners: m.config.learners };
    case "lightBeat":
      return { ...r, commitIndex: m.commitIndex };
    case "lightBeatReply":
      return { ...r, flag: m.accepted };
  }
}

/** The message, or why it is not one. */
export function decodeRaftMessage(r: RaftRequest): RaftMessage | string {
  const kind = KINDS[r.kind];
  if (kind === undefined) return `unknown Raft message kind ${r.kind}`;
  const envelope = { group: r.group, from: r.from, to: r.to, term: r.term };
  switch (kind) {
    case "preVote":
      return { ...envelope, kind, lastIndex: r.prevIndex, lastTerm: r.prevTerm };
    case "vote":
      return { ...envelope, kind, lastIndex: r.prevIndex, lastTerm: r.prevTerm, transfer: r.flag };
    case "preVoteReply":
    case "voteReply":
      return { ...envelope, kind, granted: r.flag };
    case "append":
      return { ...envelope, kind, prevIndex: r.prevIndex, prevTerm: r.prevTerm, commitIndex: r.commitIndex, entries: r.entries };
    case "heartbeat":
      return { ...envelope, kind, prevIndex: r.prevIndex, prevTerm: r.prevTerm, commitIndex: r.commitIndex };
    case "appendReply":
      return { ...envelope, kind, success: r.flag, matchIndex: r.matchIndex, conflictTerm: r.conflictTerm, conflictIndex: r.conflictIndex, lastIndex: r.lastIndex };
    case "timeoutNow":
      return { ...envelope, kind };
    case "installSnapshot":
      return { ...envelope, kind, startOffset: r.prevIndex, prevTerm: r.prevTerm, config: { voters: r.voters, learners: r.learners } };
    case "lightBeat":
      return { ...envelope, kind, commitIndex: r.commitIndex };
    case "lightBeatReply":
      return { ...envelope, kind, accepted: r.flag };
  }
}

export function encodeBatch(message: Extract<NodeMessage, { kind: "batch" }>): RaftBatchRequest {
  const { light } = message;
  const r: RaftBatchRequest = {
    from: message.from, to: message.to, heartbeats: [], replies: [], hopped: false,
    lightBeatGroups: light.beatGroups, lightBeatTerms: light.beatTerms, lightBeatCommits: light.beatCommits,
    lightReplyGroups: light.replyGroups, lightReplyTerms: light.replyTerms, lightReplyAccepted: light.replyAccepted,
  };
  for (const m of message.messages) {
    if (m.kind === "heartbeat") r.heartbeats.push({ group: m.group, term: m.term, prevIndex: m.prevIndex, prevTerm: m.prevTerm, commitIndex: m.commitIndex });
    else r.replies.push({ group: m.group, term: m.term, success: m.success, matchIndex: m.matchIndex, conflictTerm: m.conflictTerm, conflictIndex: m.conflictIndex, lastIndex: m.lastIndex });
  }
  return r;
}

/** The batch's group messages (heartbeats first; their order across groups carries no meaning) and its light ones, or why it is not a batch. */
export function decodeBatch(r: RaftBatchRequest): { messages: Batchable[]; light: PackedLight } | string {
  const beats = r.lightBeatGroups.length;
  const replies = r.lightReplyGroups.length;
  if (r.lightBeatTerms.length !== beats || r.lightBeatCommits.length !== beats || r.lightReplyTerms.length !== replies || r.lightReplyAccepted.length !== replies) {
    return "a Raft batch whose light heartbeat columns differ in length";
  }
  const light = new PackedLight(r.lightBeatGroups, r.lightBeatTerms, r.lightBeatCommits, r.lightReplyGroups, r.lightReplyTerms, r.lightReplyAccepted);
  const { from, to } = r;
  const out: Batchable[] = [];
  for (const b of r.heartbeats) out.push({ kind: "heartbeat", group: b.group, from, to, term: b.term, prevIndex: b.prevIndex, prevTerm: b.prevTerm, commitIndex: b.commitIndex } satisfies HeartbeatRequest);
  for (const b of r.replies) {
    out.push({ kind: "appendReply", group: b.group, from, to, term: b.term, success: b.success, matchIndex: b.matchIndex, conflictTerm: b.conflictTerm, conflictIndex: b.conflictIndex, lastIndex: b.lastIndex } satisfies AppendReply);
  }
  return { messages: out, light };
}

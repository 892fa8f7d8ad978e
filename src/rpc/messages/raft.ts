/**
 * Raft traffic between nodes (issue 11): one Raft message (`raft`, sent with the header's Group
 * set so the receiving node routes it to the shard owning the group), a batch of the small
 * messages of many groups from one node to another (`raftBatch`: heartbeats and append replies,
 * split by owner shard on arrival), and leadership reports (`leadership`). Fire and forget:
 * the answers are empty and the sender does not wait for them; Raft tolerates loss.
 */
import { f, message, type TaggedFields } from "../../protocol/schema.ts";

/**
 * Any Raft message, flat: `Kind` says which, and the fields that kind does not use are left at
 * zero. Indexes are int64, terms int32 (a term is a batch's partitionLeaderEpoch, an int32); -1 is
 * "none". Entries are whole record batches, bytes unchanged.
 */
export const RaftRequest = message<RaftRequest>("request", "RaftRequest", 2, "0", "0+", [
  f("Kind", "int8", "0+"),
  f("Group", "int64", "0+"),
  f("From", "int32", "0+"),
  f("To", "int32", "0+"),
  f("Term", "int32", "0+"),
  f("PrevIndex", "int64", "0+"),
  f("PrevTerm", "int32", "0+"),
  f("CommitIndex", "int64", "0+"),
  f("Flag", "bool", "0+"),
  f("MatchIndex", "int64", "0+"),
  f("ConflictTerm", "int32", "0+"),
  f("ConflictIndex", "int64", "0+"),
  f("LastIndex", "int64", "0+"),
  f("Entries", "bytes", "0+"),
  f("Voters", "[]int32", "0+"),
  f("Learners", "[]int32", "0+"),
]);
export interface RaftRequest extends TaggedFields {
  kind: number;
  group: number;
  from: number;
  to: number;
  term: number;
  /** prevIndex (append, heartbeat), lastIndex (votes), startOffset (snapshot). */
  prevIndex: number;
  /** prevTerm (append, heartbeat, snapshot), lastTerm (votes). */
  prevTerm: number;
  commitIndex: number;
  /** granted (vote replies), success (append replies), transfer (votes). */
  flag: boolean;
  matchIndex: number;
  conflictTerm: number;
  conflictIndex: number;
  lastIndex: number;
  entries: Uint8Array;
  voters: number[];
  learners: number[];
}

/** Nothing: a Raft message or report is fire and forget. */
export const RaftAck = message<RaftAck>("response", "RaftAck", 2, "0", "0+", []);
export type RaftAck = TaggedFields;

const Beat = [
  f("Group", "int32", "0+"),
  f("Term", "int32", "0+"),
  f("PrevIndex", "int64", "0+"),
  f("PrevTerm", "int32", "0+"),
  f("CommitIndex", "int64", "0+"),
];
const Reply = [
  f("Group", "int32", "0+"),
  f("Term", "int32", "0+"),
  f("Success", "bool", "0+"),
  f("MatchIndex", "int64", "0+"),
  f("ConflictTerm", "int32", "0+"),
  f("ConflictIndex", "int64", "0+"),
  f("LastIndex", "int64", "0+"),
];

/**
 * The heartbeats (full and light), their replies and append replies of many groups from one node
 * to one other (HeartbeatBatcher's batch). Light heartbeats and their answers, nearly all of an
 * idle cluster's traffic, travel as columns (one entry per group in each), not as structs.
 */
export const RaftBatchRequest = message<RaftBatchRequest>("request", "RaftBatchRequest", 3, "0", "0+", [
  f("From", "int32", "0+"),
  f("To", "int32", "0+"),
  f("Heartbeats", "[]Beat", "0+", { fields: Beat }),
  f("Replies", "[]Reply", "0+", { fields: Reply }),
  f("LightBeatGroups", "[]int32", "0+"),
  f("LightBeatTerms", "[]int32", "0+"),
  f("LightBeatCommits", "[]int64", "0+"),
  f("LightReplyGroups", "[]int32", "0+"),
  f("LightReplyTerms", "[]int32", "0+"),
  f("LightReplyAccepted", "[]bool", "0+"),
  f("Hopped", "bool", "0+"),
]);
export interface RaftBatchBeat {
  group: number;
  term: number;
  prevIndex: number;
  prevTerm: number;
  commitIndex: number;
}
export interface RaftBatchReply {
  group: number;
  term: number;
  success: boolean;
  matchIndex: number;
  conflictTerm: number;
  conflictIndex: number;
  lastIndex: number;
}
export interface RaftBatchRequest extends TaggedFields {
  from: number;
  to: number;
  heartbeats: RaftBatchBeat[];
  replies: RaftBatchReply[];
  lightBeatGroups: number[];
  lightBeatTerms: number[];
  lightBeatCommits: number[];
  lightReplyGroups: number[];
  lightReplyTerms: number[];
  lightReplyAccepted: boolean[];
  /** Set on the part of a batch one shard hands another: delivered there, never forwarded again. */
  hopped: boolean;
}
export const RaftBatchAck = message<RaftAck>("response", "RaftBatchAck", 3, "0", "0+", []);

const Leader = [
  f("Group", "int64", "0+"),
  f("Leader", "int32", "0+"),
  f("Term", "int32", "0+"),
  f("InSync", "[]int32", "0+"),
];

/** What a node knows first-hand of the leaders of its groups (it hosts a replica); Leader -1 while it knows none. */
export const LeadershipRequest = message<LeadershipRequest>("request", "LeadershipRequest", 4, "0", "0+", [
  f("From", "int32", "0+"),
  f("Leaders", "[]Leader", "0+", { fields: Leader }),
  f("Hopped", "bool", "0+"),
]);
export interface LeadershipEntry {
  group: number;
  leader: number;
  term: number;
  inSync: number[];
}
export interface LeadershipRequest extends TaggedFields {
  from: number;
  leaders: LeadershipEntry[];
  /** Set when the shard that received it hands it to its siblings: applied there, not forwarded again. */
  hopped: boolean;
}
export const LeadershipAck = message<RaftAck>("response", "LeadershipAck", 4, "0", "0+", []);

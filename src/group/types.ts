/**
 * The shapes group requests and answers take between a Kafka handler and the coordinator of
 * the shard that owns the group (they cross shards as typed ops, see src/kafka/ops.ts).
 */
export type GroupStateName = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface ProtocolOffer {
  name: string;
  metadata: Uint8Array;
}

export interface JoinArgs {
  groupId: string;
  memberId: string; // "" for a member that has no id yet
  groupInstanceId: string | null; // static membership (v5+)
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: ProtocolOffer[];
  /** v4+: a new member first gets MEMBER_ID_REQUIRED with its id, then joins again with it. */
  requireKnownMemberId: boolean;
}

export interface JoinedMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: JoinedMember[]; // only the leader gets them
}

export interface SyncArgs {
  groupId: string;
  memberId: string;
  generationId: number;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Uint8Array }>;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

export interface MemberRef {
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatArgs extends MemberRef {
  groupId: string;
  generationId: number;
}

export interface LeaveArgs {
  groupId: string;
  members: MemberRef[];
}

export interface LeaveResult {
  errorCode: number;
  members: Array<MemberRef & { errorCode: number }>;
}

export interface CommitPartition {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1's per-partition commit time (retention counts from it); -1: the broker's time. */
  commitTimestampMs?: number;
}

export interface CommitArgs extends MemberRef {
  groupId: string;
  generationId: number;
  partitions: CommitPartition[];
  /** The answer when the group does not exist and the commit names a generation: ILLEGAL_GENERATION, or GROUP_ID_NOT_FOUND from v9. */
  missingGroupErrorCode: number;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface FetchOffsetsArgs {
  groupId: string;
  topics: TopicPartitions[] | null; // null: every committed offset of the group
  /** OffsetFetch v7+ require_stable: a partition with a transactional offset still pending answers UNSTABLE_OFFSET_COMMIT. */
  requireStable?: boolean;
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  offset: number; // -1: nothing committed
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface FetchOffsetsResult {
  errorCode: number;
  offsets: FetchedOffset[];
}

export interface ListedGroupInfo {
  groupId: string;
  protocolType: string;
  state: GroupStateName;
}

export interface DescribedMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Uint8Array;
  assignment: Uint8Array;
}

export interface DescribedGroupInfo {
  errorCode: number;
  groupId: string;
  state: GroupStateName;
  protocolType: string;
  protocolData: string;
  members: DescribedMemberInfo[];
}

export interface OffsetDeleteArgs {
  groupId: string;
  partitions: Array<{ topic: string; partition: number }>;
}

export interface OffsetDeleteResult {
  errorCode: number;
  partitionErrors: number[]; // in request order
}

/** TxnOffsetCommit: offsets held pending until the producer's transaction ends (`groupTxnComplete`). */
export interface TxnCommitArgs extends MemberRef {
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  partitions: CommitPartition[];
}

/** A transaction's outcome, sent by its coordinator to each group the transaction committed offsets for. */
export interface TxnCompleteArgs {
  groupId: string;
  producerId: number;
  commit: boolean;
}

/** The ops a shard's group coordinator serves; merged into the shard op table. */
export interface GroupOps {
  groupJoin: { request: JoinArgs; response: JoinResult };
  groupSync: { request: SyncArgs; response: SyncResult };
  groupHeartbeat: { request: HeartbeatArgs; response: { errorCode: number } };
  groupLeave: { request: LeaveArgs; response: LeaveResult };
  groupCommit: { request: CommitArgs; response: { errorCodes: number[] } };
  groupFetchOffsets: { request: { groups: FetchOffsetsArgs[] }; response: FetchOffsetsResult[] };
  groupList: { request: { states: string[] }; response: ListedGroupInfo[] };
  groupDescribe: { request: { groupIds: string[] }; response: DescribedGroupInfo[] };
  groupDelete: { request: { groupIds: string[] }; response: number[] };
  groupOffsetDelete: { request: OffsetDeleteArgs; response: OffsetDeleteResult };
  groupTxnCommit: { request: TxnCommitArgs; response: { errorCodes: number[] } };
  groupTxnComplete: { request: TxnCompleteArgs; response: { errorCode: number } };
}

export type GroupOpName = keyof GroupOps;

// Every message definition skua knows, and the registry of APIs by key. Written once
// by a one-off generator and committed; this file is now the source.

import type { MessageDef } from "../schema.ts";
import { ApiVersionsRequest, ApiVersionsResponse } from "./api-versions.ts";
import { MetadataRequest, MetadataResponse } from "./metadata.ts";
import { ProduceRequest, ProduceResponse } from "./produce.ts";
import { FetchRequest, FetchResponse } from "./fetch.ts";
import { ListOffsetsRequest, ListOffsetsResponse } from "./list-offsets.ts";
import { CreateTopicsRequest, CreateTopicsResponse } from "./create-topics.ts";
import { FindCoordinatorRequest, FindCoordinatorResponse } from "./find-coordinator.ts";
import { JoinGroupRequest, JoinGroupResponse } from "./join-group.ts";
import { HeartbeatRequest, HeartbeatResponse } from "./heartbeat.ts";
import { LeaveGroupRequest, LeaveGroupResponse } from "./leave-group.ts";
import { SyncGroupRequest, SyncGroupResponse } from "./sync-group.ts";
import { OffsetCommitRequest, OffsetCommitResponse } from "./offset-commit.ts";
import { OffsetFetchRequest, OffsetFetchResponse } from "./offset-fetch.ts";
import { DescribeGroupsRequest, DescribeGroupsResponse } from "./describe-groups.ts";
import { ListGroupsRequest, ListGroupsResponse } from "./list-groups.ts";
import { DeleteGroupsRequest, DeleteGroupsResponse } from "./delete-groups.ts";
import { OffsetDeleteRequest, OffsetDeleteResponse } from "./offset-delete.ts";
import { DeleteTopicsRequest, DeleteTopicsResponse } from "./delete-topics.ts";
import { DeleteRecordsRequest, DeleteRecordsResponse } from "./delete-records.ts";
import { InitProducerIdRequest, InitProducerIdResponse } from "./init-producer-id.ts";
import { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from "./write-txn-markers.ts";
import { DescribeProducersRequest, DescribeProducersResponse } from "./describe-producers.ts";
import { CreatePartitionsRequest, CreatePartitionsResponse } from "./create-partitions.ts";
import { DescribeConfigsRequest, DescribeConfigsResponse } from "./describe-configs.ts";
import { AlterConfigsRequest, AlterConfigsResponse } from "./alter-configs.ts";
import { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from "./incremental-alter-configs.ts";
import { DescribeClusterRequest, DescribeClusterResponse } from "./describe-cluster.ts";
import { DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse } from "./describe-topic-partitions.ts";
import { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from "./offset-for-leader-epoch.ts";
import { DescribeLogDirsRequest, DescribeLogDirsResponse } from "./describe-log-dirs.ts";
import { SaslHandshakeRequest, SaslHandshakeResponse } from "./sasl-handshake.ts";
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from "./sasl-authenticate.ts";
import { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from "./describe-user-scram-credentials.ts";
import { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from "./alter-user-scram-credentials.ts";
import { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from "./describe-client-quotas.ts";
import { AlterClientQuotasRequest, AlterClientQuotasResponse } from "./alter-client-quotas.ts";
import { DescribeAclsRequest, DescribeAclsResponse } from "./describe-acls.ts";
import { CreateAclsRequest, CreateAclsResponse } from "./create-acls.ts";
import { DeleteAclsRequest, DeleteAclsResponse } from "./delete-acls.ts";
import { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from "./add-partitions-to-txn.ts";
import { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from "./add-offsets-to-txn.ts";
import { EndTxnRequest, EndTxnResponse } from "./end-txn.ts";
import { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from "./txn-offset-commit.ts";
import { DescribeTransactionsRequest, DescribeTransactionsResponse } from "./describe-transactions.ts";
import { ListTransactionsRequest, ListTransactionsResponse } from "./list-transactions.ts";
import { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from "./alter-partition-reassignments.ts";
import { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from "./list-partition-reassignments.ts";
import { ElectLeadersRequest, ElectLeadersResponse } from "./elect-leaders.ts";

export * from "./api-versions.ts";
export * from "./alter-partition-reassignments.ts";
export * from "./list-partition-reassignments.ts";
export * from "./elect-leaders.ts";
export * from "./sasl-authenticate.ts";
export * from "./describe-user-scram-credentials.ts";
export * from "./alter-user-scram-credentials.ts";
export * from "./describe-client-quotas.ts";
export * from "./alter-client-quotas.ts";
export * from "./metadata.ts";
export * from "./produce.ts";
export * from "./fetch.ts";
export * from "./list-offsets.ts";
export * from "./create-topics.ts";
export * from "./find-coordinator.ts";
export * from "./join-group.ts";
export * from "./heartbeat.ts";
export * from "./leave-group.ts";
export * from "./sync-group.ts";
export * from "./offset-commit.ts";
export * from "./offset-fetch.ts";
export * from "./describe-groups.ts";
export * from "./list-groups.ts";
export * from "./delete-groups.ts";
export * from "./offset-delete.ts";
export * from "./delete-topics.ts";
export * from "./delete-records.ts";
export * from "./init-producer-id.ts";
export * from "./write-txn-markers.ts";
export * from "./describe-producers.ts";
export * from "./create-partitions.ts";
export * from "./describe-configs.ts";
export * from "./alter-configs.ts";
export * from "./incremental-alter-configs.ts";
export * from "./describe-cluster.ts";
export * from "./describe-topic-partitions.ts";
export * from "./offset-for-leader-epoch.ts";
export * from "./describe-log-dirs.ts";
export * from "./sasl-handshake.ts";
export * from "./describe-acls.ts";
export * from "./create-acls.ts";
export * from "./delete-acls.ts";
export * from "./add-partitions-to-txn.ts";
export * from "./add-offsets-to-txn.ts";
export * from "./end-txn.ts";
export * from "./txn-offset-commit.ts";
export * from "./describe-transactions.ts";
export * from "./list-transactions.ts";
export * from "./headers.ts";
export * from "./consumer-protocol.ts";

export interface ApiDef {
  name: string;
  request: MessageDef<any>;
  response: MessageDef<any>;
}

const apiDefs = {
  0: { name: "Produce", request: ProduceRequest, response: ProduceResponse },
  1: { name: "Fetch", request: FetchRequest, response: FetchResponse },
  2: { name: "ListOffsets", request: ListOffsetsRequest, response: ListOffsetsResponse },
  3: { name: "Metadata", request: MetadataRequest, response: MetadataResponse },
  8: { name: "OffsetCommit", request: OffsetCommitRequest, response: OffsetCommitResponse },
  9: { name: "OffsetFetch", request: OffsetFetchRequest, response: OffsetFetchResponse },
  10: { name: "FindCoordinator", request: FindCoordinatorRequest, response: FindCoordinatorResponse },
  11: { name: "JoinGroup", request: JoinGroupRequest, response: JoinGroupResponse },
  12: { name: "Heartbeat", request: HeartbeatRequest, response: HeartbeatResponse },
  13: { name: "LeaveGroup", request: LeaveGroupRequest, response: LeaveGroupResponse },
  14: { name: "SyncGroup", request: SyncGroupRequest, response: SyncGroupResponse },
  15: { name: "DescribeGroups", request: DescribeGroupsRequest, response: DescribeGroupsResponse },
  16: { name: "ListGroups", request: ListGroupsRequest, response: ListGroupsResponse },
  17: { name: "SaslHandshake", request: SaslHandshakeRequest, response: SaslHandshakeResponse },
  18: { name: "ApiVersions", request: ApiVersionsRequest, response: ApiVersionsResponse },
  19: { name: "CreateTopics", request: CreateTopicsRequest, response: CreateTopicsResponse },
  20: { name: "DeleteTopics", request: DeleteTopicsRequest, response: DeleteTopicsResponse },
  21: { name: "DeleteRecords", request: DeleteRecordsRequest, response: DeleteRecordsResponse },
  22: { name: "InitProducerId", request: InitProducerIdRequest, response: InitProducerIdResponse },
  23: { name: "OffsetForLeaderEpoch", request: OffsetForLeaderEpochRequest, response: OffsetForLeaderEpochResponse },
  29: { name: "DescribeAcls", request: DescribeAclsRequest, response: DescribeAclsResponse },
  30: { name: "CreateAcls", request: CreateAclsRequest, response: CreateAclsResponse },
  31: { name: "DeleteAcls", request: DeleteAclsRequest, response: DeleteAclsResponse },
  24: { name: "AddPartitionsToTxn", request: AddPartitionsToTxnRequest, response: AddPartitionsToTxnResponse },
  25: { name: "AddOffsetsToTxn", request: AddOffsetsToTxnRequest, response: AddOffsetsToTxnResponse },
  26: { name: "EndTxn", request: EndTxnRequest, response: EndTxnResponse },
  27: { name: "WriteTxnMarkers", request: WriteTxnMarkersRequest, response: WriteTxnMarkersResponse },
  28: { name: "TxnOffsetCommit", request: TxnOffsetCommitRequest, response: TxnOffsetCommitResponse },
  32: { name: "DescribeConfigs", request: DescribeConfigsRequest, response: DescribeConfigsResponse },
  33: { name: "AlterConfigs", request: AlterConfigsRequest, response: AlterConfigsResponse },
  35: { name: "DescribeLogDirs", request: DescribeLogDirsRequest, response: DescribeLogDirsResponse },
  36: { name: "SaslAuthenticate", request: SaslAuthenticateRequest, response: SaslAuthenticateResponse },
  37: { name: "CreatePartitions", request: CreatePartitionsRequest, response: CreatePartitionsResponse },
  42: { name: "DeleteGroups", request: DeleteGroupsRequest, response: DeleteGroupsResponse },
  43: { name: "ElectLeaders", request: ElectLeadersRequest, response: ElectLeadersResponse },
  44: { name: "IncrementalAlterConfigs", request: IncrementalAlterConfigsRequest, response: IncrementalAlterConfigsResponse },
  45: { name: "AlterPartitionReassignments", request: AlterPartitionReassignmentsRequest, response: AlterPartitionReassignmentsResponse },
  46: { name: "ListPartitionReassignments", request: ListPartitionReassignmentsRequest, response: ListPartitionReassignmentsResponse },
  47: { name: "OffsetDelete", request: OffsetDeleteRequest, response: OffsetDeleteResponse },
  48: { name: "DescribeClientQuotas", request: DescribeClientQuotasRequest, response: DescribeClientQuotasResponse },
  49: { name: "AlterClientQuotas", request: AlterClientQuotasRequest, response: AlterClientQuotasResponse },
  50: { name: "DescribeUserScramCredentials", request: DescribeUserScramCredentialsRequest, response: DescribeUserScramCredentialsResponse },
  51: { name: "AlterUserScramCredentials", request: AlterUserScramCredentialsRequest, response: AlterUserScramCredentialsResponse },
  60: { name: "DescribeCluster", request: DescribeClusterRequest, response: DescribeClusterResponse },
  61: { name: "DescribeProducers", request: DescribeProducersRequest, response: DescribeProducersResponse },
  65: { name: "DescribeTransactions", request: DescribeTransactionsRequest, response: DescribeTransactionsResponse },
  66: { name: "ListTransactions", request: ListTransactionsRequest, response: ListTransactionsResponse },
  75: { name: "DescribeTopicPartitions", request: DescribeTopicPartitionsRequest, response: DescribeTopicPartitionsResponse },
} satisfies Record<number, ApiDef>;

/** The APIs skua can decode and encode, keyed by API key. */
export const apis: Record<number, ApiDef> = apiDefs;

type DecodedOf<D> = D extends MessageDef<infer T> ? T : never;

/** Each API key's decoded request and response types, from its message definitions (handlers are checked against them). */
export type ApiTypes = {
  [K in keyof typeof apiDefs]: { request: DecodedOf<(typeof apiDefs)[K]["request"]>; response: DecodedOf<(typeof apiDefs)[K]["response"]> };
};
export type ApiKey = keyof ApiTypes;

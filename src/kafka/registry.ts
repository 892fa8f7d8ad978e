/** Every Kafka API skua serves, with its version range. ApiVersions answers from this list. */
import type { ApiHandler } from "./handler.ts";
import { apiVersionsHandler } from "./handlers/api-versions.ts";
import { createTopicsHandler } from "./handlers/create-topics.ts";
import { fetchHandler } from "./handlers/fetch.ts";
import { listOffsetsHandler } from "./handlers/list-offsets.ts";
import { metadataHandler } from "./handlers/metadata.ts";
import { produceHandler } from "./handlers/produce.ts";
import { deleteGroupsHandler } from "./handlers/delete-groups.ts";
import { describeGroupsHandler } from "./handlers/describe-groups.ts";
import { findCoordinatorHandler } from "./handlers/find-coordinator.ts";
import { heartbeatHandler } from "./handlers/heartbeat.ts";
import { joinGroupHandler } from "./handlers/join-group.ts";
import { leaveGroupHandler } from "./handlers/leave-group.ts";
import { listGroupsHandler } from "./handlers/list-groups.ts";
import { offsetCommitHandler } from "./handlers/offset-commit.ts";
import { offsetDeleteHandler } from "./handlers/offset-delete.ts";
import { offsetFetchHandler } from "./handlers/offset-fetch.ts";
import { syncGroupHandler } from "./handlers/sync-group.ts";
import { alterConfigsHandler } from "./handlers/alter-configs.ts";
import { createPartitionsHandler } from "./handlers/create-partitions.ts";
import { alterPartitionReassignmentsHandler, listPartitionReassignmentsHandler } from "./handlers/partition-reassignments.ts";
import { electLeadersHandler } from "./handlers/elect-leaders.ts";
import { deleteRecordsHandler } from "./handlers/delete-records.ts";
import { deleteTopicsHandler } from "./handlers/delete-topics.ts";
import { describeClusterHandler } from "./handlers/describe-cluster.ts";
import { describeConfigsHandler } from "./handlers/describe-configs.ts";
import { describeTopicPartitionsHandler } from "./handlers/describe-topic-partitions.ts";
import { describeLogDirsHandler } from "./handlers/describe-log-dirs.ts";
import { incrementalAlterConfigsHandler } from "./handlers/incremental-alter-configs.ts";
import { initProducerIdHandler } from "./handlers/init-producer-id.ts";
import { writeTxnMarkersHandler } from "./handlers/write-txn-markers.ts";
import { describeProducersHandler } from "./handlers/describe-producers.ts";
import { addPartitionsToTxnHandler } from "./handlers/add-partitions-to-txn.ts";
import { addOffsetsToTxnHandler } from "./handlers/add-offsets-to-txn.ts";
import { endTxnHandler } from "./handlers/end-txn.ts";
import { txnOffsetCommitHandler } from "./handlers/txn-offset-commit.ts";
import { describeTransactionsHandler } from "./handlers/describe-transactions.ts";
import { listTransactionsHandler } from "./handlers/list-transactions.ts";
import { offsetForLeaderEpochHandler } from "./handlers/offset-for-leader-epoch.ts";
import { saslAuthenticateHandler } from "./handlers/sasl-authenticate.ts";
import { saslHandshakeHandler } from "./handlers/sasl-handshake.ts";
import { alterClientQuotasHandler, describeClientQuotasHandler } from "./handlers/client-quotas.ts";
import { createAclsHandler, deleteAclsHandler, describeAclsHandler } from "./handlers/acls.ts";
import { alterUserScramCredentialsHandler, describeUserScramCredentialsHandler } from "./handlers/user-scram-credentials.ts";

export const handlers: ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler(() => handlers),
  createTopicsHandler,
  deleteRecordsHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  listGroupsHandler,
  describeGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  deleteTopicsHandler,
  initProducerIdHandler,
  writeTxnMarkersHandler,
  describeProducersHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  alterPartitionReassignmentsHandler,
  electLeadersHandler,
  listPartitionReassignmentsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  describeTopicPartitionsHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
  describeClientQuotasHandler,
  alterClientQuotasHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
].sort((a, b) => a.apiKey - b.apiKey);

export const handlersByKey = new Map(handlers.map((h) => [h.apiKey, h]));

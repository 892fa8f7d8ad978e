/**
 * TxnOffsetCommit (28) v0–4: offsets committed inside a transaction. The transaction coordinator
 * first checks that this producer's ongoing transaction holds the group (AddOffsetsToTxn came
 * first; else INVALID_TXN_STATE, a fenced epoch INVALID_PRODUCER_EPOCH); then the group's
 * coordinator writes them durably but holds them pending until the transaction's outcome
 * reaches it (committed: visible to OffsetFetch; aborted: dropped). v3+ carries the member and
 * generation, checked as OffsetCommit checks them. In a cluster the transaction coordinator is
 * the leader of the id's `__transaction_state` partition, maybe another node (asked over RPC).
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { TxnOffsetCommitRequest } from "../../protocol/messages/index.ts";
import { groupShard } from "../group-routing.ts";
import { txnPartitionOf } from "../../txn/partitioning.ts";
import { TXN_TOPIC } from "../../txn/replicated-txn-store.ts";
import { rethrowIfBroken } from "../../base/assert.ts";
import { txnShard } from "../txn-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const txnOffsetCommitHandler = defineHandler({
  apiKey: 28,
  name: "TxnOffsetCommit",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: TxnOffsetCommitRequest) {
    const partitions = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
    );
    const errorCodes = await commit(context, request, partitions);
    let next = 0;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errorCodes[next++] })) })),
    };
  },
});

async function commit(context: BrokerContext, request: TxnOffsetCommitRequest, partitions: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }>): Promise<number[]> {
  if (!context.authorize("WRITE", "transactional_id", request.transactionalId)) return partitions.map(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (!context.authorize("READ", "group", request.groupId)) return partitions.map(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const readable = new Set(partitions.filter((p) => context.authorize("READ", "topic", p.topic)).map((p) => p.topic));
  if (readable.size < new Set(partitions.map((p) => p.topic)).size) return partitions.map((p) => (readable.has(p.topic) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED));
  const verify = { transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, groupId: request.groupId, verifyOnly: true };
  const { errorCode } = context.invokeLeader
    ? await context.invokeLeader(TXN_TOPIC, txnPartitionOf(request.transactionalId), "txnAddOffsets", verify).catch((error: unknown) => {
      rethrowIfBroken(error);
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }; // no coordinator reachable yet: the producer retries
    })
    : await context.invoke(txnShard(context, request.transactionalId), "txnAddOffsets", verify);
  if (errorCode !== ErrorCode.NONE) {
    return partitions.map(() => verifyError(errorCode));
  }
  const { errorCodes } = await context.invoke(groupShard(context, request.groupId), "groupTxnCommit", {
    groupId: request.groupId,
    producerId: request.producerId,
    producerEpoch: request.producerEpoch,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    partitions,
  });
  return errorCodes;
}

/**
 * The transaction coordinator's refusal as this request's answer. The client sent it to the group's
 * coordinator, so "not the coordinator" would blame that one (kafkajs gives up on it): the
 * transaction coordinator being elsewhere for now is COORDINATOR_NOT_AVAILABLE, which every client retries.
 */
function verifyError(errorCode: number): number {
  if (errorCode === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  return errorCode === ErrorCode.NOT_COORDINATOR ? ErrorCode.COORDINATOR_NOT_AVAILABLE : errorCode;
}

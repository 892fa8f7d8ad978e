/**
 * AddPartitionsToTxn (24) v0–5. v0–3 (clients): one transaction's partitions join it. v4+ (sent
 * by brokers in Kafka): several transactions at once, each either added or, with VerifyOnly,
 * checked (KIP-890 part 1: is this producer's transaction ongoing and does it hold these
 * partitions?); a top-level error code. Each transaction goes to the shard that owns its id.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnTopic, AddPartitionsToTxnTopicResult } from "../../protocol/messages/index.ts";
import { txnShard } from "../txn-routing.ts";
import { limits } from "../../base/limits.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { fencedForVersion } from "./txn-errors.ts";

/** Transactions one v4+ request may carry; past it: INVALID_REQUEST. */
const TRANSACTIONS_PER_REQUEST_MAX = 1000;

export const addPartitionsToTxnHandler = defineHandler({
  apiKey: 24,
  name: "AddPartitionsToTxn",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: AddPartitionsToTxnRequest, info) {
    if (info.apiVersion < 4) {
      const topicResults = await addOne(context, info.apiVersion, request.v3AndBelowTransactionalId, request.v3AndBelowProducerId, request.v3AndBelowProducerEpoch, request.v3AndBelowTopics, false);
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults };
    }
    if (request.transactions.length > TRANSACTIONS_PER_REQUEST_MAX) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, resultsByTransaction: [] };
    const resultsByTransaction = await Promise.all(
      request.transactions.map(async (t) => ({
        transactionalId: t.transactionalId,
        topicResults: await addOne(context, info.apiVersion, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly),
      })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
  },
});

async function addOne(
  context: BrokerContext, apiVersion: number, transactionalId: string, producerId: number, producerEpoch: number, topics: AddPartitionsToTxnTopic[], verifyOnly: boolean,
): Promise<AddPartitionsToTxnTopicResult[]> {
  const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  let errorCodes: number[];
  // As Kafka: WRITE on the transactional id, and on each topic (a refused topic refuses the request's other partitions with OPERATION_NOT_ATTEMPTED).
  const writable = new Set(topics.filter((t) => context.authorize("WRITE", "topic", t.name)).map((t) => t.name));
  if (!context.authorize("WRITE", "transactional_id", transactionalId)) errorCodes = partitions.map(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  else if (writable.size < new Set(topics.map((t) => t.name)).size) errorCodes = partitions.map((p) => (writable.has(p.topic) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.TOPIC_AUTHORIZATION_FAILED));
  else if (partitions.length > limits.txnPartitionsMax) errorCodes = partitions.map(() => ErrorCode.INVALID_REQUEST);
  else {
    const shard = txnShard(context, transactionalId);
    ({ errorCodes } = await context.invoke(shard, "txnAddPartitions", { transactionalId, producerId, producerEpoch, partitions, verifyOnly }));
  }
  let next = 0;
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: fencedForVersion(errorCodes[next++], apiVersion) })),
  }));
}

/**
 * InitProducerId (22) v0–5. Without a transactional id (idempotent producers): a producer id
 * unique across restarts, at epoch 0, from the shard's pool (one controller call per block of
 * ids, see producer-id-pool.ts). With one: asked of the transaction coordinator that owns the id
 * (src/txn), which keeps one producer id per transactional id and bumps its epoch on every
 * call, fencing the producer before (and aborting its open transaction first); in a cluster
 * that coordinator is the leader of the id's `__transaction_state` partition (elsewhere:
 * NOT_COORDINATOR, and the client finds it again). Producer ids come from the controller in
 * blocks either way (cluster-wide unique). A transactional
 * id needs WRITE on it (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent producer
 * IDEMPOTENT_WRITE on the cluster or WRITE on some topic (Kafka 3.x, KIP-679), else
 * CLUSTER_AUTHORIZATION_FAILED.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { InitProducerIdRequest, InitProducerIdResponse } from "../../protocol/messages/index.ts";
import { txnShard } from "../txn-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

/** PRODUCER_FENCED exists from v4; before it Kafka answers INVALID_PRODUCER_EPOCH. */
const PRODUCER_FENCED_SINCE_VERSION = 4;

export const initProducerIdHandler = defineHandler({
  apiKey: 22,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: InitProducerIdRequest, info): Promise<InitProducerIdResponse> {
    const answer = (errorCode: number, producerId = -1, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    if (request.transactionalId !== null) {
      if (!context.authorize("WRITE", "transactional_id", request.transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      const result = await context.invoke(txnShard(context, request.transactionalId), "txnInitProducerId", {
        transactionalId: request.transactionalId,
        transactionTimeoutMs: request.transactionTimeoutMs,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
      });
      const fenced = result.errorCode === ErrorCode.PRODUCER_FENCED && info.apiVersion < PRODUCER_FENCED_SINCE_VERSION;
      return answer(fenced ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode, result.producerId, result.producerEpoch);
    }
    if (!context.authorize("IDEMPOTENT_WRITE", "cluster", CLUSTER_RESOURCE_NAME) && !context.authorize("WRITE", "topic", null)) {
      return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    // Like Kafka without a transactional id: always a fresh id, whatever id and epoch were sent.
    const producerId = await context.producerIds.take();
    if (typeof producerId !== "number") return answer(ErrorCode.UNKNOWN_SERVER_ERROR);
    return answer(ErrorCode.NONE, producerId, 0);
  },
});

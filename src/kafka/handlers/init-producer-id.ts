/**
 * InitProducerId (22) v0–5, for idempotent producers: a producer id unique across restarts, at
 * epoch 0, from the shard's pool (one controller call per block of ids, see producer-id-pool.ts).
 * Transactions are not supported yet: a transactional id is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED. Needs IDEMPOTENT_WRITE on the cluster or WRITE on some
 * topic (Kafka 3.x, KIP-679), else CLUSTER_AUTHORIZATION_FAILED.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { InitProducerIdRequest, InitProducerIdResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const initProducerIdHandler = defineHandler({
  apiKey: 22,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: InitProducerIdRequest): Promise<InitProducerIdResponse> {
    const answer = (errorCode: number, producerId = -1, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    if (request.transactionalId !== null) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!context.authorize("IDEMPOTENT_WRITE", "cluster", CLUSTER_RESOURCE_NAME) && !context.authorize("WRITE", "topic", null)) {
      return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    // Like Kafka without a transactional id: always a fresh id, whatever id and epoch were sent.
    const producerId = await context.producerIds.take();
    if (typeof producerId !== "number") return answer(ErrorCode.UNKNOWN_SERVER_ERROR);
    return answer(ErrorCode.NONE, producerId, 0);
  },
});

/**
 * InitProducerId (22) v0–5, for idempotent producers: a producer id unique across restarts, at
 * epoch 0. Each shard takes ids from the controller in blocks. Transactions are not supported
 * yet: a transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { InitProducerIdRequest, InitProducerIdResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

/** The ids this shard may hand out without asking the controller, and a refill in progress. */
class ProducerIdPool {
  private nextId = 0;
  private endId = 0;
  private refill: Promise<void> | null = null;

  constructor(private readonly context: BrokerContext) {}

  async take(): Promise<number | { error: string }> {
    while (this.nextId >= this.endId) {
      this.refill ??= this.fetchBlock().finally(() => (this.refill = null));
      const problem = await this.refill.then(() => null, (error: unknown) => String(error));
      if (problem !== null) return { error: problem };
    }
    return this.nextId++;
  }

  private async fetchBlock(): Promise<void> {
    const block = await this.context.callController("allocateProducerIds", {});
    if ("error" in block) throw new Error(block.error);
    this.nextId = block.firstId;
    this.endId = block.firstId + block.count;
  }
}

// One pool per shard: each shard's context object lives as long as the shard.
const pools = new WeakMap<BrokerContext, ProducerIdPool>();

export const initProducerIdHandler = defineHandler({
  apiKey: 22,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 5,
  async handle(context: BrokerContext, request: InitProducerIdRequest): Promise<InitProducerIdResponse> {
    const answer = (errorCode: number, producerId = -1, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    if (request.transactionalId !== null) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    let pool = pools.get(context);
    if (!pool) pools.set(context, (pool = new ProducerIdPool(context)));
    // Like Kafka without a transactional id: always a fresh id, whatever id and epoch were sent.
    const producerId = await pool.take();
    if (typeof producerId !== "number") return answer(ErrorCode.UNKNOWN_SERVER_ERROR);
    return answer(ErrorCode.NONE, producerId, 0);
  },
});

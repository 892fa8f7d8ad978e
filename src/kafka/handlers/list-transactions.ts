/**
 * ListTransactions (66) v0–1: the transactional ids of every shard's coordinator, filtered by
 * state (Kafka's names; unknown ones are answered back), producer id and, from v1, by how long
 * the transaction has been running.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { ListTransactionsRequest } from "../../protocol/messages/index.ts";
import { TXN_STATE_NAMES } from "../../txn/types.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const listTransactionsHandler = defineHandler({
  apiKey: 66,
  name: "ListTransactions",
  minVersion: 0,
  maxVersion: 1,
  async handle(context: BrokerContext, request: ListTransactionsRequest) {
    const known = new Set<string>(TXN_STATE_NAMES);
    const unknownStateFilters = request.stateFilters.filter((s) => !known.has(s));
    const states = request.stateFilters.filter((s) => known.has(s));
    // Only unknown filters: nothing can match (Kafka answers an empty list with them).
    if (request.stateFilters.length > 0 && states.length === 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: [] };
    const shards = Array.from({ length: context.shardCount }, (_, shard) => shard);
    const listed = await Promise.all(
      shards.map((shard) => context.invoke(shard, "txnList", { states, producerIds: request.producerIdFilters, durationMs: request.durationFilter })),
    );
    const transactionStates = listed.flat().map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  },
});

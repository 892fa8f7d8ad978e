/** DescribeTransactions (65) v0: each transactional id's state, asked of the shard that owns it. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeTransactionsRequest } from "../../protocol/messages/index.ts";
import { txnShard } from "../txn-routing.ts";
import type { TxnDescription, TxnPartition } from "../../txn/types.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";

export const describeTransactionsHandler = defineHandler({
  apiKey: 65,
  name: "DescribeTransactions",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: DescribeTransactionsRequest) {
    const allowed = request.transactionalIds.filter((id) => context.authorize("DESCRIBE", "transactional_id", id));
    const described = await scatterByShard(allowed, (id) => txnShard(context, id), (shard, transactionalIds) =>
      context.invoke(shard, "txnDescribe", { transactionalIds }),
    );
    let next = 0;
    const states = request.transactionalIds.map((id) => (allowed[next] === id ? toState(described[next++]) : refusedState(id)));
    return { throttleTimeMs: 0, transactionStates: states };
  },
});

/** A transactional id the principal may not DESCRIBE (as Kafka). */
function refusedState(transactionalId: string) {
  return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
}

function toState(d: TxnDescription) {
  return {
    errorCode: d.errorCode,
    transactionalId: d.transactionalId,
    transactionState: d.state,
    transactionTimeoutMs: d.timeoutMs,
    transactionStartTimeMs: d.startTimeMs,
    producerId: d.producerId,
    producerEpoch: d.producerEpoch,
    topics: byTopic(d.partitions),
  };
}

function byTopic(partitions: TxnPartition[]): Array<{ topic: string; partitions: number[] }> {
  const topics = new Map<string, number[]>();
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  return [...topics].map(([topic, indexes]) => ({ topic, partitions: indexes }));
}

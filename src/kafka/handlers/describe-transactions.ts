/** DescribeTransactions (65) v0: each transactional id's state, asked of the shard that owns it. */
import type { DescribeTransactionsRequest } from "../../protocol/messages/index.ts";
import { shardOfTransactionalId } from "../../txn/partitioning.ts";
import type { TxnDescription, TxnPartition } from "../../txn/types.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";

export const describeTransactionsHandler = defineHandler({
  apiKey: 65,
  name: "DescribeTransactions",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: DescribeTransactionsRequest) {
    const described = await scatterByShard(request.transactionalIds, (id) => shardOfTransactionalId(id, context.shardCount), (shard, transactionalIds) =>
      context.invoke(shard, "txnDescribe", { transactionalIds }),
    );
    return { throttleTimeMs: 0, transactionStates: described.map(toState) };
  },
});

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

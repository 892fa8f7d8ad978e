/**
 * TxnOffsetCommit's answer when the transaction coordinator refuses its check. The request went to
 * the group's coordinator, so the transaction coordinator's "not the coordinator" must not read as
 * the group's: kafkajs gives up on NOT_COORDINATOR there and retries COORDINATOR_NOT_AVAILABLE.
 * The coordinators are stand-ins (invokeLeader, invoke): only their answers matter here.
 */
import { expect, test } from "bun:test";
import { MetadataTable } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { TxnOffsetCommitResponse } from "../../protocol/messages/index.ts";
import type { BrokerContext } from "../handler.ts";
import { txnOffsetCommitHandler } from "./txn-offset-commit.ts";

/** A node of a cluster whose transaction coordinator answers `txnAnswer` (or cannot be reached: "down"). */
function context(txnAnswer: number | "down"): BrokerContext {
  const partial: Partial<BrokerContext> = {
    shardCount: 1,
    metadata: () => MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [] }),
    authorize: () => true,
    invokeLeader: (async () => {
      if (txnAnswer === "down") throw new Error("no link to node 2");
      return { errorCode: txnAnswer };
    }) as BrokerContext["invokeLeader"],
    invoke: (async (_shard: number, _op: string, request: { partitions: unknown[] }) => ({ errorCodes: request.partitions.map(() => ErrorCode.NONE) })) as BrokerContext["invoke"],
  };
  return partial as BrokerContext;
}

const request = {
  transactionalId: "tx", groupId: "g", producerId: 7, producerEpoch: 0, generationId: -1, memberId: "", groupInstanceId: null,
  topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }],
};
const info = { apiKey: 28, apiVersion: 3, correlationId: 1, clientId: null };
const answer = async (txnAnswer: number | "down") =>
  ((await txnOffsetCommitHandler.handle(context(txnAnswer), request, info)) as TxnOffsetCommitResponse).topics[0]!.partitions[0]!.errorCode;

test("the transaction coordinator's refusals: elsewhere or unreachable is COORDINATOR_NOT_AVAILABLE, fenced is INVALID_PRODUCER_EPOCH, others pass through", async () => {
  expect(await answer(ErrorCode.NONE)).toBe(ErrorCode.NONE);
  expect(await answer(ErrorCode.NOT_COORDINATOR)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect(await answer("down")).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect(await answer(ErrorCode.PRODUCER_FENCED)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  expect(await answer(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  expect(await answer(ErrorCode.INVALID_TXN_STATE)).toBe(ErrorCode.INVALID_TXN_STATE);
});

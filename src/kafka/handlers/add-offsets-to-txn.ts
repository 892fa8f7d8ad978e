/**
 * AddOffsetsToTxn (25) v0–4: the group joins the producer's transaction, so the offsets its
 * TxnOffsetCommit sends are committed or dropped with the transaction.
 */
import type { AddOffsetsToTxnRequest } from "../../protocol/messages/index.ts";
import { shardOfTransactionalId } from "../../txn/partitioning.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { fencedForVersion } from "./txn-errors.ts";

export const addOffsetsToTxnHandler = defineHandler({
  apiKey: 25,
  name: "AddOffsetsToTxn",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: AddOffsetsToTxnRequest, info) {
    const { errorCode } = await context.invoke(shardOfTransactionalId(request.transactionalId, context.shardCount), "txnAddOffsets", {
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      groupId: request.groupId,
      verifyOnly: false,
    });
    return { throttleTimeMs: 0, errorCode: fencedForVersion(errorCode, info.apiVersion) };
  },
});

/**
 * AddOffsetsToTxn (25) v0–4: the group joins the producer's transaction, so the offsets its
 * TxnOffsetCommit sends are committed or dropped with the transaction.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { AddOffsetsToTxnRequest } from "../../protocol/messages/index.ts";
import { txnShard } from "../txn-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { fencedForVersion } from "./txn-errors.ts";

export const addOffsetsToTxnHandler = defineHandler({
  apiKey: 25,
  name: "AddOffsetsToTxn",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: AddOffsetsToTxnRequest, info) {
    if (!context.authorize("WRITE", "transactional_id", request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!context.authorize("READ", "group", request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const { errorCode } = await context.invoke(txnShard(context, request.transactionalId), "txnAddOffsets", {
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      groupId: request.groupId,
      verifyOnly: false,
    });
    return { throttleTimeMs: 0, errorCode: fencedForVersion(errorCode, info.apiVersion) };
  },
});

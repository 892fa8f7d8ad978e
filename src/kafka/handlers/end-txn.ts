/**
 * EndTxn (26) v0–4: commit or abort. Answered once the coordinator has written PrepareCommit /
 * PrepareAbort durably; the markers follow, and until they are all written the producer's next
 * AddPartitionsToTxn gets CONCURRENT_TRANSACTIONS (it retries). v5 (KIP-890 part 2, an epoch bump
 * per transaction) is unstable in Kafka 3.9 and not served.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { EndTxnRequest } from "../../protocol/messages/index.ts";
import { txnShard } from "../txn-routing.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { fencedForVersion } from "./txn-errors.ts";

export const endTxnHandler = defineHandler({
  apiKey: 26,
  name: "EndTxn",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: EndTxnRequest, info) {
    if (!context.authorize("WRITE", "transactional_id", request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const { errorCode } = await context.invoke(txnShard(context, request.transactionalId), "txnEnd", {
      transactionalId: request.transactionalId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      commit: request.committed,
    });
    return { throttleTimeMs: 0, errorCode: fencedForVersion(errorCode, info.apiVersion) };
  },
});

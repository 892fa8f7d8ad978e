/**
 * WriteTxnMarkers (27) v0–1: the transaction coordinator's commit or abort of a producer's
 * transaction in each listed partition. Each marker goes to its partition's owner shard
 * (`writeTxnMarkers`), which appends it as a control batch, synced, and answers once it is
 * visible: INVALID_PRODUCER_EPOCH for an epoch older than the producer's, and
 * TRANSACTION_COORDINATOR_FENCED for a coordinator epoch older than its last marker's, as Kafka.
 * An inter-broker API in Kafka; with no ACLs here any client may send it.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { WriteTxnMarkersRequest } from "../../protocol/messages/index.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

const unknownPartition = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };

export const writeTxnMarkersHandler = defineHandler({
  apiKey: 27,
  name: "WriteTxnMarkers",
  minVersion: 0,
  maxVersion: 1,
  async handle(context: BrokerContext, request: WriteTxnMarkersRequest) {
    const items = request.markers.flatMap((m) =>
      m.topics.flatMap((t) =>
        t.partitionIndexes.map((partition) => ({
          topic: t.name,
          partition,
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          commit: m.transactionResult,
          coordinatorEpoch: m.coordinatorEpoch,
        })),
      ),
    );
    const results = await invokeOnOwners(context, "writeTxnMarkers", items, unknownPartition);
    let next = 0;
    return {
      markers: request.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: results[next++].errorCode })),
        })),
      })),
    };
  },
});

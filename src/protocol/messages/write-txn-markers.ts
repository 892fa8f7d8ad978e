// WriteTxnMarkers (API key 27). Written from the Apache Kafka message definitions (Apache
// License 2.0); this file is the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 enables flexible versions.
 */
export const WriteTxnMarkersRequest = message<WriteTxnMarkersRequest>("request", "WriteTxnMarkersRequest", 27, "0-1", "1+", [
  f("Markers", "[]WritableTxnMarker", "0+", { fields: [
    f("ProducerId", "int64", "0+"),
    f("ProducerEpoch", "int16", "0+"),
    f("TransactionResult", "bool", "0+"),
    f("Topics", "[]WritableTxnMarkerTopic", "0+", { fields: [
      f("Name", "string", "0+"),
      f("PartitionIndexes", "[]int32", "0+"),
    ] }),
    f("CoordinatorEpoch", "int32", "0+"),
  ] }),
]);

/**
 * Version 1 enables flexible versions.
 */
export const WriteTxnMarkersResponse = message<WriteTxnMarkersResponse>("response", "WriteTxnMarkersResponse", 27, "0-1", "1+", [
  f("Markers", "[]WritableTxnMarkerResult", "0+", { fields: [
    f("ProducerId", "int64", "0+"),
    f("Topics", "[]WritableTxnMarkerTopicResult", "0+", { fields: [
      f("Name", "string", "0+"),
      f("Partitions", "[]WritableTxnMarkerPartitionResult", "0+", { fields: [
        f("PartitionIndex", "int32", "0+"),
        f("ErrorCode", "int16", "0+"),
      ] }),
    ] }),
  ] }),
]);

export interface WriteTxnMarkersRequest extends TaggedFields {
  markers: WritableTxnMarker[];
}

export interface WritableTxnMarker extends TaggedFields {
  producerId: number;
  producerEpoch: number;
  transactionResult: boolean;
  topics: WritableTxnMarkerTopic[];
  coordinatorEpoch: number;
}

export interface WritableTxnMarkerTopic extends TaggedFields {
  name: string;
  partitionIndexes: number[];
}

export interface WriteTxnMarkersResponse extends TaggedFields {
  markers: WritableTxnMarkerResult[];
}

export interface WritableTxnMarkerResult extends TaggedFields {
  producerId: number;
  topics: WritableTxnMarkerTopicResult[];
}

export interface WritableTxnMarkerTopicResult extends TaggedFields {
  name: string;
  partitions: WritableTxnMarkerPartitionResult[];
}

export interface WritableTxnMarkerPartitionResult extends TaggedFields {
  partitionIndex: number;
  errorCode: number;
}

/**
 * The shapes transaction requests take between a Kafka handler and the transaction coordinator
 * of the shard that owns the transactional id (they cross shards as typed ops, see
 * src/kafka/ops.ts), and what the coordinator asks of partitions and groups.
 */
export type TxnStateName = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort" | "Dead" | "PrepareEpochFence";

/** Kafka's state names, as DescribeTransactions and ListTransactions report and filter them. */
export const TXN_STATE_NAMES: readonly TxnStateName[] = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"];

export interface TxnPartition {
  topic: string;
  partition: number;
}

export interface InitProducerIdArgs {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** KIP-360 (v3+): the id and epoch the producer had, -1 when it has none. */
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface ProducerRef {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
}

export interface AddPartitionsArgs extends ProducerRef {
  partitions: TxnPartition[];
  /** KIP-890 part 1: only check that the transaction is ongoing and holds these partitions; add nothing. */
  verifyOnly: boolean;
}

export interface AddOffsetsArgs extends ProducerRef {
  groupId: string;
  /** TxnOffsetCommit's check: NONE only if this producer's ongoing transaction holds the group (INVALID_TXN_STATE if not); adds nothing. */
  verifyOnly: boolean;
}

export interface EndTxnArgs extends ProducerRef {
  commit: boolean;
}

export interface TxnDescription {
  errorCode: number;
  transactionalId: string;
  state: TxnStateName | "";
  timeoutMs: number;
  startTimeMs: number;
  producerId: number;
  producerEpoch: number;
  partitions: TxnPartition[];
}

export interface ListTxnArgs {
  states: string[];
  producerIds: number[];
  /** Only transactions running longer than this (ms); negative: all. */
  durationMs: number;
}

export interface ListedTxn {
  transactionalId: string;
  producerId: number;
  state: TxnStateName;
}

/** One commit or abort marker the coordinator asks a partition's owner to write (WriteTxnMarkers). */
export interface TxnMarker extends TxnPartition {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** The ops a shard's transaction coordinator serves; merged into the shard op table. */
export interface TxnOps {
  txnInitProducerId: { request: InitProducerIdArgs; response: InitProducerIdResult };
  /**
   * AddPartitionsToTxn: one error code per partition, in order. With `verifyOnly` it is the
   * check a partition makes before appending a transactional batch (KIP-890 part 1): NONE when
   * this producer's transaction is ongoing and holds the partition, INVALID_TXN_STATE when it
   * does not hold it, PRODUCER_FENCED / INVALID_PRODUCER_ID_MAPPING / CONCURRENT_TRANSACTIONS otherwise.
   */
  txnAddPartitions: { request: AddPartitionsArgs; response: { errorCodes: number[] } };
  txnAddOffsets: { request: AddOffsetsArgs; response: { errorCode: number } };
  txnEnd: { request: EndTxnArgs; response: { errorCode: number } };
  txnDescribe: { request: { transactionalIds: string[] }; response: TxnDescription[] };
  txnList: { request: ListTxnArgs; response: ListedTxn[] };
}

export type TxnOpName = keyof TxnOps;

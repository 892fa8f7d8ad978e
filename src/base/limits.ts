/**
 * Every limit in one place. Each is checked where input enters the broker.
 * Names end in their unit.
 */
export const limits = {
  /** Largest request frame accepted from a client (Kafka's socket.request.max.bytes default). */
  requestBytesMax: 100 * 1024 * 1024,
  /** Largest array count or string length decoded from the network before the bytes are checked. */
  arrayCountMax: 1_000_000,
  /** Requests decoded but not yet answered on one connection; past this the connection stops reading. */
  inflightRequestsPerConnectionMax: 128,
  /** Partitions in one topic. */
  partitionsPerTopicMax: 10_000,
  /** Bytes of recently written batches a shard keeps in memory for tailing consumers. */
  recentBatchCacheBytesMax: 64 * 1024 * 1024,
  /** Cross-shard calls waiting for an answer, per peer. */
  crossShardPendingMax: 4096,
  /** Longest a fetch may wait for data. */
  fetchWaitMsMax: 60_000,
  /** Shards (Workers) one broker may run. */
  shardsMax: 256,
  /** Log bytes between two sparse index entries of a segment (Redpanda uses ~32 KiB). */
  segmentIndexIntervalBytes: 32 * 1024,
  /** Largest single disk write the per-partition write loop makes when coalescing appends. */
  logWriteCoalesceBytesMax: 16 * 1024 * 1024,
  /** Bytes read per step when recovery rescans a segment (grown to fit one larger batch). */
  recoveryReadChunkBytes: 1024 * 1024,
  /** Largest batch recovery accepts on disk: no batch can exceed the request that carried it. */
  storedBatchBytesMax: 100 * 1024 * 1024,
  /** Entries of each shard's io_uring submission queue; also the most ops one shard has in flight. */
  uringQueueDepth: 256,
} as const;

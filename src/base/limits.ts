/**
 * Every limit in one place. Each is checked where input enters the broker.
 * Names end in their unit.
 */
export const limits = {
  /** Largest request frame accepted from a client (Kafka's socket.request.max.bytes default). */
  requestBytesMax: 100 * 1024 * 1024,
  /** First buffer a frame arriving in pieces gets; it doubles as bytes come, up to the frame's size. */
  frameBufferInitialBytes: 64 * 1024,
  /** Largest array count or string length decoded from the network before the bytes are checked. */
  arrayCountMax: 1_000_000,
  /** Requests decoded but not yet answered on one connection; past this the connection stops reading. */
  inflightRequestsPerConnectionMax: 128,
  /** Partitions in one topic. */
  partitionsPerTopicMax: 10_000,
  /** Partitions in one DescribeTopicPartitions answer (Kafka's max.request.partition.size.limit default). */
  describePartitionsPerResponseMax: 2000,
  /** Bytes of recently written batches a shard keeps in memory for tailing consumers. */
  recentBatchCacheBytesMax: 64 * 1024 * 1024,
  /** Bytes a shard's sequential readers hold read ahead of their next fetch (two chunks per partition, storage/read-ahead.ts). */
  readAheadBytesMax: 32 * 1024 * 1024,
  /** The least a sequential reader's disk reads take at once: each is read while the reader is in the one before. */
  readAheadChunkBytes: 4 * 1024 * 1024,
  /** Cross-shard calls waiting for an answer, per peer. */
  crossShardPendingMax: 4096,
  /** Largest internal RPC frame between nodes; a bigger one closes that connection (a Raft append carries at most a request's batches). */
  rpcFrameBytesMax: 128 * 1024 * 1024,
  /** RPC requests one shard has in flight to one peer node; past it, callers wait (backpressure). */
  rpcInflightPerPeerMax: 1024,
  /** RPC requests one inbound connection may have being served; past it the connection stops reading. */
  rpcInflightPerConnectionMax: 1024,
  /** Open Kafka connections one shard lists for the admin API (GET /v1/kafka/connections). */
  connectionsListedMax: 1000,
  /** Seed servers a node may be given. */
  seedServersMax: 64,
  /** Largest node id (Redpanda's node_id is an int32). */
  nodeIdMax: 0x7fffffff,
  /** Longest rack id a node may have (--rack). */
  rackBytesMax: 255,
  /** Longest a fetch may wait for data. */
  fetchWaitMsMax: 60_000,
  /** Incremental fetch sessions the broker keeps, split evenly over the shards (Kafka's max.incremental.fetch.session.cache.slots). */
  fetchSessionSlotsMax: 1000,
  /** A fetch session unused this long may be evicted by any new one (Kafka's fixed MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS). */
  fetchSessionEvictionMs: 120_000,
  /** Partitions one fetch session may hold; a fetch with more is answered without a session. */
  fetchSessionPartitionsMax: 100_000,
  /** Partitions all fetch sessions of one shard may hold together (~150 B each); past it, fetches go without a session. */
  fetchSessionPartitionsCachedMax: 1_000_000,
  /** Shards (Workers) one broker may run. */
  shardsMax: 256,
  /** Log bytes between two sparse index entries of a segment (Redpanda uses ~32 KiB). */
  segmentIndexIntervalBytes: 32 * 1024,
  /** Largest single disk write the per-partition write loop makes when coalescing appends. */
  logWriteCoalesceBytesMax: 16 * 1024 * 1024,
  /** Largest chunk an io_uring file fills with appends before writing it (one device write). */
  uringWriteChunkBytesMax: 4 * 1024 * 1024,
  /** Chunk bytes one io_uring file may hold in memory (open plus in flight); past it appends wait for the disk. */
  uringWriteBehindBytesMax: 8 * 1024 * 1024,
  /** Chunk bytes all of a shard's io_uring files may hold together (its write-behind); past it appends wait. */
  uringWriteBehindShardBytesMax: 64 * 1024 * 1024,
  /** Bytes of large buffers (frames, disk reads) a thread allocates between two collections it asks for (base/big-buffers.ts). */
  collectEveryBigBytes: 256 * 1024 * 1024,
  /** How often a shard checks whether it should collect while quiet, and what it must have counted (or its heap grown by) to do it. */
  idleCollectCheckMs: 10_000,
  idleCollectBytesMin: 8 * 1024 * 1024,
  /** A thread that counted less than this since its last check is quiet (only a quiet thread collects on the check). */
  idleCountedBytesMax: 1024 * 1024,
  /** Aligned write buffers a shard's io_uring disk keeps for reuse. */
  uringWriteBuffersPooledBytesMax: 32 * 1024 * 1024,
  /** The same for buffers under 64 KiB (the chunks of small writes), bounded apart. */
  uringSmallWriteBuffersPooledBytesMax: 1024 * 1024,
  /** Produce or sessionless Fetch requests in a row, all for partitions of one other shard, after which a connection moves to that shard (kafka/connection-placement.ts). */
  connectionMoveAfterRequests: 16,
  /** How long a moving connection may take to have nothing in flight before it stays where it is. */
  connectionMoveQuietWithinMs: 500,
  /** Files of sealed segments a shard keeps open for reads; past it the least recently read close. */
  sealedSegmentFilesOpenMax: 512,
  /** After a failed write or sync (and the cut back to the high watermark), appends are refused for this long before the log tries again. */
  logFailureRetryMs: 1000,
  /** Bytes read per step when recovery rescans a segment (grown to fit one larger batch). */
  recoveryReadChunkBytes: 1024 * 1024,
  /** Largest batch recovery accepts on disk: no batch can exceed the request that carried it. */
  storedBatchBytesMax: 100 * 1024 * 1024,
  /** Largest decompressed records section of one batch; a larger one (a decompression bomb) is refused as corrupt. */
  decompressedBatchBytesMax: 128 * 1024 * 1024,
  /** Entries of each shard's io_uring submission queue; also the most ops one shard has in flight. */
  uringQueueDepth: 256,
  /** Members (joined or holding a MEMBER_ID_REQUIRED id) in one consumer group; past it: GROUP_MAX_SIZE_REACHED. */
  groupMembersMax: 1000,
  /** Protocols one JoinGroup may offer; past it: INVALID_REQUEST. */
  groupProtocolsPerMemberMax: 64,
  /** Bytes of one protocol's metadata in a JoinGroup (the subscription); past it: INVALID_REQUEST. */
  groupProtocolMetadataBytesMax: 1024 * 1024,
  /** Bytes of one member's assignment in a SyncGroup; past it: INVALID_REQUEST. */
  groupAssignmentBytesMax: 1024 * 1024,
  /** Characters of metadata stored with a committed offset (Kafka's offset.metadata.max.bytes); past it: OFFSET_METADATA_TOO_LARGE. */
  offsetMetadataBytesMax: 4096,
  /** Largest single write of a group log (commits queued together share one write and one fdatasync). */
  groupLogWriteBytesMax: 16 * 1024 * 1024,
  /** A group log larger than this, and more than twice its live state, is compacted. */
  groupLogCompactBytes: 64 * 1024 * 1024,
  /** Partitions one transaction may hold; an AddPartitionsToTxn past it: INVALID_REQUEST for its partitions. */
  txnPartitionsMax: 10_000,
  /** Groups one transaction may commit offsets for; an AddOffsetsToTxn past it: INVALID_REQUEST. */
  txnGroupsMax: 100,
  /** Characters of a transactional id (Kafka's string limit); longer: INVALID_REQUEST. */
  transactionalIdCharsMax: 32_767,
  /** Bytes of one SASL token from a client (a SCRAM or PLAIN message is a few hundred); past it the login fails. */
  saslTokenBytesMax: 8 * 1024,
  /** Characters of a SASL user name (Redpanda's limit); longer ones are refused when created and fail at login. */
  saslUserNameCharsMax: 128,
  /** Characters of a password set through the admin API. */
  saslPasswordCharsMax: 1024,
  /** SCRAM users the metadata may hold; past it creating one is refused. */
  saslUsersMax: 10_000,
  /** Failed logins one connection may make; past it the connection is closed. */
  saslFailuresPerConnectionMax: 10,
  /** Client-quota entities (user, client-id, or both) the metadata may hold; past it setting a new one is refused. */
  clientQuotaEntitiesMax: 10_000,
  /** Characters of a quota entity's name (a user or a client id). */
  clientQuotaEntityNameCharsMax: 255,
  /** Client-quota trackers (one per quota bucket in use) a shard keeps; the least recently used go first. */
  clientQuotaTrackersPerShardMax: 10_000,
  /** Distinct client addresses the node-wide connection counts can hold at once; past it a new address is refused. */
  connectionAddressesMax: 65_536,
  /** Entries of kafka_connections_max_overrides and kafka_connection_rate_limit_overrides. */
  connectionOverridesMax: 1024,
  /** Groups in kafka_client_group_byte_rate_quota and kafka_client_group_fetch_byte_rate_quota. */
  clientQuotaGroupsMax: 256,
  /** ACL bindings the metadata may hold; past it CreateAcls is refused. */
  aclsMax: 10_000,
  /** Characters of an ACL's resource name, principal or host; longer ones are refused. */
  aclFieldCharsMax: 1024,
  /** ACL creations or deletion filters in one request. */
  aclsPerRequestMax: 1000,
} as const;

/**
 * One shard: a Worker pinned to one core that owns its partitions, serves Kafka connections
 * on the shared port, and reaches other shards only through its channels.
 */
import type { Servers } from "../base/calls.ts";
import { systemClock } from "../base/clock.ts";
import { systemTimers } from "../base/timers.ts";
import { limits } from "../base/limits.ts";
import { MemoryBudget } from "../base/memory-budget.ts";
import { logger, type Logger } from "../base/log.ts";
import type { ControllerCallName, ControllerCalls } from "../cluster/controller-calls.ts";
import { MetadataTable, type MetadataUpdate } from "../cluster/metadata.ts";
import { listValue } from "../cluster/properties.ts";
import { closeDisk, openDisk } from "../io/backend.ts";
import type { Disk } from "../io/disk.ts";
import { createDispatcher } from "../kafka/dispatcher.ts";
import { FetchSessionCache } from "../kafka/fetch-sessions.ts";
import type { BrokerContext } from "../kafka/handler.ts";
import { ProducerIdPool } from "../kafka/producer-id-pool.ts";
import { listenKafka, type KafkaListener } from "../kafka/server.ts";
import { currentCore, pinThisThreadToCore } from "../native/libc.ts";
import { loadNativeCrc32c } from "../native/crc32c.ts";
import { useNativeCrc32c } from "../base/crc32c.ts";
import { GroupCoordinator } from "../group/coordinator.ts";
import { shardOfGroup } from "../group/partitioning.ts";
import { TxnCoordinator } from "../txn/coordinator.ts";
import { shardOfTransactionalId } from "../txn/partitioning.ts";
import type { TxnMarker } from "../txn/types.ts";
import { scatterByShard } from "../kafka/handler.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { Channel } from "./channel.ts";
import type { PartitionDetails, ShardControlCalls, ShardInit } from "./control.ts";
import { LocalPartitions } from "./local-partitions.ts";
import type { OpName, OpRequest, OpResponse, Ops, PartitionRef } from "../kafka/ops.ts";
import { ShardStats, type ShardStatsSnapshot } from "./stats.ts";
import type { RpcHopCalls } from "../rpc/endpoint.ts";
import { startShardRpc, type ShardRpc } from "../rpc/node.ts";

/** What shards call on each other: the Kafka ops, and RPC requests handed to the shard that owns them. */
type ShardOps = Ops & RpcHopCalls;

export class Shard {
  /** Control calls from the main thread run one at a time, in the order they came. */
  private controlQueue: Promise<unknown> = Promise.resolve();
  private readonly table: MetadataTable;
  private readonly channels: Array<Channel<ShardOps, ShardOps> | null>;
  private readonly main: Channel<ControllerCalls, ShardControlCalls>;
  private readonly opServers: Servers<Ops>;
  private rpc: ShardRpc | null = null;
  private readonly local: LocalPartitions;
  private readonly groups: GroupCoordinator;
  private readonly txns: TxnCoordinator;
  private readonly stats = new ShardStats();
  private readonly log: Logger;
  private readonly pinned: boolean;
  private readonly disk: Disk;
  private listener: KafkaListener | null = null;
  private readonly requestMemory: MemoryBudget;
  /** Lives as long as the shard: one controller call per block of ids, not per InitProducerId. */
  private readonly producerIds = new ProducerIdPool(() => this.callController("allocateProducerIds", {}));

  constructor(private readonly init: ShardInit) {
    this.log = logger(`shard-${init.shardId}`);
    this.pinned = pinThisThreadToCore(init.core);
    if (!this.pinned) this.log.warn("could not pin to core", { core: init.core });
    const nativeCrc = loadNativeCrc32c();
    useNativeCrc32c(nativeCrc);
    if (!nativeCrc && init.shardId === 0) this.log.info("CRC-32C runs in JS: the native shim is not built or the CPU lacks SSE4.2");
    this.table = MetadataTable.fromSnapshot(init.metadata);
    // A frame must fit the budget whole, or it could never be read.
    this.requestMemory = new MemoryBudget(Math.max(init.props.kafka_request_memory_per_shard_bytes, init.props.kafka_request_max_bytes + limits.frameBufferInitialBytes));
    this.disk = openDisk(init.io);
    this.local = new LocalPartitions({
      shardId: init.shardId,
      disk: this.disk,
      dataDir: init.dataDir,
      props: init.props,
      clock: systemClock,
      timers: systemTimers,
      log: this.log,
      onFsyncMs: (ms) => this.stats.fsyncLatency.record(ms),
      verifyTxnPartition: async (transactionalId, producerId, producerEpoch, ref) => {
        const request = { transactionalId, producerId, producerEpoch, partitions: [{ topic: ref.topic, partition: ref.partition }], verifyOnly: true };
        return (await this.invoke(shardOfTransactionalId(transactionalId, init.shardCount), "txnAddPartitions", request)).errorCodes[0]!;
      },
    });
    this.groups = new GroupCoordinator({
      shardId: init.shardId,
      shardCount: init.shardCount,
      dataDir: init.dataDir,
      disk: this.disk,
      props: init.props,
      clock: systemClock,
      timers: systemTimers,
      log: this.log,
      metadata: () => this.table,
      onFsyncMs: (ms) => this.stats.fsyncLatency.record(ms),
    });
    this.txns = new TxnCoordinator({
      shardId: init.shardId,
      shardCount: init.shardCount,
      dataDir: init.dataDir,
      disk: this.disk,
      props: init.props,
      clock: systemClock,
      timers: systemTimers,
      log: this.log,
      metadata: () => this.table,
      newProducerId: () => this.producerIds.take(),
      writeMarkers: (markers) => this.writeMarkers(markers),
      completeGroup: async (groupId, producerId, commit) =>
        (await this.invoke(shardOfGroup(groupId, init.shardCount), "groupTxnComplete", { groupId, producerId, commit })).errorCode,
      onFsyncMs: (ms) => this.stats.fsyncLatency.record(ms),
    });
    this.opServers = { ...this.local.servers, ...this.groups.servers, ...this.txns.servers };
    const channelServers: Servers<ShardOps> = { ...this.opServers, rpcDeliver: (request) => this.rpcHop(request) };
    this.channels = init.peers.map((port, peer) => (port ? new Channel<ShardOps, ShardOps>(port, channelServers, `shard ${peer}`) : null));
    this.main = new Channel<ControllerCalls, ShardControlCalls>(init.main, this.controlServers(), "controller");
  }

  private controlServers(): Servers<ShardControlCalls> {
    return {
      start: this.inOrder(() => this.start()),
      metadata: this.inOrder(({ update }) => this.applyMetadata(update)),
      stats: this.inOrder(async () => this.snapshotStats()),
      partitions: this.inOrder(async () => this.partitionDetails()),
      release: this.inOrder((ref) => this.release(ref)),
      rpcPeers: async () => this.rpc?.endpoint.peers() ?? [],
      shutdown: this.inOrder(() => this.stop()),
    };
  }

  /**
   * Runs control calls strictly in order. One that fails stops the shard (and the broker), as
   * a shard that could not apply a metadata update or recover its logs must not go on serving.
   */
  private inOrder<Req, Res>(work: (request: Req) => Promise<Res>): (request: Req) => Promise<Res> {
    return (request) => {
      const result = this.controlQueue.then(() => work(request));
      this.controlQueue = result.catch((error: unknown) => {
        throw error; // uncaught: the Worker's entry point reports it to the main thread as fatal
      });
      return result;
    };
  }

  /** Recovers this shard's partitions, then starts listening. */
  async start(): Promise<void> {
    await this.local.sync(this.table);
    await this.groups.start();
    await this.txns.start();
    await this.local.startHousekeeping();
    const context = this.brokerContext();
    this.listener = listenKafka({
      host: this.init.kafkaAddr.host,
      port: this.init.kafkaAddr.port,
      dispatch: createDispatcher(context, this.stats, this.log),
      sasl: {
        enabled: this.init.props.enable_sasl,
        mechanisms: listValue(this.init.props.sasl_mechanisms),
        reauthMs: this.init.props.kafka_sasl_max_reauth_ms,
        clock: systemClock,
        metadata: () => this.table,
      },
      requestBytesMax: this.init.props.kafka_request_max_bytes,
      budget: this.requestMemory,
      unsentBytesMax: this.init.props.kafka_connection_unsent_bytes_max,
      frameTimeoutMs: this.init.props.kafka_request_read_timeout_ms,
      stats: this.stats,
      log: this.log,
    });
    this.startRpc();
    this.log.info("serving", { core: this.init.core, runningOn: currentCore(), partitions: this.local.owned().length });
  }

  async applyMetadata(update: MetadataUpdate): Promise<void> {
    this.table.apply(update);
    await this.local.sync(this.table);
    for (const change of update.changes) if (change.kind === "delete_topic") await this.groups.dropTopic(change.name);
  }

  partitionDetails(): PartitionDetails[] {
    return this.local.details().map((p) => ({ ...p, shard: this.init.shardId }));
  }

  release(ref: PartitionRef): Promise<void> {
    return this.local.release(ref);
  }

  async stop(): Promise<void> {
    this.listener?.stop(true);
    this.rpc?.stop();
    await this.txns.stop();
    await this.groups.stop();
    await this.local.closeAll();
    closeDisk(this.disk);
    for (const channel of this.channels) channel?.close();
  }

  snapshotStats(): ShardStatsSnapshot {
    const s = this.stats;
    const histograms = (map: Map<string, { snapshot(): any }>) => Object.fromEntries([...map].map(([k, h]) => [k, h.snapshot()]));
    return {
      shardId: this.init.shardId,
      coreRequested: this.init.core,
      coreActual: currentCore(),
      pinned: this.pinned,
      partitions: this.local.owned(),
      requests: s.requests,
      requestsByApi: Object.fromEntries(s.requestsByApi),
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      crossShardSent: this.channels.reduce((n, c) => n + (c?.messagesSent ?? 0), 0),
      crossShardReceived: this.channels.reduce((n, c) => n + (c?.messagesReceived ?? 0), 0),
      crossShardQueueDepth: this.channels.reduce((n, c) => n + (c?.depth ?? 0), 0),
      sizeBytes: this.local.sizeBytes(),
      latencyByRoute: histograms(s.latencyByRoute),
      fsyncLatency: s.fsyncLatency.snapshot(),
      connections: s.connections,
      saslFailures: s.saslFailures,
      backend: this.disk.name,
    };
  }

  private brokerContext(): BrokerContext {
    const { init } = this;
    return {
      shardId: init.shardId,
      shardCount: init.shardCount,
      nodeId: init.nodeId,
      clusterId: init.clusterId,
      advertised: init.advertised,
      props: init.props,
      clock: systemClock,
      metadata: () => this.table,
      invoke: (shard, op, request) => this.invoke(shard, op, request),
      callController: (name, request) => this.callController(name, request),
      producerIds: this.producerIds,
      dataDir: init.dataDir,
      fetchSessions: new FetchSessionCache({
        shardId: init.shardId,
        shardCount: init.shardCount,
        slots: FetchSessionCache.slotsPerShard(init.shardCount),
        clock: systemClock,
      }),
    };
  }

  /** Listens for peer nodes on the shared RPC port and dials each seed; no Raft groups yet, so a group destination finds no owner. */
  private startRpc(): void {
    const { init } = this;
    if (init.rpc === null) return;
    this.rpc = startShardRpc({
      identity: { nodeId: init.nodeId, clusterId: init.clusterId, shardId: init.shardId, shardCount: init.shardCount, softwareVersion: init.softwareVersion },
      settings: init.rpc,
      routing: {
        shardId: init.shardId,
        shardCount: init.shardCount,
        groupOwner: () => null,
        hop: (shard, request) => this.channels[shard]!.call("rpcDeliver", request),
      },
      clock: systemClock,
      timers: systemTimers,
      random: Math.random,
      log: this.log,
    });
  }

  private rpcHop(request: RpcHopCalls["rpcDeliver"]["request"]) {
    if (this.rpc === null) throw new Error("RPC is not running on this shard");
    return this.rpc.endpoint.hopServers.rpcDeliver(request);
  }

  /** Each marker on its partition's owner, one op per owner; a partition no shard owns: UNKNOWN_TOPIC_OR_PARTITION. */
  private async writeMarkers(markers: TxnMarker[]): Promise<number[]> {
    const owners = markers.map((m) => this.table.ownerOf(m.topic, m.partition));
    const known = markers.flatMap((marker, i) => (owners[i] === undefined ? [] : [{ marker, shard: owners[i] }]));
    const answers = await scatterByShard(known, (k) => k.shard, (shard, batch) => this.invoke(shard, "writeTxnMarkers", { items: batch.map((k) => k.marker) }));
    let next = 0;
    return owners.map((shard) => (shard === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : answers[next++].errorCode));
  }

  private invoke<Op extends OpName>(shard: number, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>> {
    if (shard === this.init.shardId) return this.opServers[op](request);
    const channel = this.channels[shard];
    if (!channel) throw new Error(`no channel to shard ${shard}`);
    return channel.call(op, request);
  }

  private callController<N extends ControllerCallName>(name: N, request: ControllerCalls[N]["request"]): Promise<ControllerCalls[N]["response"]> {
    return this.main.call(name, request);
  }
}

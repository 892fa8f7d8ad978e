/**
 * One shard: a Worker pinned to one core that owns its partitions, serves Kafka connections
 * on the shared port, and reaches other shards only through its channels.
 */
import type { TCPSocketListener } from "bun";
import { systemClock } from "../base/clock.ts";
import { logger, type Logger } from "../base/log.ts";
import type { ControllerCall, ControllerCallName, ControllerCalls } from "../cluster/controller-calls.ts";
import { MetadataTable, type MetadataUpdate } from "../cluster/metadata.ts";
import { closeDisk, openDisk } from "../io/backend.ts";
import type { Disk } from "../io/disk.ts";
import type { Connection } from "../kafka/connection.ts";
import { createDispatcher } from "../kafka/dispatcher.ts";
import { FetchSessionCache } from "../kafka/fetch-sessions.ts";
import type { BrokerContext } from "../kafka/handler.ts";
import { listenKafka } from "../kafka/server.ts";
import { currentCore, pinThisThreadToCore } from "../native/libc.ts";
import { loadNativeCrc32c } from "../native/crc32c.ts";
import { useNativeCrc32c } from "../base/crc32c.ts";
import { GroupCoordinator } from "../group/coordinator.ts";
import { isGroupOp } from "../group/types.ts";
import { ShardChannel } from "./channel.ts";
import type { PartitionDetails, ShardInit, ShardToMain } from "./control.ts";
import { LocalPartitions } from "./local-partitions.ts";
import type { OpName, OpRequest, OpResponse, PartitionRef } from "./ops.ts";
import { ShardStats, type ShardStatsSnapshot } from "./stats.ts";

export class Shard {
  private readonly table: MetadataTable;
  private readonly channels: Array<ShardChannel | null>;
  private readonly local: LocalPartitions;
  private readonly groups: GroupCoordinator;
  private readonly stats = new ShardStats();
  private readonly log: Logger;
  private readonly pinned: boolean;
  private readonly disk: Disk;
  private listener: TCPSocketListener<Connection> | null = null;
  private nextControllerCallId = 1;
  private readonly pendingControllerCalls = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly init: ShardInit,
    private readonly toMain: (message: ShardToMain) => void,
  ) {
    this.log = logger(`shard-${init.shardId}`);
    this.pinned = pinThisThreadToCore(init.core);
    if (!this.pinned) this.log.warn("could not pin to core", { core: init.core });
    const nativeCrc = loadNativeCrc32c();
    useNativeCrc32c(nativeCrc);
    if (!nativeCrc && init.shardId === 0) this.log.info("CRC-32C runs in JS: the native shim is not built or the CPU lacks SSE4.2");
    this.table = MetadataTable.fromSnapshot(init.metadata);
    this.disk = openDisk(init.io);
    this.local = new LocalPartitions({
      shardId: init.shardId,
      disk: this.disk,
      dataDir: init.dataDir,
      props: init.props,
      clock: systemClock,
      log: this.log,
      onFsyncMs: (ms) => this.stats.fsyncLatency.record(ms),
    });
    this.groups = new GroupCoordinator({
      shardId: init.shardId,
      shardCount: init.shardCount,
      dataDir: init.dataDir,
      disk: this.disk,
      props: init.props,
      clock: systemClock,
      log: this.log,
      metadata: () => this.table,
      onFsyncMs: (ms) => this.stats.fsyncLatency.record(ms),
    });
    this.channels = init.peers.map((port) => (port ? new ShardChannel(port, (op, request) => this.serve(op, request)) : null));
  }

  /** Recovers this shard's partitions, then starts listening. */
  async start(): Promise<void> {
    await this.local.sync(this.table);
    await this.groups.start();
    this.local.startHousekeeping();
    const context = this.brokerContext();
    this.listener = listenKafka({
      host: this.init.kafkaAddr.host,
      port: this.init.kafkaAddr.port,
      dispatch: createDispatcher(context, this.stats, this.log),
      requestBytesMax: this.init.props.kafka_request_max_bytes,
      stats: this.stats,
      log: this.log,
    });
    this.log.info("serving", { core: this.init.core, runningOn: currentCore(), partitions: this.local.owned().length });
  }

  async applyMetadata(update: MetadataUpdate): Promise<void> {
    this.table.apply(update);
    await this.local.sync(this.table);
    for (const change of update.changes) if (change.kind === "delete_topic") await this.groups.dropTopic(change.name);
  }

  answerControllerCall(id: number, result: unknown, error: string | undefined): void {
    const pending = this.pendingControllerCalls.get(id);
    this.pendingControllerCalls.delete(id);
    if (error !== undefined) pending?.reject(new Error(`controller failed: ${error}`));
    else pending?.resolve(result);
  }

  partitionDetails(): PartitionDetails[] {
    return this.local.details().map((p) => ({ ...p, shard: this.init.shardId }));
  }

  release(ref: PartitionRef): Promise<void> {
    return this.local.release(ref);
  }

  async stop(): Promise<void> {
    this.listener?.stop(true);
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
      backend: this.disk.name,
    };
  }

  private brokerContext(): BrokerContext {
    const { init } = this;
    return {
      shardId: init.shardId,
      shardCount: init.shardCount,
      nodeId: 0,
      clusterId: init.clusterId,
      advertised: init.advertised,
      props: init.props,
      clock: systemClock,
      metadata: () => this.table,
      invoke: (shard, op, request) => this.invoke(shard, op, request),
      callController: (name, request) => this.callController(name, request),
      dataDir: init.dataDir,
      fetchSessions: new FetchSessionCache({
        shardId: init.shardId,
        shardCount: init.shardCount,
        slots: FetchSessionCache.slotsPerShard(init.shardCount),
        clock: systemClock,
      }),
    };
  }

  private invoke<Op extends OpName>(shard: number, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>> {
    if (shard === this.init.shardId) return this.serve(op, request) as Promise<OpResponse<Op>>;
    const channel = this.channels[shard];
    if (!channel) throw new Error(`no channel to shard ${shard}`);
    return channel.call(op, request);
  }

  private serve(op: OpName, request: unknown): Promise<unknown> {
    if (isGroupOp(op)) return this.groups.serve(op, request);
    switch (op) {
      case "produce": return this.local.produce((request as OpRequest<"produce">).items);
      case "read": return this.local.read((request as OpRequest<"read">).items);
      case "listOffsets": return this.local.listOffsets((request as OpRequest<"listOffsets">).items);
      case "sizes": return this.local.sizes((request as OpRequest<"sizes">).items);
      case "deleteRecords": return this.local.deleteRecords((request as OpRequest<"deleteRecords">).items);
      case "watch": {
        const { watchId, items, waitMs } = request as OpRequest<"watch">;
        return this.local.watch(watchId, items, waitMs);
      }
      case "unwatch": return this.local.unwatch((request as OpRequest<"unwatch">).watchId);
    }
  }

  private callController<N extends ControllerCallName>(name: N, request: ControllerCalls[N]["request"]): Promise<ControllerCalls[N]["response"]> {
    const id = this.nextControllerCallId++;
    return new Promise((resolve, reject) => {
      this.pendingControllerCalls.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.toMain({ type: "controller_call", shardId: this.init.shardId, id, call: { name, request } as ControllerCall });
    });
  }

}

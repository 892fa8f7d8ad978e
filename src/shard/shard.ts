/**
 * One shard: a Worker pinned to one core that owns its partitions, serves Kafka connections
 * on the shared port, and reaches other shards only through its channels.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Servers } from "../base/calls.ts";
import { systemClock } from "../base/clock.ts";
import { systemTimers } from "../base/timers.ts";
import { limits } from "../base/limits.ts";
import { MemoryBudget } from "../base/memory-budget.ts";
import { logger, type Logger } from "../base/log.ts";
import type { ControllerCallName, ControllerCalls } from "../cluster/controller-calls.ts";
import { MetadataTable, type MetadataUpdate } from "../cluster/metadata.ts";
import { listValue } from "../cluster/properties.ts";
import { parsePrincipalRules } from "../cluster/principal-mapping.ts";
import { closeDisk, openDisk } from "../io/backend.ts";
import type { Disk } from "../io/disk.ts";
import { createDispatcher } from "../kafka/dispatcher.ts";
import { FetchSessionCache } from "../kafka/fetch-sessions.ts";
import type { ShardContext } from "../kafka/handler.ts";
import { ProducerIdPool } from "../kafka/producer-id-pool.ts";
import { listenKafka, refuseMoved, type ConnectionMoveCalls, type KafkaListener, type MovedConnection } from "../kafka/server.ts";
import { readWaitingOn } from "../kafka/fetch-wait.ts";
import { ConnectionAdmission } from "../kafka/connection-admission.ts";
import { SharedCounts } from "../base/shared-counts.ts";
import { closeFd, currentCore, duplicateFd, GATHER_PIECES_MAX, pinThisThreadToCore, sendGathered } from "../native/libc.ts";
import { loadNativeCrc32c } from "../native/crc32c.ts";
import { useNativeCrc32c } from "../base/crc32c.ts";
import { GroupCoordinator } from "../group/coordinator.ts";
import { groupPartitionOf, shardOfGroup } from "../group/partitioning.ts";
import { GROUP_TOPIC } from "../group/replicated-store.ts";
import { TxnCoordinator } from "../txn/coordinator.ts";
import { shardOfTransactionalId, txnPartitionOf } from "../txn/partitioning.ts";
import { TXN_TOPIC } from "../txn/replicated-txn-store.ts";
import { leaderTarget } from "../kafka/txn-routing.ts";
import type { VerifyTxnPartition } from "../kafka/txn-verification.ts";
import type { RpcCalls } from "../rpc/messages/index.ts";
import type { TxnMarker } from "../txn/types.ts";
import { scatterByShard } from "../kafka/handler.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { Channel } from "./channel.ts";
import type { ControllerGroupCalls, PartitionDetails, ShardControlCalls, ShardInit } from "./control.ts";
import { LocalPartitions } from "./local-partitions.ts";
import type { OpName, OpRequest, OpResponse, Ops, PartitionRef, ReplicaOps } from "../kafka/ops.ts";
import { ShardStats, type ShardStatsSnapshot } from "./stats.ts";
import type { RpcHopCalls } from "../rpc/endpoint.ts";
import { sameAddress, startShardRpc, type ShardRpc } from "../rpc/node.ts";
import type { RaftNetwork } from "../replication/raft-network.ts";
import { ShardReplication } from "../replication/shard-replication.ts";
import { CONTROLLER_GROUP } from "../cluster/metadata.ts";
import { ControllerMember } from "./controller-member.ts";
import { profileShard } from "./cpu-profile.ts";
import { heapSize } from "bun:jsc";
import { collections, startCollectionChecks } from "../base/big-buffers.ts";

/** What shards call on each other: the Kafka ops, and RPC requests handed to the shard that owns them. */
type ShardOps = Ops & RpcHopCalls & ConnectionMoveCalls;

export class Shard {
  /** Control calls from the main thread run one at a time, in the order they came. */
  private controlQueue: Promise<unknown> = Promise.resolve();
  private readonly table: MetadataTable;
  private readonly channels: Array<Channel<ShardOps, ShardOps> | null>;
  private readonly main: Channel<ControllerCalls & ControllerGroupCalls, ShardControlCalls>;
  /** In a cluster: this shard's Raft traffic. */
  private raftNetwork: RaftNetwork | null = null;
  /** In a cluster: the replicated partitions on this shard, their Raft network and leader table. */
  private readonly replication: ShardReplication | null;
  /** In a cluster, on shard 0: this node's member of the controller group. */
  private controllerMember: ControllerMember | null = null;
  private readonly opServers: Servers<Ops>;
  private rpc: ShardRpc | null = null;
  /** Resolved once this shard's RPC endpoint serves replication: a sibling that started first may hop requests here before. */
  private readonly rpcServing = Promise.withResolvers<void>();
  private readonly local: LocalPartitions;
  private readonly groups: GroupCoordinator;
  private readonly txns: TxnCoordinator;
  private readonly stats = new ShardStats();
  private readonly log: Logger;
  private readonly pinned: boolean;
  private readonly disk: Disk;
  private listener: KafkaListener | null = null;
  private readonly requestMemory: MemoryBudget;
  private readonly admission: ConnectionAdmission;
  private stopCollectionChecks = () => {};
  /** Lives as long as the shard: one controller call per block of ids, not per InitProducerId. */
  private readonly producerIds = new ProducerIdPool(() => this.callController("allocateProducerIds", {}));

  constructor(private readonly init: ShardInit) {
    this.log = logger(`shard-${init.shardId}`);
    this.pinned = pinThisThreadToCore(init.core);
    if (!this.pinned) this.log.warn("could not pin to core", { core: init.core });
    const nativeCrc = loadNativeCrc32c();
    useNativeCrc32c(nativeCrc);
    if (!nativeCrc && init.shardId === 0) this.log.info("CRC-32C runs in JS: the native shim is not built or the CPU lacks SSE4.2");
    this.table = MetadataTable.fromSnapshot(init.metadata, init.nodeId);
    // A frame must fit the budget whole, or it could never be read.
    this.requestMemory = new MemoryBudget(Math.max(init.props.kafka_request_memory_per_shard_bytes, init.props.kafka_request_max_bytes + limits.frameBufferInitialBytes));
    this.admission = new ConnectionAdmission(new SharedCounts(init.connectionCounts), init.props, systemClock);
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
      verifyTxnPartition: this.verifyTxnPartition,
    });
    this.replication = init.rpc === null ? null : new ShardReplication({
      nodeId: init.nodeId, shardId: init.shardId, shardCount: init.shardCount, disk: this.disk, dataDir: init.dataDir, props: init.props, log: this.log,
      logResources: this.local.logResources,
      groupTopic: GROUP_TOPIC,
      txnTopic: TXN_TOPIC,
      verifyTxnPartition: this.verifyTxnPartition,
      table: () => this.table,
      linkTo: (node) => this.linkTo(node),
      groupOwner: (group) => this.groupOwner(group),
      hop: (shard, request) => this.channels[shard]!.call("rpcDeliver", request),
      finishMove: (request) => this.callController("finishMove", request),
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
      // In a cluster the groups live in the replicated `__consumer_offsets`; without RPC in local group logs, as before.
      replicas: this.replication?.groupLog,
    });
    // Without RPC (one node, no cluster) the ops go straight to the local partitions, exactly as before.
    const partitionOps = this.replication === null ? { ...this.local.servers, epochEnds: noReplicas, transferLeader: noTransfer } : this.replication.opServers(() => this.table, this.local.servers);
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
      completeGroup: async (groupId, producerId, commit) => {
        const request = { groupId, producerId, commit };
        return (await this.invokeCoordinator(GROUP_TOPIC, groupPartitionOf(groupId), shardOfGroup(groupId, init.shardCount), "groupTxnComplete", request)).errorCode;
      },
      onFsyncMs: (ms) => this.stats.fsyncLatency.record(ms),
      // In a cluster the transaction log is the replicated `__transaction_state`; without RPC local logs, as before.
      replicas: this.replication?.txnLog,
    });
    const readWaiting = (request: OpRequest<"readWaiting">) => readWaitingOn(partitionOps, init.shardId, systemClock, request);
    this.opServers = { ...partitionOps, ...this.groups.servers, ...this.txns.servers, readWaiting };
    const channelServers: Servers<ShardOps> = { ...this.opServers, rpcDeliver: (request) => this.rpcHop(request), adoptConnection: (moved) => this.adoptConnection(moved) };
    this.channels = init.peers.map((port, peer) => (port ? new Channel<ShardOps, ShardOps>(port, channelServers, `shard ${peer}`) : null));
    this.main = new Channel<ControllerCalls & ControllerGroupCalls, ShardControlCalls>(init.main, this.controlServers(), "controller");
  }

  private controlServers(): Servers<ShardControlCalls> {
    return {
      start: this.inOrder(() => this.start()),
      metadata: this.inOrder(({ update }) => this.applyMetadata(update)),
      stats: this.inOrder(async () => this.snapshotStats()),
      partitions: this.inOrder(async () => this.partitionDetails()),
      release: this.inOrder((ref) => this.release(ref)),
      rpcPeers: async () => this.rpc?.endpoint.peers() ?? [],
      rpcNodes: async () => this.rpc?.endpoint.nodePeers() ?? [],
      replicas: async () => ({
        replicas: this.replication?.details() ?? [],
        leadershipChanges: this.replication?.leadershipChanges ?? 0,
        readCounts: this.replication?.partitions.readCounts ?? { followerReads: 0, followerReadBytes: 0, redirects: 0 },
      }),
      leaders: async () => (this.replication ? [...this.replication.leaders.entries()] : []),
      transferLeadership: async ({ group, to }) => (this.replication ? this.replication.transferLeadership(group, to) : "this node is not in a cluster"),
      connections: async () => this.listener?.connections() ?? [],
      cpuProfile: ({ waitMs, intervalUs }) => profileShard(waitMs, intervalUs),
      shutdown: this.inOrder(() => this.stop()),
      controllerPropose: (request) => this.controller().controllerPropose(request),
      controllerForward: (request) => this.controller().controllerForward(request),
      controllerAddLearner: (request) => this.controller().controllerAddLearner(request),
      controllerLeave: (request) => this.controller().controllerLeave(request),
    };
  }

  private controller() {
    if (this.controllerMember === null) throw new Error(`shard ${this.init.shardId} holds no controller member (shard 0 of a cluster node does)`);
    return this.controllerMember.servers();
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
    this.stopCollectionChecks = startCollectionChecks(systemTimers);
    const context = this.brokerContext();
    this.listener = listenKafka({
      listeners: this.init.kafkaListeners.map((l) => ({ name: l.name, host: l.address.host, port: l.address.port, advertised: l.advertised, authentication: l.authentication, tls: l.tls })),
      dispatch: createDispatcher(context, this.stats, this.log),
      principalRules: parsePrincipalRules(this.init.props.kafka_mtls_principal_mapping_rules),
      sasl: {
        mechanisms: listValue(this.init.props.sasl_mechanisms),
        reauthMs: this.init.props.kafka_sasl_max_reauth_ms,
        clock: systemClock,
        metadata: () => this.table,
      },
      requestBytesMax: this.init.props.kafka_request_max_bytes,
      budget: this.requestMemory,
      unsentBytesMax: this.init.props.kafka_connection_unsent_bytes_max,
      frameTimeoutMs: this.init.props.kafka_request_read_timeout_ms,
      admission: this.admission,
      handoff: this.init.shardCount > 1 ? {
        shardId: this.init.shardId,
        duplicateFd,
        closeFd,
        send: (shard, moved) => this.channels[shard]!.call("adoptConnection", moved),
      } : undefined,
      sendGathered: { send: sendGathered, piecesMax: GATHER_PIECES_MAX },
      stats: this.stats,
      log: this.log,
    });
    this.startRpc();
    await this.startCluster();
    this.log.info("serving", { core: this.init.core, runningOn: currentCore(), partitions: this.local.owned().length });
  }

  async applyMetadata(update: MetadataUpdate): Promise<void> {
    this.table.apply(update);
    if (update.changes.some((c) => c.kind === "upsert_node")) this.linkNodes();
    await this.local.sync(this.table);
    await this.replication?.sync(this.table);
    for (const change of update.changes) if (change.kind === "delete_topic") await this.groups.dropTopic(change.name);
  }

  partitionDetails(): PartitionDetails[] {
    return this.local.details().map((p) => ({ ...p, shard: this.init.shardId }));
  }

  /** Lets go of a partition moving to another shard: a replicated one (a cluster) or a local log. */
  release(ref: PartitionRef): Promise<void> {
    if (this.replication?.partitions.replica(ref)) return this.replication.partitions.release(ref);
    return this.local.release(ref);
  }

  async stop(): Promise<void> {
    this.stopCollectionChecks();
    this.listener?.stop(true);
    await this.controllerMember?.close();
    await this.replication?.stop();
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
      throttledRequests: s.throttledRequests,
      connectionsRefused: s.connectionsRefused,
      connectionsMovedAway: s.connectionsMovedAway,
      connectionsAdopted: s.connectionsAdopted,
      backend: this.disk.name,
      readAheadStarted: this.local.readAheadStats.started,
      readAheadUsed: this.local.readAheadStats.used,
      memory: {
        requests: this.requestMemory.usedBytes,
        recent_batch_cache: this.local.memory.recentBatchCache,
        read_ahead: this.local.memory.readAhead,
        write_behind: this.disk.writeBehindBytes ?? 0,
        js_heap: heapSize(), // live at the last collection, ArrayBuffer contents included
      },
      collections: { ...collections },
    };
  }

  private brokerContext(): ShardContext {
    const { init } = this;
    return {
      shardId: init.shardId,
      shardCount: init.shardCount,
      nodeId: init.nodeId,
      rack: init.rack,
      clusterId: init.clusterId,
      advertised: init.advertised,
      props: init.props,
      clock: systemClock,
      metadata: () => this.table,
      leaders: this.replication?.leaders,
      invoke: (shard, op, request) => this.invoke(shard, op, request),
      invokeLeader: this.replication === null ? undefined : (topic, partition, op, request) => this.invokeLeader(topic, partition, op, request),
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
      refuseNode: (id) => (this.table.wasRemoved(id) ? `node ${id} was decommissioned and has left the cluster` : null),
      routing: {
        shardId: init.shardId,
        shardCount: init.shardCount,
        groupOwner: (group) => this.groupOwner(group),
        hop: (shard, request) => this.channels[shard]!.call("rpcDeliver", request),
      },
      clock: systemClock,
      timers: systemTimers,
      random: Math.random,
      log: this.log,
    });
  }

  /**
   * In a cluster: the Raft network of this shard and, on shard 0, the controller member. Links to
   * nodes come from the metadata's node list; before it names them (founding), the controller's
   * messages go over the seed links, by the node id each seed told in its hello.
   */
  private async startCluster(): Promise<void> {
    const { init, rpc } = this;
    if (init.rpc === null || rpc === null) return;
    this.raftNetwork = this.replication!.network;
    rpc.endpoint.addServers({ ...this.replication!.rpcServers, opCall: (request) => this.serveOpCall(request) });
    this.rpcServing.resolve();
    this.linkNodes();
    await this.replication!.sync(this.table);
    this.replication!.start();
    if (init.shardId !== 0) return;
    const network = this.raftNetwork;
    this.controllerMember = await ControllerMember.start({
      nodeId: init.nodeId,
      founder: init.rpc.seeds.length === 0 || init.rpc.seeds.some((s) => sameAddress(s, init.rpc!.listen) || sameAddress(s, init.rpc!.advertised)),
      disk: this.disk,
      dataDir: init.dataDir,
      props: init.props,
      rpc,
      network: { transport: () => network.transport, register: (group, receiver) => void network.registerGroup(group, receiver) },
      main: this.main,
      onLeadership: (l) => this.replication!.leadership.report(CONTROLLER_GROUP, { leader: l.leader, term: l.term, inSync: l.leader === null ? [] : [l.leader] }),
      log: this.log,
    });
    this.replication!.attachControllerGroup(this.controllerMember.group);
  }

  /** This shard's link to a node: by its id once the metadata names it, else the seed link whose hello named it (founding). */
  private linkTo(node: number) {
    const rpc = this.rpc;
    if (rpc === null || this.init.rpc === null) return undefined;
    return rpc.endpoint.nodeLink(node) ?? this.init.rpc.seeds.map((s) => rpc.endpoint.link(`${s.host}:${s.port}`)).find((l) => l?.snapshot().nodeId === node);
  }

  /** The shard of this node that owns a Raft group: shard 0 the controller's, the local replica's shard a partition's. */
  private groupOwner(group: number): number | null {
    if (group === CONTROLLER_GROUP) return 0;
    const partition = this.table.partitionOfGroup(group);
    return partition === undefined ? null : (this.table.ownerOf(partition.topic, partition.partition) ?? null);
  }

  /** A link from this shard to every node the metadata names (and, until it names any, those a join told of). */
  private linkNodes(): void {
    const nodes = this.table.nodes();
    for (const node of nodes.length > 0 ? nodes : this.init.joinNodes) this.rpc?.linkNode(node.id, node.rpc);
  }

  private async rpcHop(request: RpcHopCalls["rpcDeliver"]["request"]) {
    if (this.init.rpc === null) throw new Error("RPC is not configured on this node");
    await this.rpcServing.promise;
    return this.rpc!.endpoint.hopServers.rpcDeliver(request);
  }

  /**
   * KIP-890 part 1: asks the coordinator of the transactional id whether the producer's ongoing
   * transaction holds the partition (in a cluster the leader of the id's `__transaction_state` partition).
   */
  private readonly verifyTxnPartition: VerifyTxnPartition = async (transactionalId, producerId, producerEpoch, ref) => {
    const request = { transactionalId, producerId, producerEpoch, partitions: [{ topic: ref.topic, partition: ref.partition }], verifyOnly: true };
    const owner = shardOfTransactionalId(transactionalId, this.init.shardCount);
    return (await this.invokeCoordinator(TXN_TOPIC, txnPartitionOf(transactionalId), owner, "txnAddPartitions", request)).errorCodes[0]!;
  };

  /**
   * Runs an op on a group's or transactional id's coordinator: in a cluster the leader of its
   * internal-topic partition (maybe on another node), on a node of one its shard here.
   */
  private invokeCoordinator<Op extends OpName>(topic: string, partition: number, localShard: number, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>> {
    return this.replication !== null ? this.invokeLeader(topic, partition, op, request) : this.invoke(localShard, op, request);
  }

  /** Runs an op on the shard of the node leading a replicated partition (see BrokerContext.invokeLeader). */
  private invokeLeader<Op extends OpName>(topic: string, partition: number, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>> {
    const target = this.replication === null ? null : leaderTarget(this.table, this.replication.leaders, topic, partition);
    if (target === null) return Promise.reject(new Error(`${topic}/${partition} has no known leader`));
    return this.invokeAt(target, op, request);
  }

  /** Runs an op on a shard of this node or of another one (RPC `opCall`, to the shard named in the header). */
  private async invokeAt<Op extends OpName>(target: { node: number; shard: number }, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>> {
    if (target.node === this.init.nodeId) return this.invoke(target.shard, op, request);
    const link = this.rpc?.endpoint.nodeLink(target.node);
    if (link === undefined) throw new Error(`no link to node ${target.node}`);
    const answer = await link.call("opCall", { name: op, request: JSON.stringify(request) }, { shard: target.shard });
    if (answer.refusal !== "") throw new Error(`node ${target.node} refused ${op}: ${answer.refusal}`);
    return JSON.parse(answer.response) as OpResponse<Op>;
  }

  /** Serves another node's `opCall`: only the transaction ops between coordinators and partition leaders. */
  private async serveOpCall(request: RpcCalls["opCall"]["request"]): Promise<RpcCalls["opCall"]["response"]> {
    const name = request.name as OpName;
    if (!REMOTE_OPS.has(name)) return { refusal: `op ${request.name} is not served to other nodes`, response: "" };
    const response = await (this.opServers[name] as (r: unknown) => Promise<unknown>)(JSON.parse(request.request));
    return { refusal: "", response: JSON.stringify(response) };
  }

  /**
   * Each marker on its partition's owner, one op per owner; a partition no shard owns: UNKNOWN_TOPIC_OR_PARTITION.
   * In a cluster a replicated partition's owner is the shard of its leader's replica, on whichever node leads it.
   */
  private async writeMarkers(markers: TxnMarker[]): Promise<number[]> {
    if (this.replication !== null) return this.writeReplicatedMarkers(markers);
    const owners = markers.map((m) => this.table.ownerOf(m.topic, m.partition));
    const known = markers.flatMap((marker, i) => (owners[i] === undefined ? [] : [{ marker, shard: owners[i] }]));
    const answers = await scatterByShard(known, (k) => k.shard, (shard, batch) => this.invoke(shard, "writeTxnMarkers", { items: batch.map((k) => k.marker) }));
    let next = 0;
    return owners.map((shard) => (shard === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : answers[next++].errorCode));
  }

  /** Markers to the leaders of replicated partitions (one call per leader's shard); no leader known: NOT_LEADER_OR_FOLLOWER, retried. */
  private async writeReplicatedMarkers(markers: TxnMarker[]): Promise<number[]> {
    const codes = markers.map(() => ErrorCode.NOT_LEADER_OR_FOLLOWER as number);
    const byTarget = new Map<string, { target: { node: number; shard: number }; indexes: number[] }>();
    markers.forEach((m, i) => {
      if (this.table.assignment(m.topic, m.partition) === undefined) return void (codes[i] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const target = leaderTarget(this.table, this.replication!.leaders, m.topic, m.partition);
      if (target === null) return;
      const k = `${target.node}/${target.shard}`;
      const entry = byTarget.get(k) ?? { target, indexes: [] };
      entry.indexes.push(i);
      byTarget.set(k, entry);
    });
    await Promise.all([...byTarget.values()].map(async ({ target, indexes }) => {
      try {
        const answers = await this.invokeAt(target, "writeTxnMarkers", { items: indexes.map((i) => markers[i]!) });
        indexes.forEach((i, k) => (codes[i] = answers[k]!.errorCode));
      } catch (error) {
        rethrowIfBroken(error);
        this.log.warn("transaction markers not delivered", { node: target.node, error: String(error) }); // left NOT_LEADER_OR_FOLLOWER: retried
      }
    }));
    return codes;
  }

  private invoke<Op extends OpName>(shard: number, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>> {
    if (shard === this.init.shardId) return this.opServers[op](request);
    const channel = this.channels[shard];
    if (!channel) throw new Error(`no channel to shard ${shard}`);
    return channel.call(op, request);
  }

  /** A connection another shard moved here; before this shard listens it cannot be served, and is closed. */
  private async adoptConnection(moved: MovedConnection): Promise<boolean> {
    if (this.listener !== null) return this.listener.adopt(moved);
    return refuseMoved(moved, this.admission.adopted(moved.remoteAddress), { closeFd });
  }

  private callController<N extends ControllerCallName>(name: N, request: ControllerCalls[N]["request"]): Promise<ControllerCalls[N]["response"]> {
    return this.main.call(name, request);
  }
}

/** The ops another node may run on this one (`opCall`): the transaction paths between coordinators and partition leaders, and ElectLeaders' transfers. */
const REMOTE_OPS = new Set<OpName>(["writeTxnMarkers", "txnAddPartitions", "txnAddOffsets", "groupTxnComplete", "transferLeader"]);

/** A node without RPC has no replicated partitions: ElectLeaders never asks this (it answers ELECTION_NOT_NEEDED there). */
const noTransfer: Servers<ReplicaOps>["transferLeader"] = async () => ({ errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: "this node is not in a cluster" });

/** A node without RPC has no replicated partitions: OffsetForLeaderEpoch never asks this (its topics have no assignments). */
const noReplicas: Servers<ReplicaOps>["epochEnds"] = async (request) =>
  request.items.map(() => ({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1 }));

/**
 * Everything replication runs on one shard of a cluster node, built by the shard when it has
 * RPC: the Raft network (transport of every group here, the controller's included), the
 * replicated partitions, what the shard knows of every group's leader (LeaderTable) and the
 * reports that keep it current. The shard wires it in: its partition ops go through
 * `routePartitionOps`, its RPC endpoint serves `rpcServers`, and every metadata update `sync`s it.
 */
import type { Servers } from "../base/calls.ts";
import { systemClock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import { systemTimers } from "../base/timers.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import type { Disk } from "../io/disk.ts";
import type { SharedLogResources } from "../storage/partition-log.ts";
import type { PartitionOps, ReplicaOps } from "../kafka/ops.ts";
import type { VerifyTxnPartition } from "../kafka/txn-verification.ts";
import type { RpcHopCalls } from "../rpc/endpoint.ts";
import type { Reply } from "../rpc/inbound.ts";
import type { RpcCalls } from "../rpc/messages/index.ts";
import type { PeerLink } from "../rpc/outbound.ts";
import { RecoveryThrottle } from "../raft/recovery-throttle.ts";
import { InternalTopicLog } from "./internal-topic-log.ts";
import { LeaderTable } from "./leaders.ts";
import { MoveDriver, type FinishMoveRequest } from "./move-driver.ts";
import { LeaderDriver, type ControllerGroupHandle } from "./leader-driver.ts";
import { Leadership } from "./leadership.ts";
import { routePartitionOps } from "./partition-router.ts";
import { SharedHeartbeatTicker } from "../raft/heartbeat-ticker.ts";
import { RaftNetwork } from "./raft-network.ts";
import { ReplicatedPartitions } from "./replicated-partitions.ts";
import type { ReplicaDetails } from "./replicated-partition.ts";

export interface ShardReplicationOptions {
  nodeId: number;
  shardId: number;
  shardCount: number;
  disk: Disk;
  /** The shard's recent-batch cache, read-ahead budget and file LRU, shared with its local partitions. */
  logResources?: SharedLogResources;
  dataDir: string;
  props: ClusterProperties;
  log: Logger;
  table: () => MetadataTable;
  linkTo(node: number): PeerLink | undefined;
  groupOwner(group: number): number | null;
  hop(shard: number, request: RpcHopCalls["rpcDeliver"]["request"]): Promise<Reply>;
  /** The internal topic whose replicas here the groups use as their log (`__consumer_offsets`). */
  groupTopic: string;
  /** Asks the controller to finish a replica move this shard's leader completed. */
  finishMove(request: FinishMoveRequest): Promise<{ finished: boolean }>;
  /** The internal topic whose replicas here the transaction coordinator uses as its log (`__transaction_state`). */
  txnTopic: string;
  /** KIP-890 part 1 on the replicated partitions: asks the transaction coordinator. */
  verifyTxnPartition?: VerifyTxnPartition;
  /**
   * How leaders beat: "light" (the default: one shared ticker per shard, light heartbeats to
   * caught-up followers, batched per node), "batched" (a timer and full heartbeats per group,
   * batched) or "unbatched" (every group message alone): the last two are bench/cluster-idle.ts's baselines.
   */
  heartbeats?: HeartbeatMode;
}

export type HeartbeatMode = "light" | "batched" | "unbatched";

/** How often each shard looks at maintenance and leader balancing (balancing itself runs every leader_balancer_idle_timeout). */
const LEADER_DRIVER_TICK_MS = 200;

export class ShardReplication {
  readonly leaders = new LeaderTable();
  readonly network: RaftNetwork;
  readonly partitions: ReplicatedPartitions;
  readonly leadership: Leadership;
  /** Leader changes this shard's replicas have seen (a metric). */
  leadershipChanges = 0;
  private readonly heartbeatTicker: SharedHeartbeatTicker | undefined;
  private readonly lastLeader = new Map<number, number | null>();
  /** This shard's replicas of the group topic, for the group coordinator. */
  readonly groupLog: InternalTopicLog;
  private readonly moves: MoveDriver;
  private readonly leaderDriver: LeaderDriver;
  /** This shard's replicas of the transaction topic, for the transaction coordinator. */
  readonly txnLog: InternalTopicLog;

  constructor(o: ShardReplicationOptions) {
    const timings = { electionTimeoutMs: o.props.election_timeout_ms, heartbeatIntervalMs: o.props.raft_heartbeat_interval_ms };
    const mode = o.heartbeats ?? "light";
    this.network = new RaftNetwork({ nodeId: o.nodeId, shardId: o.shardId, timers: systemTimers, log: o.log, linkTo: o.linkTo, groupOwner: o.groupOwner, hop: o.hop, batchHeartbeats: mode !== "unbatched" });
    this.heartbeatTicker = mode === "light" ? new SharedHeartbeatTicker(systemClock, systemTimers, timings.heartbeatIntervalMs) : undefined;
    this.leadership = new Leadership({
      nodeId: o.nodeId, shardId: o.shardId, shardCount: o.shardCount, table: o.table, leaders: this.leaders, clock: systemClock, timers: systemTimers,
      log: o.log, electionTimeoutMs: timings.electionTimeoutMs, linkTo: o.linkTo, hop: o.hop, hosted: () => this.partitions.all(),
    });
    this.partitions = new ReplicatedPartitions({
      nodeId: o.nodeId, shardId: o.shardId, disk: o.disk, logResources: o.logResources, dataDir: o.dataDir, props: o.props, clock: systemClock, timers: systemTimers,
      random: Math.random, log: o.log, network: this.network, timings, heartbeatTicker: this.heartbeatTicker, verifyTxnPartition: o.verifyTxnPartition,
      // The node's rate, shared evenly by its shards.
      recoveryThrottle: new RecoveryThrottle(o.props.raft_learner_recovery_rate / o.shardCount),
      rackOf: (node) => o.table().node(node)?.rack ?? null,
      inSyncOf: (group) => this.leaders.get(group)?.inSync ?? [],
      mayLead: () => !o.table().inMaintenance(o.nodeId),
      onState: (group, state) => {
        if (state.leaderId !== null && this.lastLeader.get(group) !== state.leaderId) this.leadershipChanges++;
        this.lastLeader.set(group, state.leaderId);
        const replica = this.partitions.byGroup(group);
        if (replica) this.leadership.onLocalState(group, replica.group, state);
      },
      onReadiness: (ref, ready) => {
        this.groupLog.readiness(ref, ready);
        this.txnLog.readiness(ref, ready);
      },
    });
    this.groupLog = new InternalTopicLog(o.groupTopic, this.partitions, () => systemClock.nowMs());
    this.moves = new MoveDriver({ moving: () => this.partitions.moving(), finish: o.finishMove, timers: systemTimers, log: o.log, tickMs: timings.heartbeatIntervalMs });
    this.txnLog = new InternalTopicLog(o.txnTopic, this.partitions, () => systemClock.nowMs());
    this.leaderDriver = new LeaderDriver({
      nodeId: o.nodeId, table: o.table, leaders: this.leaders, hosted: (group) => this.partitions.byGroup(group),
      reachable: (node) => o.linkTo(node)?.snapshot().state === "connected",
      balance: { enabled: o.props.enable_leader_balancer, idleMs: o.props.leader_balancer_idle_timeout, muteMs: o.props.leader_balancer_mute_timeout },
      electionTimeoutMs: timings.electionTimeoutMs, tickMs: LEADER_DRIVER_TICK_MS, clock: systemClock, timers: systemTimers, log: o.log,
    });
  }

  /** What the shard's RPC endpoint serves for replication. */
  get rpcServers(): Pick<Servers<RpcCalls>, "raft" | "raftBatch" | "leadership"> {
    return { ...this.network.servers, ...this.leadership.servers };
  }

  /** The shard's partition ops: replicated partitions here, the rest to `local`. */
  opServers(table: () => MetadataTable, local: Servers<PartitionOps>): Servers<PartitionOps & ReplicaOps> {
    return routePartitionOps(table, local, this.partitions.servers);
  }

  /** Every replica this shard holds, as the admin API shows it. */
  details(): ReplicaDetails[] {
    return [...this.partitions.all()].map((r) => r.details());
  }

  /** Starts a leadership transfer of a group led here; why not, when it cannot. */
  async transferLeadership(group: number, to: number): Promise<string | null> {
    const replica = this.partitions.byGroup(group);
    if (!replica) return `no replica of group ${group} on this shard`;
    const result = await replica.transferLeadership(to);
    return result.ok ? null : result.error;
  }

  /** On shard 0: this node's member of the controller group, whose leadership maintenance mode moves too. */
  attachControllerGroup(group: ControllerGroupHandle): void {
    this.leaderDriver.attachController(group);
  }

  sync(table: MetadataTable): Promise<void> {
    return this.partitions.sync(table);
  }

  start(): void {
    this.leadership.start();
    this.partitions.startHousekeeping();
    this.moves.start();
    this.leaderDriver.start();
  }

  async stop(): Promise<void> {
    this.leadership.stop();
    this.moves.stop();
    this.leaderDriver.stop();
    await this.partitions.closeAll();
    this.heartbeatTicker?.stop();
  }
}

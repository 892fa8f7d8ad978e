/**
 * Cluster nodes in one process for the replication tests: each node is `shards` RPC endpoints
 * on one loopback port (real TCP, as rpc.test.ts) with a ShardReplication per shard over real
 * files in its own data dir; a hop between shards of a node is a direct call (the shard
 * channel in the broker). Nodes can be stopped and started again on the same port and dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../base/clock.ts";
import { logger } from "../base/log.ts";
import { systemTimers } from "../base/timers.ts";
import { MetadataTable, type MetadataChange, type NodeRecord, type TopicRecord } from "../cluster/metadata.ts";
import { planFinish } from "../cluster/replica-moves.ts";
import type { FinishMoveRequest } from "./move-driver.ts";
import { defaultProperties, type ClusterProperties } from "../cluster/properties.ts";
import type { Disk } from "../io/disk.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { startShardRpc, pingServer, type ShardRpc } from "../rpc/node.ts";
import type { ReplicatedPartition } from "./replicated-partition.ts";
import { ShardReplication, type HeartbeatMode } from "./shard-replication.ts";

const log = logger("replication-test");

export interface TestNode {
  id: number;
  port: number;
  dataDir: string;
  shards: Array<{ rpc: ShardRpc; replication: ShardReplication; table: MetadataTable }>;
  running: boolean;
  disk?: Disk;
}

export class TestCluster {
  readonly nodes: TestNode[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), "skua-repl-"));
  readonly props: ClusterProperties;
  private topics: TopicRecord[] = [];
  /** What the tests' stand-in for the controller has recorded. */
  private readonly record = new MetadataTable();
  /** Replica moves finished (the leader asked and the assignment matched). */
  finishedMoves = 0;
  /** Each node's rack in the node records (set before start). */
  rackOf: (node: number) => string | null = () => null;

  constructor(
    readonly nodeCount: number,
    readonly shardCount = 1,
    settings: Partial<ClusterProperties> = {},
    /** Each node's disk (a benchmark of idle traffic may use SimDisk: 10,000 logs per node are past the fd limit). */
    private readonly diskOf: (node: number) => Disk = () => new PosixDisk(),
    private readonly heartbeats: HeartbeatMode = "light",
  ) {
    // Leaders stay where the tests put them unless a test turns the balancer on.
    this.props = { ...defaultProperties(), election_timeout_ms: 300, raft_heartbeat_interval_ms: 50, enable_leader_balancer: false, ...settings };
  }

  /** Starts every node (ports chosen by the first start), then links them and opens the topics' groups. */
  async start(topics: TopicRecord[]): Promise<void> {
    this.topics = topics;
    this.record.apply({ version: 1, changes: topics.map((topic) => ({ kind: "upsert_topic" as const, topic })) });
    for (let i = 0; i < this.nodeCount; i++) {
      this.nodes.push({ id: i + 1, port: 0, dataDir: join(this.root, `node-${i + 1}`), shards: [], running: false });
    }
    for (const node of this.nodes) this.startRpc(node);
    for (const node of this.nodes) await this.startReplication(node);
  }

  private nodeRecords(): NodeRecord[] {
    return this.nodes.map((n) => ({ id: n.id, rpc: { host: "127.0.0.1", port: n.port }, kafka: { host: "127.0.0.1", port: 9092 }, shardCount: this.shardCount, rack: this.rackOf(n.id) }));
  }

  private startRpc(node: TestNode): void {
    node.shards = [];
    let port = node.port;
    const disk = (node.disk ??= this.diskOf(node.id));
    for (let shardId = 0; shardId < this.shardCount; shardId++) {
      const identity = { nodeId: node.id, clusterId: "test-cluster", shardId, shardCount: this.shardCount, softwareVersion: "test" };
      const shards = node.shards;
      const table = new MetadataTable(node.id);
      let replication: ShardReplication | null = null;
      const rpc = startShardRpc({
        identity,
        settings: { listen: { host: "127.0.0.1", port }, advertised: { host: "127.0.0.1", port }, seeds: [] },
        routing: {
          shardId, shardCount: this.shardCount,
          groupOwner: (group) => {
            const p = table.partitionOfGroup(group);
            return p === undefined ? null : (table.ownerOf(p.topic, p.partition) ?? null);
          },
          hop: (owner, request) => shards[owner]!.rpc.endpoint.hopServers.rpcDeliver({ method: request.method, body: request.body.slice() }),
        },
        clock: systemClock, timers: systemTimers, random: Math.random, log,
        backoff: { baseMs: 20, maxMs: 200 }, pingIntervalMs: 100,
        servers: pingServer(identity),
      });
      port = rpc.listener.port;
      replication = new ShardReplication({
        nodeId: node.id, shardId, shardCount: this.shardCount, disk, dataDir: node.dataDir, props: this.props, log,
        groupTopic: "__consumer_offsets", txnTopic: "__transaction_state",
        table: () => table,
        linkTo: (n) => rpc.endpoint.nodeLink(n),
        groupOwner: (group) => {
          const p = table.partitionOfGroup(group);
          return p === undefined ? null : (table.ownerOf(p.topic, p.partition) ?? null);
        },
        hop: (owner, request) => shards[owner]!.rpc.endpoint.hopServers.rpcDeliver({ method: request.method, body: request.body.slice() }),
        heartbeats: this.heartbeats,
        finishMove: (request) => this.finishMove(request),
      });
      rpc.endpoint.addServers(replication.rpcServers);
      shards.push({ rpc, replication, table });
    }
    node.port = port;
  }

  private async startReplication(node: TestNode): Promise<void> {
    const snapshot = { version: 1, shardCount: this.shardCount, topics: this.topics, nodes: this.nodeRecords() };
    for (const shard of node.shards) {
      shard.table.apply({ version: 1, changes: [...snapshot.nodes.map((n) => ({ kind: "upsert_node" as const, node: n })), ...snapshot.topics.map((t) => ({ kind: "upsert_topic" as const, topic: t }))] });
      for (const n of snapshot.nodes) shard.rpc.linkNode(n.id, n.rpc);
      await shard.replication.sync(shard.table);
      shard.replication.start();
    }
    node.running = true;
  }

  /** Stops a node as a crash would look to the others: its RPC goes away, its groups close. */
  async stopNode(id: number): Promise<void> {
    const node = this.node(id);
    node.running = false;
    for (const shard of node.shards) shard.rpc.stop();
    for (const shard of node.shards) await shard.replication.stop();
  }

  async restartNode(id: number): Promise<void> {
    const node = this.node(id);
    this.startRpc(node);
    await this.startReplication(node);
  }

  node(id: number): TestNode {
    return this.nodes.find((n) => n.id === id)!;
  }

  /** As the controller would: records a change, applies it to every shard's table (in order) and re-syncs the running ones. */
  async applyChange(change: MetadataChange): Promise<void> {
    this.record.apply({ version: this.record.version + 1, changes: [change] });
    this.topics = [...this.record.topics()];
    for (const node of this.nodes) {
      for (const shard of node.shards) {
        shard.table.apply({ version: shard.table.version + 1, changes: [change] });
        if (node.running) await shard.replication.sync(shard.table);
      }
    }
  }

  private async finishMove(request: FinishMoveRequest): Promise<{ finished: boolean }> {
    const assignment = planFinish(this.record.assignment(request.topic, request.partition), request.group, request.target);
    if (!assignment) return { finished: false };
    await this.applyChange({ kind: "set_assignment", topic: request.topic, partition: request.partition, assignment });
    this.finishedMoves++;
    return { finished: true };
  }

  /** The replica of a partition on a node (on whichever of its shards holds it). */
  replica(node: number, topic: string, partition: number) {
    for (const shard of this.node(node).shards) {
      const replica = shard.replication.partitions.replica({ topic, partition });
      if (replica) return { replica, shard };
    }
    return undefined;
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) if (node.running) await this.stopNode(node.id);
    rmSync(this.root, { recursive: true, force: true });
  }
}

export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10); // polling a state that has no event of its own
  }
}

/** The running nodes' replicas of topic "t" partition 0 (the replication tests' one partition). */
export function replicas(c: TestCluster, nodes = [1, 2, 3]): Array<{ node: number; replica: ReplicatedPartition }> {
  return nodes.filter((n) => c.node(n).running).map((node) => ({ node, replica: c.replica(node, "t", 0)!.replica }));
}

/** The node whose replica of "t"/0 leads and takes produce (it committed an entry of its term). */
export async function leaderOf(c: TestCluster, nodes = [1, 2, 3]): Promise<{ node: number; replica: ReplicatedPartition }> {
  let found: { node: number; replica: ReplicatedPartition } | undefined;
  await until("a leader that takes produce", () => {
    found = replicas(c, nodes).find((r) => r.replica.isLeader && r.replica.group.termAt(r.replica.group.inspect().commitIndex) === r.replica.leaderState.term);
    return found !== undefined;
  });
  return found!;
}

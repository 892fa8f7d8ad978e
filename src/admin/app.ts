/** The admin HTTP API (Hono), served from the main thread. */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ConnectionSummary } from "../shard/control.ts";
import type { MoveOutcome } from "../cluster/controller.ts";
import type { NodeRecord, Replica } from "../cluster/metadata.ts";
import type { ReplicaMoveOutcome } from "../cluster/replica-moves.ts";
import type { DecommissionOutcome } from "../cluster/decommission.ts";
import type { MaintenanceOutcome } from "../cluster/maintenance.ts";
import type { PartitionMove } from "../cluster/balance.ts";
import type { PartitionDetails } from "../shard/control.ts";
import type { ShardStatsSnapshot } from "../shard/stats.ts";
import { CPU_PROFILE_INTERVAL_US_MIN, CPU_PROFILE_WAIT_MS_MAX, type CpuProfileSummary } from "../shard/cpu-profile.ts";
import type { PeerSummary } from "../rpc/peers.ts";
import type { UserChange, UserOutcome } from "../cluster/users.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { rethrowIfBroken } from "../base/assert.ts";
import { requireAdminAuth, type AdminAuth } from "./auth.ts";
import { renderMetrics } from "./prometheus.ts";
import { userRoutes } from "./users.ts";

export interface AdminBackend {
  isReady(): boolean;
  shardStats(): Promise<ShardStatsSnapshot[]>;
  partitions(): Promise<PartitionDetails[]>;
  /** Details of one partition, or null when it does not exist. */
  partition(topic: string, partition: number): Promise<PartitionDetails | null>;
  movePartition(topic: string, partition: number, shard: number): Promise<MoveOutcome>;
  rebalanceCores(): Promise<PartitionMove[]>;
  /** SASL users, by name. */
  userNames(): string[];
  alterUsers(changes: UserChange[]): Promise<UserOutcome[]>;
  /** Every shard's open Kafka connections, indexed by shard. */
  connections(): Promise<ConnectionSummary[][]>;
  /** Every shard's CPU profile over the same window, indexed by shard. */
  cpuProfiles(waitMs: number, intervalUs: number): Promise<CpuProfileSummary[]>;
  /** This node, and the peers it knows (its seeds) as its shards' RPC links see them. */
  brokers(): Promise<{ self: NodeSummary; peers: PeerSummary[]; nodes?: NodeRecord[]; drainingNodes?: number[]; maintenance?: Map<number, object> }>;
  clusterHealth(): Promise<ClusterHealth>;
  /** In a cluster: one replicated partition as Redpanda shows it (null: not a replicated partition). */
  replicatedPartition(topic: string, partition: number): Promise<object | null>;
  /** In a cluster: starts moving a partition's replicas (Redpanda's POST .../replicas); refused on a node of one. */
  moveReplicas(topic: string, partition: number, replicas: Replica[]): Promise<ReplicaMoveOutcome>;
  /** In a cluster: the moves in progress (Redpanda's GET /v1/partitions/reconfigurations). */
  reconfigurations(): Promise<object[]>;
  /** In a cluster: decommission a node (`active` false) or recommission it. */
  decommission(node: number, active: boolean): Promise<DecommissionOutcome>;
  /** A node's decommission progress (null: no such node). */
  decommissionProgress(node: number): Promise<object | null>;
  /** In a cluster: put a node in maintenance mode (`enabled`) or take it out. */
  maintenance(node: number, enabled: boolean): Promise<MaintenanceOutcome>;
  /** A node's maintenance status, Redpanda's `maintenance_status` (null: no such node). */
  maintenanceStatus(node: number): Promise<object | null>;
  /** In a cluster: starts a leadership transfer of a Raft group led on this node; why not, or null. */
  transferLeadership(group: number, target: number): Promise<string | null>;
  /** In a cluster: the replication families for /metrics (empty on a node of one). */
  clusterMetrics(): Promise<string>;
}

/** Redpanda's health overview, as this node sees the cluster. */
export interface ClusterHealth {
  controllerId: number | null;
  nodes: number[];
  nodesDown: number[];
  leaderlessPartitions: Array<{ topic: string; partition: number }>;
  underReplicatedPartitions: Array<{ topic: string; partition: number }>;
}

export interface NodeSummary {
  nodeId: number;
  shardCount: number;
  version: string;
  /** Where peers reach this node's RPC; null: no RPC listener. */
  rpcAddress: { host: string; port: number } | null;
}

/** Largest admin request body: every body the API takes is a few bytes of JSON. */
export const ADMIN_BODY_BYTES_MAX = 64 * 1024;

/** Today's behaviour: no login asked for. */
export const NO_ADMIN_AUTH: AdminAuth = { required: false, superusers: [], passwordMatches: () => false };

export function createAdminApp(backend: AdminBackend, auth: AdminAuth = NO_ADMIN_AUTH): Hono {
  const app = new Hono();
  // First: who may ask is settled before anything about the request is looked at.
  app.use(requireAdminAuth(auth));
  app.use(requireJsonOnChanges);
  // By Content-Length before anything is read, else while the body streams in: never parsed whole.
  app.use(bodyLimit({ maxSize: ADMIN_BODY_BYTES_MAX, onError: (c) => c.json({ message: `body over ${ADMIN_BODY_BYTES_MAX} bytes`, code: 413 }, 413) }));

  app.get("/v1/status/ready", (c) => (backend.isReady() ? c.json({ status: "ready" }) : c.json({ status: "booting" }, 503)));

  app.get("/v1/shards", async (c) => c.json((await backend.shardStats()).map(describeShard)));

  app.get("/v1/partitions", async (c) => c.json((await backend.partitions()).map(describePartition)));

  app.get("/v1/partitions/kafka/:topic/:partition", async (c) => {
    const partition = partitionNumber(c.req.param("partition"));
    if (partition !== null) {
      const replicated = await backend.replicatedPartition(c.req.param("topic"), partition);
      if (replicated) return c.json(replicated);
    }
    const details = partition !== null ? await backend.partition(c.req.param("topic"), partition) : null;
    return details ? c.json(describePartition(details)) : c.json({ message: "no such partition", code: 404 }, 404);
  });

  app.post("/v1/partitions/kafka/:topic/:partition/shard", async (c) => {
    const partition = partitionNumber(c.req.param("partition"));
    if (partition === null) return c.json({ message: "partition must be a decimal integer", code: 400 }, 400);
    const body = await c.req.json().catch(() => null);
    const target = body?.shard ?? body?.target;
    if (!Number.isSafeInteger(target)) return c.json({ message: 'body must be {"shard": N}', code: 400 }, 400);
    const outcome = await backend.movePartition(c.req.param("topic"), partition, target);
    if (!outcome.ok) return c.json({ message: outcome.error, code: 400 }, 400);
    return c.json({ moved: outcome.move !== null, ...outcome.move });
  });

  app.post("/v1/partitions/kafka/:topic/:partition/replicas", async (c) => {
    const partition = partitionNumber(c.req.param("partition"));
    if (partition === null) return c.json({ message: "partition must be a decimal integer", code: 400 }, 400);
    const replicas = replicaList(await c.req.json().catch(() => null));
    if (replicas === null) return c.json({ message: 'body must be [{"node_id": N, "core": C}, ...]', code: 400 }, 400);
    const outcome = await backend.moveReplicas(c.req.param("topic"), partition, replicas);
    if (outcome.errorCode === 0) return c.json({});
    const status = outcome.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 404 : outcome.errorCode === ErrorCode.NOT_CONTROLLER ? 503 : 400;
    return c.json({ message: outcome.errorMessage, code: status }, status);
  });

  app.get("/v1/partitions/reconfigurations", async (c) => c.json(await backend.reconfigurations()));

  app.get("/v1/brokers", async (c) => {
    const { self, peers, nodes = [], drainingNodes = [], maintenance = new Map<number, object>() } = await backend.brokers();
    // In a cluster the controller's node list adds each node's Kafka address, rack and membership.
    const known = (id: number | null) => {
      const node = nodes.find((n) => n.id === id);
      const membership_status = drainingNodes.includes(node?.id ?? -1) ? "draining" : "active";
      return node ? { kafka_address: node.kafka.host, kafka_port: node.kafka.port, rack: node.rack, membership_status, maintenance_status: maintenance.get(node.id) } : {};
    };
    return c.json([{ ...describeSelf(self), ...known(self.nodeId) }, ...peers.map((p) => ({ ...describePeer(p), ...known(p.nodeId) }))]);
  });

  /** A change to a node (decommission, maintenance): 200 `{}`, 400 with the refusal, 503 when the controller cannot be reached. */
  const nodeChange = (change: (node: number) => Promise<{ ok: true } | { ok: false; error: string }>) => async (c: Context) => {
    const node = partitionNumber(c.req.param("id") ?? "");
    if (node === null) return c.json({ message: "node id must be a decimal integer", code: 400 }, 400);
    try {
      const outcome = await change(node);
      return outcome.ok ? c.json({}) : c.json({ message: outcome.error, code: 400 }, 400);
    } catch (error) {
      rethrowIfBroken(error);
      return c.json({ message: error instanceof Error ? error.message : String(error), code: 503 }, 503);
    }
  };
  const membership = (active: boolean) => nodeChange((node) => backend.decommission(node, active));
  app.put("/v1/brokers/:id/maintenance", nodeChange((node) => backend.maintenance(node, true)));
  app.delete("/v1/brokers/:id/maintenance", nodeChange((node) => backend.maintenance(node, false)));
  app.get("/v1/brokers/:id/maintenance", async (c) => {
    const node = partitionNumber(c.req.param("id"));
    const status = node === null ? null : await backend.maintenanceStatus(node);
    return status ? c.json(status) : c.json({ message: "no such node", code: 404 }, 404);
  });
  app.put("/v1/brokers/:id/decommission", membership(false));
  app.put("/v1/brokers/:id/recommission", membership(true));
  app.get("/v1/brokers/:id/decommission", async (c) => {
    const node = partitionNumber(c.req.param("id"));
    const progress = node === null ? null : await backend.decommissionProgress(node);
    return progress ? c.json(progress) : c.json({ message: "no such node", code: 404 }, 404);
  });

  app.get("/v1/cluster/health_overview", async (c) => {
    const h = await backend.clusterHealth();
    const name = (p: { topic: string; partition: number }) => ({ ns: "kafka", topic: p.topic, partition_id: p.partition });
    return c.json({
      is_healthy: h.nodesDown.length === 0 && h.leaderlessPartitions.length === 0 && h.underReplicatedPartitions.length === 0 && h.controllerId !== null,
      controller_id: h.controllerId ?? -1,
      all_nodes: h.nodes,
      nodes_down: h.nodesDown,
      leaderless_partitions: h.leaderlessPartitions.map(name),
      leaderless_count: h.leaderlessPartitions.length,
      under_replicated_partitions: h.underReplicatedPartitions.map(name),
      under_replicated_count: h.underReplicatedPartitions.length,
    });
  });
  app.get("/v1/kafka/connections", async (c) => c.json((await backend.connections()).flatMap((list, shard) => list.map((conn) => describeConnection(shard, conn)))));

  // Redpanda's name and `wait_ms`; `sample_us` is the sampling interval. Blocks for wait_ms.
  app.get("/v1/debug/cpu_profile", async (c) => {
    const waitMs = boundedInteger(c.req.query("wait_ms") ?? "5000", 1, CPU_PROFILE_WAIT_MS_MAX);
    const intervalUs = boundedInteger(c.req.query("sample_us") ?? "1000", CPU_PROFILE_INTERVAL_US_MIN, 1_000_000);
    if (waitMs === null || intervalUs === null) {
      return c.json({ message: `wait_ms must be 1…${CPU_PROFILE_WAIT_MS_MAX} and sample_us ${CPU_PROFILE_INTERVAL_US_MIN}…1000000 (integers)`, code: 400 }, 400);
    }
    const profiles = await backend.cpuProfiles(waitMs, intervalUs);
    return c.json(profiles.map((profile, shard) => ({ shard, ...profile })));
  });

  app.post("/v1/raft/:group/transfer_leadership", async (c) => {
    const group = partitionNumber(c.req.param("group"));
    const target = partitionNumber(c.req.query("target") ?? "");
    if (group === null || target === null) return c.json({ message: "group and ?target= must be decimal integers", code: 400 }, 400);
    const refusal = await backend.transferLeadership(group, target);
    return refusal === null ? c.json({ transferring: true, group, target }) : c.json({ message: refusal, code: 400 }, 400);
  });

  app.post("/v1/partitions/rebalance_cores", async (c) => c.json({ moves: await backend.rebalanceCores() }));

  userRoutes(app, backend);

  app.get("/metrics", async (c) => {
    const text = renderMetrics(await backend.shardStats()) + (await backend.clusterMetrics());
    return c.text(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  return app;
}

const CHANGE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * A change must say its body is JSON, even when it has none: a web page can send a form or
 * text/plain cross-site without asking, but application/json needs a CORS preflight, which
 * this API never grants.
 */
const requireJsonOnChanges: MiddlewareHandler = async (c, next) => {
  if (CHANGE_METHODS.has(c.req.method) && !JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    return c.json({ message: "changes must be sent with content-type application/json", code: 415 }, 415);
  }
  await next();
};

const PARTITION_MAX = 2 ** 31 - 1;
/** More replicas than any partition can have (a node holds at most one). */
const REPLICAS_MAX = 1024;

/** A replica list as Redpanda's admin API takes it: `[{"node_id": N, "core": C}, ...]`; null if malformed. */
function replicaList(body: unknown): Replica[] | null {
  if (!Array.isArray(body) || body.length === 0 || body.length > REPLICAS_MAX) return null;
  const replicas: Replica[] = [];
  for (const item of body) {
    const node = (item as { node_id?: unknown } | null)?.node_id;
    const core = (item as { core?: unknown } | null)?.core;
    if (!Number.isSafeInteger(node) || !Number.isSafeInteger(core)) return null;
    replicas.push({ node: node as number, shard: core as number });
  }
  return replicas;
}

/** A partition number as written in a path: plain decimal digits only (not 0x1, 1.0, 1e0, +1 or 01). */
function boundedInteger(text: string, min: number, max: number): number | null {
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

export function partitionNumber(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) return null;
  const value = Number(text);
  return value <= PARTITION_MAX ? value : null;
}

function describeShard(s: ShardStatsSnapshot) {
  return {
    shard_id: s.shardId,
    core_requested: s.coreRequested,
    core_actual: s.coreActual,
    pinned: s.pinned,
    backend: s.backend,
    partitions: s.partitions,
    partition_count: s.partitions.length,
    size_bytes: s.sizeBytes,
    requests: s.requests,
    connections: s.connections,
    bytes_in: s.bytesIn,
    bytes_out: s.bytesOut,
    cross_shard_sent: s.crossShardSent,
    cross_shard_received: s.crossShardReceived,
    cross_shard_queue_depth: s.crossShardQueueDepth,
  };
}

function describePartition(p: PartitionDetails) {
  return {
    ns: "kafka",
    topic: p.topic,
    partition_id: p.partition,
    shard: p.shard,
    high_watermark: p.highWatermark,
    log_start_offset: p.logStartOffset,
    size_bytes: p.sizeBytes,
  };
}

/** Redpanda's broker fields, plus skua's per-shard RPC links for peers. */
function describeSelf(self: NodeSummary) {
  return {
    node_id: self.nodeId, num_cores: self.shardCount, version: self.version, is_alive: true, membership_status: "active",
    internal_rpc_address: self.rpcAddress?.host ?? null, internal_rpc_port: self.rpcAddress?.port ?? null,
  };
}

function describePeer(peer: PeerSummary) {
  const colon = peer.address.lastIndexOf(":");
  return {
    node_id: peer.nodeId, num_cores: peer.shardCount, is_alive: peer.alive, cluster_id_refused: peer.refused,
    internal_rpc_address: peer.address.slice(0, colon), internal_rpc_port: Number(peer.address.slice(colon + 1)),
    rpc_links: peer.links.map((l) => ({
      shard: l.shard, state: l.state, connects: l.connects, disconnects: l.disconnects, consecutive_failures: l.consecutiveFailures,
      last_error: l.lastError, pings_ok: l.pingsOk, last_ping_rtt_ms: l.lastPingRttMs, inflight: l.inflight,
    })),
  };
}

function describeConnection(shard: number, c: ConnectionSummary) {
  return { shard_id: shard, listener_name: c.listener, source: c.remote, tls_enabled: c.tls, authentication_method: c.authentication, principal: c.principal, open_time_ms: c.openedAtMs };
}

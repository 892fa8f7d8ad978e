/**
 * What the main thread (controller, admin) and a shard Worker say to each other. The Worker
 * gets one `ShardInit` as its first message, with the ports of its channels; after that, the
 * main thread calls `ShardControlCalls` and the shard calls the controller (`ControllerCalls`)
 * over one typed, bounded `Channel`, the same kind as between shards. Only a shard's last
 * word, `ShardFatal`, goes as a plain message (its channel may be what broke).
 */
import type { LogFormat } from "../base/log.ts";
import type { IoBackend } from "../io/backend.ts";
import type { HostPort } from "../cli/args.ts";
import type { KafkaListenerSpec } from "../cli/listeners.ts";
import type { MetadataSnapshot, MetadataUpdate, NodeRecord } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import type { PartitionRef } from "../kafka/ops.ts";
import type { ConnectionSummary } from "../kafka/client-connection.ts";

export type { ConnectionSummary };
import type { ShardStatsSnapshot } from "./stats.ts";
import type { CpuProfileSummary } from "./cpu-profile.ts";
import type { RpcNodeSettings } from "../rpc/node.ts";
import type { PeerLinkState } from "../rpc/outbound.ts";
import type { ControllerLeadership } from "../replication/controller-host.ts";
import type { ReplicaDetails } from "../replication/replicated-partition.ts";
import type { FollowerReadCounts } from "../replication/replicated-partitions.ts";
import type { LeaderInfo } from "../replication/leaders.ts";

export interface PartitionDetails extends PartitionRef {
  shard: number;
  highWatermark: number;
  logStartOffset: number;
  sizeBytes: number;
}

export interface ShardInit {
  type: "init";
  shardId: number;
  shardCount: number;
  core: number;
  /** Every shard listens on all of them. */
  kafkaListeners: KafkaListenerSpec[];
  /** The first listener's advertised address: what a request that came from no client connection sees. */
  advertised: HostPort;
  clusterId: string;
  dataDir: string;
  props: ClusterProperties;
  metadata: MetadataSnapshot;
  /** This shard's end of its channel to the main thread. */
  main: MessagePort;
  /** A port to every other shard, indexed by shard id; null at this shard's own index. */
  peers: Array<MessagePort | null>;
  logFormat: LogFormat;
  /** Disk backend, chosen once by the main thread; each shard opens its own (one io_uring per shard). */
  io: IoBackend;
  nodeId: number;
  /** This node's rack (--rack); null: none. In a cluster Metadata reads it from the node records. */
  rack: string | null;
  /** The internal RPC listener and seeds; null: none (a node of one). */
  rpc: RpcNodeSettings | null;
  /** A node that joined a cluster: the nodes it was told of then (linked before the metadata names them). */
  joinNodes: NodeRecord[];
  softwareVersion: string;
  /** The node-wide connection counts every shard shares (`base/shared-counts.ts`). */
  connectionCounts: SharedArrayBuffer;
}

type NoArguments = Record<string, never>;

/** What the main thread asks of a shard; a shard serves them one at a time, in the order they came. */
export interface ShardControlCalls {
  /** Recover the shard's partitions and groups, then listen; answered once it serves. */
  start: { request: NoArguments; response: void };
  /** Apply a metadata update (opening and closing logs); answered once applied. */
  metadata: { request: { update: MetadataUpdate }; response: void };
  stats: { request: NoArguments; response: ShardStatsSnapshot };
  partitions: { request: NoArguments; response: PartitionDetails[] };
  /** The old owner's half of a live move: stop serving the partition and close its log. */
  release: { request: PartitionRef; response: void };
  /** JavaScriptCore's sampling profile of this shard's thread over `waitMs` (cpu-profile.ts). */
  cpuProfile: { request: { waitMs: number; intervalUs: number }; response: CpuProfileSummary };
  /** The Kafka connections open on this shard: listener, remote address, TLS, principal. */
  connections: { request: NoArguments; response: ConnectionSummary[] };
  /** This shard's link to each peer node (empty without RPC). */
  rpcPeers: { request: NoArguments; response: PeerLinkState[] };
  /** In a cluster: every replica this shard holds (role, term, indexes, each peer's lag on a leader). */
  replicas: { request: NoArguments; response: { replicas: ReplicaDetails[]; leadershipChanges: number; readCounts: FollowerReadCounts } };
  /** In a cluster: what this shard knows of every group's leader, term and in-sync replicas. */
  leaders: { request: NoArguments; response: Array<[number, LeaderInfo]> };
  /** In a cluster: starts a leadership transfer of a group led on this shard; why not, or null. */
  transferLeadership: { request: { group: number; to: number }; response: string | null };
  /** In a cluster: this shard's link to each node of the node list. */
  rpcNodes: { request: NoArguments; response: Array<PeerLinkState & { node: number }> };
  /** Close everything cleanly; answered once done. */
  shutdown: { request: NoArguments; response: void };
  /** In a cluster, shard 0: propose a metadata update to the controller group; true once committed. */
  controllerPropose: { request: { update: MetadataUpdate }; response: boolean };
  /** In a cluster, shard 0: send a controller call to the controller leader's node (JSON in and out). */
  controllerForward: { request: { node: number; name: string; request: string }; response: ControllerForwardResult };
  /** In a cluster, shard 0 of the controller leader: add a joining node as a learner of the controller group. */
  controllerAddLearner: { request: { node: number }; response: boolean };
  /** In a cluster, shard 0 of the controller leader: one step of taking a decommissioned node out of the controller group. */
  controllerLeave: { request: { node: number; replacements: number[]; recorded: boolean }; response: "gone" | "ready" | "pending" };
}

/** `version`: the leader's metadata version after the call, which the caller's node waits to reach. */
export type ControllerForwardResult = { ok: true; response: string; version: number } | { ok: false; refusal: string };

/** What shard 0 of a cluster node tells the main thread about the controller group. */
export interface ControllerGroupCalls {
  /** Committed updates, in log order (every member, leader or not). */
  controllerCommitted: { request: { updates: MetadataUpdate[] }; response: void };
  controllerLeadership: { request: ControllerLeadership; response: void };
  /** A controller call forwarded from another node; refused unless this node leads and is ready. */
  controllerServe: { request: { name: string; request: string; relay: boolean }; response: ControllerForwardResult };
}

/** A shard's uncaught error (a broken invariant among them): the main thread stops the broker. */
export interface ShardFatal {
  type: "fatal";
  shardId: number;
  error: string;
}

/** Messages between the main thread (controller, admin) and a shard Worker. */
import type { LogFormat } from "../base/log.ts";
import type { IoBackend } from "../io/backend.ts";
import type { HostPort } from "../cli/args.ts";
import type { ControllerCall } from "../cluster/controller-calls.ts";
import type { MetadataSnapshot, MetadataUpdate } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import type { PartitionRef } from "./ops.ts";
import type { ShardStatsSnapshot } from "./stats.ts";

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
  kafkaAddr: HostPort;
  advertised: HostPort;
  clusterId: string;
  dataDir: string;
  props: ClusterProperties;
  metadata: MetadataSnapshot;
  /** A port to every other shard, indexed by shard id; null at this shard's own index. */
  peers: Array<MessagePort | null>;
  logFormat: LogFormat;
  /** Disk backend, chosen once by the main thread; each shard opens its own (one io_uring per shard). */
  io: IoBackend;
}

export type MainToShard =
  | ShardInit
  | { type: "metadata"; update: MetadataUpdate }
  | { type: "controller_call_reply"; id: number; result?: unknown; error?: string }
  | { type: "stats"; id: number }
  | { type: "partitions"; id: number }
  | { type: "release_partition"; id: number; topic: string; partition: number }
  | { type: "shutdown" };

export type ShardToMain =
  | { type: "ready"; shardId: number }
  | { type: "metadata_applied"; shardId: number; version: number }
  | { type: "controller_call"; shardId: number; id: number; call: ControllerCall }
  | { type: "stats_reply"; id: number; stats: ShardStatsSnapshot }
  | { type: "partitions_reply"; id: number; partitions: PartitionDetails[] }
  | { type: "released"; id: number }
  | { type: "stopped"; shardId: number }
  | { type: "fatal"; shardId: number; error: string };

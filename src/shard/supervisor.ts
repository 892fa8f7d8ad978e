/**
 * Main-thread side of the shards: spawns one Worker per shard, wires a channel between every
 * pair and one from the main thread to each, publishes metadata updates in order, gathers
 * stats, serves the shards' controller calls, and stops them cleanly. A shard's fatal error
 * (or a Worker that dies) stops the broker.
 */
import { logger } from "../base/log.ts";
import type { ConnectionSummary } from "../kafka/client-connection.ts";
import type { CpuProfileSummary } from "./cpu-profile.ts";
import type { Controller, ShardControl } from "../cluster/controller.ts";
import type { Servers } from "../base/calls.ts";
import type { ControllerCalls } from "../cluster/controller-calls.ts";
import type { MetadataUpdate } from "../cluster/metadata.ts";
import { allowedCores } from "../native/libc.ts";
import { Channel } from "./channel.ts";
import type { ControllerForwardResult, ControllerGroupCalls, PartitionDetails, ShardControlCalls, ShardFatal, ShardInit } from "./control.ts";
import type { PartitionRef } from "../kafka/ops.ts";
import type { ShardStatsSnapshot } from "./stats.ts";
import type { PeerLinkState } from "../rpc/outbound.ts";
import type { ReplicaDetails } from "../replication/replicated-partition.ts";
import type { FollowerReadCounts } from "../replication/replicated-partitions.ts";
import type { LeaderInfo } from "../replication/leaders.ts";

const log = logger("supervisor");
const STOP_TIMEOUT_MS = 60_000; // flushing thousands of partitions takes a while; systemd allows 90 s

type ShardSettings = Omit<ShardInit, "type" | "shardId" | "shardCount" | "core" | "main" | "peers" | "metadata">;

export class Supervisor implements ShardControl {
  private readonly workers: Worker[] = [];
  /** The main thread's end of its channel to each shard. */
  private readonly shards: Array<Channel<ShardControlCalls, ControllerCalls & ControllerGroupCalls>> = [];
  readyShards = 0;

  constructor(readonly shardCount: number) {}

  /** Spawns the shards and resolves once every one of them serves. */
  /** `servers`: what the shards may ask of the main thread (the controller calls, and in a cluster shard 0's reports). */
  async start(settings: ShardSettings, controller: Controller, servers: Servers<ControllerCalls & ControllerGroupCalls>, workerUrl: URL): Promise<void> {
    const ports = this.peerPorts();
    // Shard i on the i-th core the process may use (as Seastar does): brokers started with
    // `taskset` on different cores of one machine do not all pin their first shard to core 0.
    const cores = allowedCores();
    for (let shardId = 0; shardId < this.shardCount; shardId++) {
      const worker = new Worker(workerUrl);
      worker.onmessage = (event: MessageEvent<ShardFatal>) => this.fail(event.data.shardId, event.data.error);
      worker.onerror = (event) => this.fail(shardId, String(event.message));
      this.workers.push(worker);
      const toShard = new MessageChannel();
      this.shards.push(new Channel<ShardControlCalls, ControllerCalls & ControllerGroupCalls>(toShard.port1, servers, `shard ${shardId}`));
      const init: ShardInit = {
        type: "init", shardId, shardCount: this.shardCount, core: cores.length > 0 ? cores[shardId % cores.length]! : shardId, main: toShard.port2, peers: ports[shardId], metadata: controller.table.snapshot(), ...settings,
      };
      worker.postMessage(init, [toShard.port2, ...ports[shardId].filter((p): p is MessagePort => p !== null)]);
    }
    await Promise.all(this.shards.map((shard) => shard.call("start", {}).then(() => void this.readyShards++)));
  }

  /** Sends an update to every shard and resolves when all have applied it. */
  async publish(update: MetadataUpdate): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.call("metadata", { update })));
  }

  stats(): Promise<ShardStatsSnapshot[]> {
    return Promise.all(this.shards.map((shard) => shard.call("stats", {})));
  }

  async shardBytes(): Promise<number[]> {
    return (await this.stats()).map((s) => s.sizeBytes);
  }

  async partitionDetails(shards = this.shards.map((_, shard) => shard)): Promise<PartitionDetails[]> {
    return (await Promise.all(shards.map((shard) => this.shards[shard].call("partitions", {})))).flat();
  }

  /** Every shard's open Kafka connections, indexed by shard. */
  connections(): Promise<ConnectionSummary[][]> {
    return Promise.all(this.shards.map((shard) => shard.call("connections", {})));
  }

  /** Every shard's CPU profile over the same `waitMs`, indexed by shard. */
  cpuProfiles(waitMs: number, intervalUs: number): Promise<CpuProfileSummary[]> {
    return Promise.all(this.shards.map((shard) => shard.call("cpuProfile", { waitMs, intervalUs })));
  }

  /** Every shard's link to each peer node, indexed by shard. */
  rpcPeers(): Promise<PeerLinkState[][]> {
    return Promise.all(this.shards.map((shard) => shard.call("rpcPeers", {})));
  }

  /** In a cluster: proposes a metadata update to the controller group (through shard 0); true once committed. */
  controllerPropose(update: MetadataUpdate): Promise<boolean> {
    return this.shards[0].call("controllerPropose", { update });
  }

  /** In a cluster: sends a controller call to the controller leader's node (through shard 0). */
  controllerForward(node: number, name: string, request: string): Promise<ControllerForwardResult> {
    return this.shards[0].call("controllerForward", { node, name, request });
  }

  /** In a cluster, on the controller leader: makes a joining node a learner of the controller group. */
  controllerAddLearner(node: number): Promise<boolean> {
    return this.shards[0].call("controllerAddLearner", { node });
  }

  /** In a cluster, on the controller leader: one step of taking a decommissioned node out of the controller group. */
  controllerLeave(node: number, replacements: number[], recorded: boolean): Promise<"gone" | "ready" | "pending"> {
    return this.shards[0].call("controllerLeave", { node, replacements, recorded });
  }

  /** In a cluster: the replicas every shard holds. */
  async replicas(): Promise<{ replicas: Array<ReplicaDetails & { shard: number }>; leadershipChanges: number; readCounts: FollowerReadCounts }> {
    const answers = await Promise.all(this.shards.map((shard) => shard.call("replicas", {})));
    const sum = (count: (a: (typeof answers)[number]) => number) => answers.reduce((n, a) => n + count(a), 0);
    return {
      replicas: answers.flatMap((a, shard) => a.replicas.map((r) => ({ ...r, shard }))),
      leadershipChanges: sum((a) => a.leadershipChanges),
      readCounts: { followerReads: sum((a) => a.readCounts.followerReads), followerReadBytes: sum((a) => a.readCounts.followerReadBytes), redirects: sum((a) => a.readCounts.redirects) },
    };
  }

  /** In a cluster: what shard 0 knows of every group's leader (each shard hears every report). */
  leaders(): Promise<Array<[number, LeaderInfo]>> {
    return this.shards[0].call("leaders", {});
  }

  /** In a cluster: a leadership transfer of a group led on one of this node's shards; why not, or null. */
  async transferLeadership(group: number, to: number): Promise<string | null> {
    const answers = await Promise.all(this.shards.map((shard) => shard.call("transferLeadership", { group, to })));
    return answers.includes(null) ? null : (answers.find((a) => a !== null && !a.startsWith("no replica")) ?? answers[0] ?? "no shards");
  }

  /** Every shard's link to each node of the cluster's node list. */
  rpcNodes(): Promise<Array<PeerLinkState & { node: number }>[]> {
    return Promise.all(this.shards.map((shard) => shard.call("rpcNodes", {})));
  }

  /** The old owner's half of a live move: it stops serving the partition and closes its log. */
  release(shard: number, ref: PartitionRef): Promise<void> {
    return this.shards[shard].call("release", ref);
  }

  async stop(): Promise<void> {
    const stopped = Promise.all(this.shards.map((shard) => shard.call("shutdown", {})));
    const timedOut = await Promise.race([stopped.then(() => false), Bun.sleep(STOP_TIMEOUT_MS).then(() => true)]);
    if (timedOut) log.warn("shards did not stop in time; terminating them");
    for (const shard of this.shards) shard.close();
    for (const worker of this.workers) worker.terminate();
  }

  /** A MessageChannel per pair of shards; ports[i][j] is shard i's end towards shard j. */
  private peerPorts(): Array<Array<MessagePort | null>> {
    const ports = Array.from({ length: this.shardCount }, () => new Array<MessagePort | null>(this.shardCount).fill(null));
    for (let i = 0; i < this.shardCount; i++) {
      for (let j = i + 1; j < this.shardCount; j++) {
        const channel = new MessageChannel();
        ports[i][j] = channel.port1;
        ports[j][i] = channel.port2;
      }
    }
    return ports;
  }

  private fail(shardId: number, error: string): never {
    log.error("shard failed; stopping the broker", { shard: shardId, error });
    process.exit(1);
  }
}

/**
 * Main-thread side of the shards: spawns one Worker per shard, wires a channel between every
 * pair, publishes metadata updates in order, gathers stats, and stops them cleanly.
 */
import { assert, rethrowIfBroken } from "../base/assert.ts";
import { logger } from "../base/log.ts";
import type { Controller, ShardControl } from "../cluster/controller.ts";
import type { ControllerService } from "../cluster/controller-calls.ts";
import type { MetadataUpdate } from "../cluster/metadata.ts";
import type { MainToShard, PartitionDetails, ShardInit, ShardToMain } from "./control.ts";
import type { PartitionRef } from "./ops.ts";
import type { ShardStatsSnapshot } from "./stats.ts";

const log = logger("supervisor");
const STOP_TIMEOUT_MS = 60_000; // flushing thousands of partitions takes a while; systemd allows 90 s

type ShardSettings = Omit<ShardInit, "type" | "shardId" | "shardCount" | "core" | "peers" | "metadata">;

export class Supervisor implements ShardControl {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<string, { remaining: Set<number>; resolve: () => void }>();
  /** Questions to one shard, answered by a reply carrying the same id. */
  private readonly asks = new Map<number, (reply: ShardToMain) => void>();
  private nextAskId = 1;
  private controllerService: ControllerService | null = null;
  readyShards = 0;

  constructor(readonly shardCount: number) {}

  /** Spawns the shards and resolves once every one of them serves. */
  async start(settings: ShardSettings, controller: Controller, controllerService: ControllerService, coreCount: number, workerUrl: URL): Promise<void> {
    this.controllerService = controllerService;
    const ports = this.peerPorts();
    const allReady = this.expect("ready");
    for (let shardId = 0; shardId < this.shardCount; shardId++) {
      const worker = new Worker(workerUrl);
      worker.onmessage = (event: MessageEvent<ShardToMain>) => this.receive(event.data);
      worker.onerror = (event) => this.fail(shardId, String(event.message));
      this.workers.push(worker);
      const init: ShardInit = {
        type: "init", shardId, shardCount: this.shardCount, core: shardId % coreCount, peers: ports[shardId], metadata: controller.table.snapshot(), ...settings,
      };
      worker.postMessage(init, ports[shardId].filter((p): p is MessagePort => p !== null));
    }
    await allReady;
  }

  /** Sends an update to every shard and resolves when all have applied it. */
  async publish(update: MetadataUpdate): Promise<void> {
    const applied = this.expect(`metadata_applied:${update.version}`);
    this.broadcast({ type: "metadata", update });
    await applied;
  }

  async stats(): Promise<ShardStatsSnapshot[]> {
    const replies = await Promise.all(this.workers.map((_, shard) => this.ask(shard, { type: "stats" })));
    return replies.map((r) => (r.type === "stats_reply" ? r.stats : unexpected(r)));
  }

  async shardBytes(): Promise<number[]> {
    return (await this.stats()).map((s) => s.sizeBytes);
  }

  async partitionDetails(shards = this.workers.map((_, shard) => shard)): Promise<PartitionDetails[]> {
    const replies = await Promise.all(shards.map((shard) => this.ask(shard, { type: "partitions" })));
    return replies.flatMap((r) => (r.type === "partitions_reply" ? r.partitions : unexpected(r)));
  }

  /** The old owner's half of a live move: it stops serving the partition and closes its log. */
  async release(shard: number, ref: PartitionRef): Promise<void> {
    await this.ask(shard, { type: "release_partition", ...ref });
  }

  private ask(shard: number, question: DistributiveOmit<Extract<MainToShard, { id: number }>, "id">): Promise<ShardToMain> {
    const id = this.nextAskId++;
    return new Promise((resolve) => {
      this.asks.set(id, resolve);
      this.send(this.workers[shard], { ...question, id } as MainToShard);
    });
  }

  async stop(): Promise<void> {
    const stopped = this.expect("stopped");
    this.broadcast({ type: "shutdown" });
    const timedOut = await Promise.race([stopped.then(() => false), Bun.sleep(STOP_TIMEOUT_MS).then(() => true)]);
    if (timedOut) log.warn("shards did not stop in time; terminating them");
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

  private receive(message: ShardToMain): void {
    switch (message.type) {
      case "ready":
        this.readyShards++;
        return this.arrived("ready", message.shardId);
      case "metadata_applied":
        return this.arrived(`metadata_applied:${message.version}`, message.shardId);
      case "stopped":
        return this.arrived("stopped", message.shardId);
      case "stats_reply":
      case "partitions_reply":
      case "released":
        this.asks.get(message.id)?.(message);
        this.asks.delete(message.id);
        return;
      case "controller_call":
        void this.controllerService!.serve(message.call).then(
          (result) => this.send(this.workers[message.shardId], { type: "controller_call_reply", id: message.id, result }),
          (error: unknown) => {
            rethrowIfBroken(error); // the main thread stops (uncaught) rather than answer with it
            this.send(this.workers[message.shardId], { type: "controller_call_reply", id: message.id, error: String(error) });
          },
        );
        return;
      case "fatal":
        return this.fail(message.shardId, message.error);
    }
  }

  private fail(shardId: number, error: string): never {
    log.error("shard failed; stopping the broker", { shard: shardId, error });
    process.exit(1);
  }

  /** A promise that resolves once every shard has sent `event`. */
  private expect(event: string): Promise<void> {
    assert(!this.waiting.has(event), `already waiting for ${event}`);
    return new Promise((resolve) => {
      this.waiting.set(event, { remaining: new Set(Array.from({ length: this.shardCount }, (_, i) => i)), resolve });
    });
  }

  private arrived(event: string, shardId: number): void {
    const wait = this.waiting.get(event);
    if (!wait) return;
    wait.remaining.delete(shardId);
    if (wait.remaining.size > 0) return;
    this.waiting.delete(event);
    wait.resolve();
  }

  private broadcast(message: MainToShard): void {
    for (const worker of this.workers) this.send(worker, message);
  }

  private send(worker: Worker, message: MainToShard): void {
    worker.postMessage(message);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function unexpected(reply: ShardToMain): never {
  throw new Error(`unexpected reply from shard: ${reply.type}`);
}

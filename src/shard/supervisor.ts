/**
 * Main-thread side of the shards: spawns one Worker per shard, wires a channel between every
 * pair, publishes metadata updates in order, gathers stats, and stops them cleanly.
 */
import { assert } from "../base/assert.ts";
import { logger } from "../base/log.ts";
import type { Controller } from "../cluster/controller.ts";
import type { MetadataUpdate } from "../cluster/metadata.ts";
import type { MainToShard, ShardInit, ShardToMain } from "./control.ts";
import type { ShardStatsSnapshot } from "./stats.ts";

const log = logger("supervisor");
const STOP_TIMEOUT_MS = 10_000;

type ShardSettings = Omit<ShardInit, "type" | "shardId" | "shardCount" | "core" | "peers" | "metadata">;

export class Supervisor {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<string, { remaining: Set<number>; resolve: () => void }>();
  private readonly statsCalls = new Map<number, (stats: ShardStatsSnapshot) => void>();
  private nextStatsId = 1;
  private controller: Controller | null = null;
  readyShards = 0;

  constructor(readonly shardCount: number) {}

  /** Spawns the shards and resolves once every one of them serves. */
  async start(settings: ShardSettings, controller: Controller, coreCount: number, workerUrl: URL): Promise<void> {
    this.controller = controller;
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
    return Promise.all(
      this.workers.map((worker) => {
        const id = this.nextStatsId++;
        return new Promise<ShardStatsSnapshot>((resolve) => {
          this.statsCalls.set(id, resolve);
          this.send(worker, { type: "stats", id });
        });
      }),
    );
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
        this.statsCalls.get(message.id)?.(message.stats);
        this.statsCalls.delete(message.id);
        return;
      case "create_topics":
        void this.controller!.createTopics(message.commands).then((outcomes) =>
          this.send(this.workers[message.shardId], { type: "controller_reply", id: message.id, outcomes }),
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

/** What one shard counts about itself; the admin API gathers these from every shard. */
import { Histogram, type HistogramSnapshot } from "../base/histogram.ts";
import type { RequestStats } from "../kafka/request-stats.ts";

export interface ShardStatsSnapshot {
  shardId: number;
  coreRequested: number;
  coreActual: number;
  pinned: boolean;
  partitions: Array<{ topic: string; partition: number }>;
  requests: number;
  requestsByApi: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  crossShardSent: number;
  crossShardReceived: number;
  /** Calls sent to other shards still waiting for their answer. */
  crossShardQueueDepth: number;
  /** Bytes of the partitions this shard owns, on disk. */
  sizeBytes: number;
  /** Keyed `${api}/local` or `${api}/cross_shard`: whether serving it needed another shard. */
  latencyByRoute: Record<string, HistogramSnapshot>;
  fsyncLatency: HistogramSnapshot;
  connections: number;
  saslFailures: number;
  throttledRequests: number;
  connectionsRefused: number;
  connectionsMovedAway: number;
  connectionsAdopted: number;
  /** Disk backend this shard runs: "uring" or "posix". */
  backend: string;
  /** Disk reads started ahead for sequential readers (storage/read-ahead.ts), and of those the ones a fetch used. */
  readAheadStarted: number;
  readAheadUsed: number;
  /** Bytes held now, by what holds them: the budgets (requests, cache, read-ahead, write-behind) and this thread's JS heap. */
  memory: Record<MemoryUse, number>;
  /** Full collections the shard ran for its large buffers (base/big-buffers.ts), and their time. */
  collections: { count: number; seconds: number };
}

export type MemoryUse = "requests" | "recent_batch_cache" | "read_ahead" | "write_behind" | "js_heap";

export class ShardStats implements RequestStats {
  requests = 0;
  bytesIn = 0;
  bytesOut = 0;
  connections = 0;
  saslFailures = 0;
  throttledRequests = 0;
  connectionsRefused = 0;
  connectionsMovedAway = 0;
  connectionsAdopted = 0;
  readonly requestsByApi = new Map<string, number>();
  readonly latencyByRoute = new Map<string, Histogram>();
  readonly fsyncLatency = new Histogram();

  recordRequest(api: string, latencyMs: number, bytesIn: number, bytesOut: number, crossedShards: boolean): void {
    this.requests++;
    this.bytesIn += bytesIn;
    this.bytesOut += bytesOut;
    this.requestsByApi.set(api, (this.requestsByApi.get(api) ?? 0) + 1);
    const route = `${api}/${crossedShards ? "cross_shard" : "local"}`;
    let histogram = this.latencyByRoute.get(route);
    if (!histogram) this.latencyByRoute.set(route, (histogram = new Histogram()));
    histogram.record(latencyMs);
  }
}

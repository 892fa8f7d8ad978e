/** The admin HTTP API (Hono), served from the main thread. */
import { Hono } from "hono";
import type { ShardStatsSnapshot } from "../shard/stats.ts";
import { renderMetrics } from "./prometheus.ts";

export interface AdminBackend {
  isReady(): boolean;
  shardStats(): Promise<ShardStatsSnapshot[]>;
}

export function createAdminApp(backend: AdminBackend): Hono {
  const app = new Hono();

  app.get("/v1/status/ready", (c) => (backend.isReady() ? c.json({ status: "ready" }) : c.json({ status: "booting" }, 503)));

  app.get("/v1/shards", async (c) => {
    const shards = await backend.shardStats();
    return c.json(
      shards.map((s) => ({
        shard_id: s.shardId,
        core_requested: s.coreRequested,
        core_actual: s.coreActual,
        pinned: s.pinned,
        partitions: s.partitions,
        partition_count: s.partitions.length,
        requests: s.requests,
        connections: s.connections,
        bytes_in: s.bytesIn,
        bytes_out: s.bytesOut,
        cross_shard_sent: s.crossShardSent,
        cross_shard_received: s.crossShardReceived,
      })),
    );
  });

  app.get("/metrics", async (c) => {
    const text = renderMetrics(await backend.shardStats());
    return c.text(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  return app;
}

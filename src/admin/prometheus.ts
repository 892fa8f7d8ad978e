/** Renders shard stats as Prometheus text exposition (version 0.0.4). */
import { LATENCY_BUCKETS_MS, type HistogramSnapshot } from "../base/histogram.ts";
import type { ShardStatsSnapshot } from "../shard/stats.ts";

export function renderMetrics(shards: ShardStatsSnapshot[]): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  family("skua_kafka_requests_total", "counter", "Kafka requests served, by API and shard");
  for (const s of shards) {
    for (const [api, count] of Object.entries(s.requestsByApi)) lines.push(`skua_kafka_requests_total{api="${api}",shard="${s.shardId}"} ${count}`);
  }
  family("skua_kafka_bytes_received_total", "counter", "Request bytes received, by shard");
  for (const s of shards) lines.push(`skua_kafka_bytes_received_total{shard="${s.shardId}"} ${s.bytesIn}`);
  family("skua_kafka_bytes_sent_total", "counter", "Response bytes sent, by shard");
  for (const s of shards) lines.push(`skua_kafka_bytes_sent_total{shard="${s.shardId}"} ${s.bytesOut}`);
  family("skua_kafka_connections", "gauge", "Open Kafka connections, by shard");
  for (const s of shards) lines.push(`skua_kafka_connections{shard="${s.shardId}"} ${s.connections}`);
  family("skua_kafka_sasl_failed_logins_total", "counter", "Failed SASL logins, by shard");
  for (const s of shards) lines.push(`skua_kafka_sasl_failed_logins_total{shard="${s.shardId}"} ${s.saslFailures}`);
  family("skua_kafka_throttled_requests_total", "counter", "Requests answered with a throttle time (client over a quota), by shard");
  for (const s of shards) lines.push(`skua_kafka_throttled_requests_total{shard="${s.shardId}"} ${s.throttledRequests}`);
  family("skua_kafka_connections_refused_total", "counter", "New connections closed by a connection limit, by shard");
  for (const s of shards) lines.push(`skua_kafka_connections_refused_total{shard="${s.shardId}"} ${s.connectionsRefused}`);
  family("skua_kafka_connections_moved_total", "counter", "Connections moved to the shard of the partitions they produce to or fetch from, by shard and direction (away from it, or to it)");
  for (const s of shards) lines.push(`skua_kafka_connections_moved_total{shard="${s.shardId}",direction="away"} ${s.connectionsMovedAway}`);
  for (const s of shards) lines.push(`skua_kafka_connections_moved_total{shard="${s.shardId}",direction="to"} ${s.connectionsAdopted}`);
  family("skua_shard_partitions", "gauge", "Partitions owned, by shard");
  for (const s of shards) lines.push(`skua_shard_partitions{shard="${s.shardId}"} ${s.partitions.length}`);
  family("skua_cross_shard_messages_sent_total", "counter", "Messages sent to other shards, by shard");
  for (const s of shards) lines.push(`skua_cross_shard_messages_sent_total{shard="${s.shardId}"} ${s.crossShardSent}`);

  family("skua_storage_read_ahead_reads_total", "counter", "Disk reads started ahead of a sequential reader's next fetch, by shard");
  for (const s of shards) lines.push(`skua_storage_read_ahead_reads_total{shard="${s.shardId}"} ${s.readAheadStarted}`);
  family("skua_storage_read_ahead_used_total", "counter", "Reads started ahead that the next fetch used, by shard");
  for (const s of shards) lines.push(`skua_storage_read_ahead_used_total{shard="${s.shardId}"} ${s.readAheadUsed}`);

  family("skua_memory_bytes", "gauge", "Bytes held now, by shard and use: request memory, recent-batch cache, read-ahead, write-behind, the shard's JS heap (live at its last collection)");
  for (const s of shards) for (const [use, bytes] of Object.entries(s.memory)) lines.push(`skua_memory_bytes{shard="${s.shardId}",use="${use}"} ${bytes}`);

  family("skua_memory_collections_total", "counter", "Full collections a shard ran after allocating collect-every bytes of large buffers, by shard");
  for (const s of shards) lines.push(`skua_memory_collections_total{shard="${s.shardId}"} ${s.collections.count}`);
  family("skua_memory_collection_seconds_total", "counter", "Time those collections took, by shard");
  for (const s of shards) lines.push(`skua_memory_collection_seconds_total{shard="${s.shardId}"} ${s.collections.seconds.toFixed(6)}`);

  family("skua_kafka_request_latency_seconds", "histogram", "Time from a request's arrival to its encoded response, by API, shard and route (local, or needing another shard)");
  for (const s of shards) {
    for (const [key, h] of Object.entries(s.latencyByRoute)) {
      const [api, route] = key.split("/");
      histogramLines(lines, "skua_kafka_request_latency_seconds", `api="${api}",shard="${s.shardId}",route="${route}"`, h);
    }
  }
  family("skua_storage_fsync_latency_seconds", "histogram", "fdatasync rounds (group commits), by shard");
  for (const s of shards) histogramLines(lines, "skua_storage_fsync_latency_seconds", `shard="${s.shardId}"`, s.fsyncLatency);
  return lines.join("\n") + "\n";
}

function histogramLines(lines: string[], name: string, labels: string, h: HistogramSnapshot): void {
  let cumulative = 0;
  LATENCY_BUCKETS_MS.forEach((boundMs, i) => {
    cumulative += h.counts[i];
    lines.push(`${name}_bucket{${labels},le="${boundMs / 1000}"} ${cumulative}`);
  });
  lines.push(`${name}_bucket{${labels},le="+Inf"} ${h.count}`);
  lines.push(`${name}_sum{${labels}} ${h.sum / 1000}`);
  lines.push(`${name}_count{${labels}} ${h.count}`);
}

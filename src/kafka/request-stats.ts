/**
 * What the Kafka listener and dispatcher count. The shard that runs them keeps the numbers
 * (`shard/stats.ts` implements this), so kafka/ needs nothing from shard/.
 */
export interface RequestStats {
  /** Open client connections. */
  connections: number;
  /** Failed SASL logins. */
  saslFailures: number;
  /** Requests answered with a throttle_time_ms (the client was over a quota). */
  throttledRequests: number;
  /** New connections closed at once by a connection limit. */
  connectionsRefused: number;
  /** Connections moved to the shard of the partitions they produce to or fetch from, counted where they went from and where they came to. */
  connectionsMovedAway: number;
  connectionsAdopted: number;
  recordRequest(api: string, latencyMs: number, bytesIn: number, bytesOut: number, crossedShards: boolean): void;
}

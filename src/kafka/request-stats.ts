/**
 * What the Kafka listener and dispatcher count. The shard that runs them keeps the numbers
 * (`shard/stats.ts` implements this), so kafka/ needs nothing from shard/.
 */
export interface RequestStats {
  /** Open client connections. */
  connections: number;
  /** Failed SASL logins. */
  saslFailures: number;
  recordRequest(api: string, latencyMs: number, bytesIn: number, bytesOut: number, crossedShards: boolean): void;
}

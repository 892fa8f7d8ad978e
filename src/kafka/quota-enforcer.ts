/**
 * Client quotas as one shard enforces them, Kafka's way: each quota bucket's use is measured as
 * a rate over `quota_window_num` samples of `quota_window_size_seconds` (spanning at least
 * num - 1 of them); a request that takes it over the quota gets
 * throttle = (rate - quota) / quota × window span, at most `max_kafka_throttle_delay_ms`.
 * Per shard: a client whose connections land on several shards is measured on each apart.
 */
import type { Clock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import { ANONYMOUS_USER, applicableQuota, parseClientGroupQuotas, type ClientGroupQuota, type QuotaKey } from "../cluster/client-quotas.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";

/** A rate over a ring of fixed-length samples (Kafka's SampledStat + Rate). */
export class SampledRate {
  private readonly starts: Float64Array;
  private readonly values: Float64Array;
  private current = 0;

  constructor(
    private readonly samples: number,
    private readonly sampleMs: number,
    nowMs: number,
  ) {
    this.starts = new Float64Array(samples).fill(nowMs);
    this.values = new Float64Array(samples);
  }

  record(value: number, nowMs: number): void {
    if (nowMs >= this.starts[this.current] + this.sampleMs) {
      this.current = (this.current + 1) % this.samples;
      this.starts[this.current] = nowMs;
      this.values[this.current] = 0;
    }
    this.values[this.current] += value;
  }

  /** The span the rate is measured over: from the oldest live sample, at least num - 1 samples. */
  windowMs(nowMs: number): number {
    this.expire(nowMs);
    let oldest = nowMs;
    for (let i = 0; i < this.samples; i++) oldest = Math.min(oldest, this.starts[i]);
    return Math.max(nowMs - oldest, (this.samples - 1) * this.sampleMs);
  }

  /** Per second. */
  rate(nowMs: number): number {
    const windowMs = this.windowMs(nowMs);
    let total = 0;
    for (let i = 0; i < this.samples; i++) total += this.values[i];
    return (total * 1000) / windowMs;
  }

  /** Samples older than the whole ring no longer count. */
  private expire(nowMs: number): void {
    const spanMs = this.samples * this.sampleMs;
    for (let i = 0; i < this.samples; i++) {
      if (nowMs - this.starts[i] >= spanMs) {
        this.starts[i] = nowMs;
        this.values[i] = 0;
      }
    }
  }
}

/** Who a request is from, as quotas see it. */
export interface QuotaClient {
  user: string | null;
  clientId: string | null;
}

export interface QuotaEnforcerOptions {
  metadata(): MetadataTable;
  props: ClusterProperties;
  clock: Clock;
}

export class QuotaEnforcer {
  /** Insertion order is use order: the least recently used bucket is the first. */
  private readonly rates = new Map<string, SampledRate>();
  private readonly produceGroups: ClientGroupQuota[];
  private readonly fetchGroups: ClientGroupQuota[];

  constructor(private readonly options: QuotaEnforcerOptions) {
    this.produceGroups = parseClientGroupQuotas(options.props.kafka_client_group_byte_rate_quota);
    this.fetchGroups = parseClientGroupQuotas(options.props.kafka_client_group_fetch_byte_rate_quota);
  }

  /**
   * Records `amount` (bytes; for request_percentage, percent-seconds of a core) against the
   * client's quota of `key` and answers the throttle in ms (0: within its quota or none applies).
   */
  record(key: QuotaKey, client: QuotaClient, amount: number): number {
    const groups = key === "producer_byte_rate" ? this.produceGroups : key === "consumer_byte_rate" ? this.fetchGroups : [];
    const table = this.options.metadata();
    if (table.clientQuotaCount === 0 && groups.length === 0) return 0; // the common case: no quotas at all
    const quota = applicableQuota(table, key, client.user ?? ANONYMOUS_USER, client.clientId ?? "", groups);
    if (quota === null) return 0;
    const nowMs = this.options.clock.nowMs();
    const rate = this.rateOf(`${key}/${quota.bucket}`, nowMs);
    rate.record(amount, nowMs);
    const observed = rate.rate(nowMs);
    if (observed <= quota.limit) return 0;
    const throttleMs = ((observed - quota.limit) / quota.limit) * rate.windowMs(nowMs);
    const { props } = this.options;
    return Math.round(Math.min(throttleMs, props.max_kafka_throttle_delay_ms, props.quota_window_num * props.quota_window_size_seconds * 1000));
  }

  private rateOf(bucket: string, nowMs: number): SampledRate {
    let rate = this.rates.get(bucket);
    if (rate) {
      this.rates.delete(bucket);
    } else {
      if (this.rates.size >= limits.clientQuotaTrackersPerShardMax) this.rates.delete(this.rates.keys().next().value!);
      rate = new SampledRate(this.options.props.quota_window_num, this.options.props.quota_window_size_seconds * 1000, nowMs);
    }
    this.rates.set(bucket, rate);
    return rate;
  }
}

/**
 * KIP-219: from these versions on the client waits out throttle_time_ms itself, so the answer
 * goes at once (and the connection is not read meanwhile); before them the answer is held back.
 * APIs not listed came after KIP-219 and throttle on the client in every version.
 */
const CLIENT_THROTTLES_FROM: Record<number, number> = {
  0: 6, 1: 8, 2: 3, 3: 6, 8: 4, 9: 4, 10: 2, 11: 3, 12: 2, 13: 2, 14: 2, 15: 2, 16: 2, 18: 2, 19: 3, 20: 2, 21: 1, 22: 1, 23: 2,
  32: 2, 33: 1, 35: 1, 36: 1, 37: 1, 42: 1,
};

export function clientThrottles(apiKey: number, apiVersion: number): boolean {
  return apiVersion >= (CLIENT_THROTTLES_FROM[apiKey] ?? 0);
}

import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { clientThrottles, QuotaEnforcer, SampledRate } from "./quota-enforcer.ts";

test("a sampled rate spans at least num - 1 samples and forgets samples older than the ring", () => {
  const rate = new SampledRate(11, 1000, 0);
  rate.record(10_000, 0);
  expect(rate.rate(0)).toBe(1000); // 10 000 over the minimum 10 s
  expect(rate.windowMs(10_500)).toBe(10_500);
  expect(rate.rate(11_500)).toBe(0); // the only sample is older than 11 samples
});

function enforcer(clock: ManualClock, set: (props: ReturnType<typeof defaultProperties>) => void = () => {}) {
  const table = new MetadataTable();
  table.apply({ version: 1, changes: [{ kind: "set_client_quota", quota: { entity: { clientId: "slow" }, values: { producer_byte_rate: 1000 } } }] });
  const props = defaultProperties();
  set(props);
  return new QuotaEnforcer({ metadata: () => table, props, clock });
}

test("over its quota a client is throttled by (rate - quota) / quota × window; others are not", () => {
  const clock = new ManualClock(0);
  const quotas = enforcer(clock);
  expect(quotas.record("producer_byte_rate", { user: null, clientId: "slow" }, 5000)).toBe(0); // 500 B/s over 10 s
  // 20 000 B over the 10 s window: 2000 B/s, twice the quota: (2000 - 1000) / 1000 × 10 s.
  expect(quotas.record("producer_byte_rate", { user: null, clientId: "slow" }, 15_000)).toBe(10_000);
  expect(quotas.record("producer_byte_rate", { user: null, clientId: "fast" }, 1_000_000)).toBe(0);
});

test("the throttle is at most max_kafka_throttle_delay_ms", () => {
  const clock = new ManualClock(0);
  const quotas = enforcer(clock, (p) => (p.max_kafka_throttle_delay_ms = 250));
  expect(quotas.record("producer_byte_rate", { user: null, clientId: "slow" }, 1_000_000)).toBe(250);
});

test("KIP-219: Produce v6+, Fetch v8+ and newer APIs in every version throttle on the client", () => {
  expect([clientThrottles(0, 5), clientThrottles(0, 6), clientThrottles(1, 7), clientThrottles(1, 8), clientThrottles(49, 0)]).toEqual([false, true, false, true, true]);
});

import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { SharedCounts } from "../base/shared-counts.ts";
import { defaultProperties, setProperty } from "../cluster/properties.ts";
import { ConnectionAdmission } from "./connection-admission.ts";

function admission(sets: Record<string, string>, clock = new ManualClock(0)) {
  const props = defaultProperties();
  for (const [name, value] of Object.entries(sets)) setProperty(props, name, value);
  const counts = new SharedCounts(SharedCounts.create(16));
  return { gate: new ConnectionAdmission(counts, props, clock), counts, clock };
}

test("per-address limits with overrides; a released connection gives its place back", () => {
  const { gate, counts } = admission({ kafka_connections_max_per_ip: "1", kafka_connections_max_overrides: "10.0.0.2:2" });
  const a = gate.admit("10.0.0.1");
  expect("refused" in a).toBe(false);
  expect(gate.admit("10.0.0.1")).toEqual({ refused: "1 connections from 10.0.0.1 already (kafka_connections_max_per_ip)" });
  expect(["10.0.0.2", "::ffff:10.0.0.2", "10.0.0.2"].map((ip) => "refused" in gate.admit(ip))).toEqual([false, false, true]);
  expect(counts.total).toBe(3);
  (a as { release(): void }).release();
  expect("refused" in gate.admit("10.0.0.1")).toBe(false);
});

test("the node-wide total: past kafka_connections_max every address is refused", () => {
  const { gate } = admission({ kafka_connections_max: "2" });
  expect(["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((ip) => gate.admit(ip))).toEqual([
    { release: expect.any(Function) },
    { release: expect.any(Function) },
    { refused: "kafka_connections_max (2) reached" },
  ]);
});

test("kafka_connection_rate_limit: new connections per address per second, with overrides", () => {
  const { gate, clock } = admission({ kafka_connection_rate_limit: "2", kafka_connection_rate_limit_overrides: "10.0.0.9:0" });
  expect([1, 2, 3].map(() => "refused" in gate.admit("10.0.0.1"))).toEqual([false, false, true]);
  expect("refused" in gate.admit("10.0.0.2")).toBe(false);
  expect("refused" in gate.admit("10.0.0.9")).toBe(true);
  clock.advance(1000);
  expect("refused" in gate.admit("10.0.0.1")).toBe(false);
});

test("bad override lists are start-up errors naming the property", () => {
  expect(() => setProperty(defaultProperties(), "kafka_connections_max_overrides", "127.0.0.1")).toThrow("cluster property 'kafka_connections_max_overrides': expected ip:count, got '127.0.0.1'");
  expect(() => setProperty(defaultProperties(), "kafka_connections_max_overrides", "nohost:3")).toThrow("expected ip:count");
  expect(() => setProperty(defaultProperties(), "kafka_client_group_byte_rate_quota", "[1]")).toThrow("kafka_client_group_byte_rate_quota");
  const props = defaultProperties();
  setProperty(props, "kafka_connections_max", "null"); // as Redpanda's YAML says "no limit"
  expect(props.kafka_connections_max).toBe(-1);
  setProperty(props, "kafka_connections_max_overrides", "['127.0.0.1:5', '::1:7']");
  expect(props.kafka_connections_max_overrides).toBe("127.0.0.1:5,::1:7");
});

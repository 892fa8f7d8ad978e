/**
 * The connection-limit properties' per-address lists (`kafka_connections_max_overrides`,
 * `kafka_connection_rate_limit_overrides`): items `ip:count`, as Redpanda writes them.
 */
import { isIP } from "node:net";
import { limits } from "../base/limits.ts";
import type { ClusterProperties } from "./properties.ts";

/** Whether connections are counted per address at all (the shared table is only made then). */
export function perAddressCounting(props: ClusterProperties): boolean {
  return props.kafka_connections_max_per_ip >= 0 || props.kafka_connections_max_overrides !== "";
}

/** An IPv4 client seen through a dual-stack socket is written ::ffff:a.b.c.d; it is the same client. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith("::ffff:") && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** Reads a comma-separated list of `ip:count`; throws an Error naming a bad item. */
export function parseAddressCounts(value: string): Map<string, number> {
  const out = new Map<string, number>();
  const items = value === "" ? [] : value.split(",");
  if (items.length > limits.connectionOverridesMax) throw new Error(`at most ${limits.connectionOverridesMax} entries`);
  for (const item of items) {
    const colon = item.lastIndexOf(":");
    const address = item.slice(0, colon).replace(/^\[|\]$/g, "");
    const count = item.slice(colon + 1);
    if (colon < 0 || isIP(address) === 0 || !/^\d+$/.test(count) || !Number.isSafeInteger(Number(count))) {
      throw new Error(`expected ip:count, got '${item}'`);
    }
    out.set(normalizeAddress(address), Number(count));
  }
  return out;
}

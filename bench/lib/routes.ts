/**
 * How many requests needed a cross-shard hop and what it cost: read from the broker's
 * /metrics (skua_kafka_request_latency_seconds{api,shard,route}) after a run.
 */
interface RouteTotals {
  count: number;
  sumSeconds: number;
}

export async function printRoutes(adminUrl: string, apis: string[] = ["Produce", "Fetch"]): Promise<void> {
  const text = await fetch(`${adminUrl}/metrics`).then((r) => r.text());
  for (const api of apis) {
    const local = totals(text, api, "local");
    const crossShard = totals(text, api, "cross_shard");
    const all = local.count + crossShard.count;
    if (all === 0) continue;
    const meanMs = (t: RouteTotals) => (t.count === 0 ? "—" : `${((t.sumSeconds / t.count) * 1000).toFixed(2)} ms`);
    console.log(
      `  ${api.padEnd(8)} ${all.toLocaleString("en-US")} requests, ${((crossShard.count / all) * 100).toFixed(1)}% needed another shard; ` +
        `mean latency local ${meanMs(local)}, cross-shard ${meanMs(crossShard)}`,
    );
  }
}

function totals(text: string, api: string, route: string): RouteTotals {
  const out: RouteTotals = { count: 0, sumSeconds: 0 };
  const pattern = new RegExp(`^skua_kafka_request_latency_seconds_(count|sum)\\{api="${api}",shard="\\d+",route="${route}"\\} ([0-9.e+-]+)$`, "gm");
  for (const match of text.matchAll(pattern)) {
    if (match[1] === "count") out.count += Number(match[2]);
    else out.sumSeconds += Number(match[2]);
  }
  return out;
}

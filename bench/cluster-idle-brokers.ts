/**
 * An idle cluster of three real `dist/skua` processes (`--smp 2` each, seeds = all three, on
 * loopback): CPU of the three processes (/proc/<pid>/stat, every thread) over `--seconds`, first
 * with no topic (the controller group alone: the same-run baseline), then after CreateTopics of
 * `--partitions` partitions at replication factor 3 (kafkajs) and a settling pause. Bytes: sent
 * on the RPC connections between the brokers, both directions (tcp_info's bytes_sent of every
 * socket to or from an RPC port, from `ss -ti`), not loopback's counters, which other work shares.
 *
 *     bun run bench/cluster-idle-brokers.ts --partitions 1000 --seconds 10 [--settle-s 5]
 */
import { Kafka, logLevel } from "kafkajs";
import { processCpuSeconds, startBroker, type BrokerProcess } from "./lib/broker.ts";
import { freePort } from "../test/helpers/broker.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const partitions = Number(args.get("partitions") ?? 1000);
const seconds = Number(args.get("seconds") ?? 10);
const settleS = Number(args.get("settle-s") ?? 5);
const repo = new URL("..", import.meta.url).pathname;

/** Bytes sent so far on the TCP connections to and from the brokers' RPC ports (both ends of each). */
function rpcBytesSent(): number {
  const ss = Bun.spawnSync(["ss", "-tinH", "state", "established"]).stdout.toString().split("\n");
  let total = 0;
  for (let i = 0; i + 1 < ss.length; i++) {
    const ports = [...ss[i]!.matchAll(/:(\d+)(?=\s|$)/g)].map((m) => Number(m[1]));
    if (!ports.some((p) => rpcPorts.includes(p))) continue;
    total += Number(/bytes_sent:(\d+)/.exec(ss[i + 1]!)?.[1] ?? 0);
    i++;
  }
  return total;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** CPU (% of one core) and RPC bytes per second of the three processes over `--seconds`. */
async function measure(nodes: BrokerProcess[]): Promise<{ cpu: number; bytesPerS: number }> {
  const cpu0 = sum(nodes.map((n) => processCpuSeconds(n.pid) ?? 0));
  const bytes0 = rpcBytesSent();
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu1 = sum(nodes.map((n) => processCpuSeconds(n.pid) ?? 0));
  const bytes1 = rpcBytesSent();
  return { cpu: ((cpu1 - cpu0) / elapsedS) * 100, bytesPerS: (bytes1 - bytes0) / elapsedS };
}

const rpcPorts = [freePort(), freePort(), freePort()];
const seeds = rpcPorts.map((p) => `127.0.0.1:${p}`).join(",");
const nodes = await Promise.all(rpcPorts.map((port, i) => startBroker(repo, 2, undefined, ["--node-id", String(i + 1), "--rpc-addr", `127.0.0.1:${port}`, "--seeds", seeds])));
try {
  await Bun.sleep(3000);
  const empty = await measure(nodes);
  const kafka = new Kafka({ brokers: nodes.map((n) => `${n.host}:${n.kafkaPort}`), logLevel: logLevel.NOTHING, clientId: "bench", requestTimeout: 300_000 });
  const admin = kafka.admin();
  await admin.connect();
  const t0 = Date.now();
  await admin.createTopics({ topics: [{ topic: "idle", numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: true, timeout: 300_000 });
  const createdMs = Date.now() - t0;
  const led = async () => (await admin.fetchTopicMetadata({ topics: ["idle"] })).topics[0]!.partitions.filter((p) => p.leader >= 0).length;
  await Bun.sleep(settleS * 1000);
  const ledBefore = await led();
  const busy = await measure(nodes);
  const ledAfter = await led();
  await admin.disconnect();
  console.log(JSON.stringify({ partitions, createdMs, empty, busy, ledBefore, ledAfter }));
  console.log(`\n3 × dist/skua --smp 2, idle for ${seconds} s (CPU of all three processes, % of one core):\n`);
  console.log("| cluster | CPU | RPC bytes/s | partitions with a leader (before / after) |");
  console.log("|---|---|---|---|");
  const bytes = (b: number) => Math.round(b).toLocaleString("en");
  console.log(`| no topic (controller group only: baseline) | ${empty.cpu.toFixed(1)} | ${bytes(empty.bytesPerS)} | – |`);
  console.log(`| ${partitions.toLocaleString("en")} partitions at RF=3 (created in ${(createdMs / 1000).toFixed(0)} s) | ${busy.cpu.toFixed(1)} (+${(busy.cpu - empty.cpu).toFixed(1)}) | ${bytes(busy.bytesPerS)} | ${ledBefore} / ${ledAfter} |`);
} finally {
  await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
}
process.exit(0);

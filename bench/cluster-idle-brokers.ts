/**
 * An idle cluster of three real `dist/skua` processes (`--smp 2` each, seeds = all three, on
 * loopback): CPU of the three processes (/proc/<pid>/stat, every thread) over `--seconds`, first
 * with no topic (the controller group alone: the same-run baseline), then after CreateTopics of
 * `--partitions` partitions at replication factor 3 (kafkajs) and a settling pause. Bytes are not
 * measured here (loopback is shared with other work on this machine); bench/cluster-idle.ts counts them.
 *
 *     bun run bench/cluster-idle-brokers.ts --partitions 1000 --seconds 10
 */
import { Kafka, logLevel } from "kafkajs";
import { processCpuSeconds, startBroker, type BrokerProcess } from "./lib/broker.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const partitions = Number(args.get("partitions") ?? 1000);
const seconds = Number(args.get("seconds") ?? 10);
const repo = new URL("..", import.meta.url).pathname;

function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

async function cpuPercent(nodes: BrokerProcess[]): Promise<number> {
  const before = nodes.map((n) => processCpuSeconds(n.pid) ?? 0);
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  const elapsedS = (performance.now() - t0) / 1000;
  const after = nodes.map((n) => processCpuSeconds(n.pid) ?? 0);
  return (after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)) / elapsedS * 100;
}

const rpcPorts = [freePort(), freePort(), freePort()];
const seeds = rpcPorts.map((p) => `127.0.0.1:${p}`).join(",");
const nodes = await Promise.all(rpcPorts.map((port, i) => startBroker(repo, 2, undefined, ["--node-id", String(i + 1), "--rpc-addr", `127.0.0.1:${port}`, "--seeds", seeds])));
try {
  await Bun.sleep(3000);
  const empty = await cpuPercent(nodes);
  const kafka = new Kafka({ brokers: nodes.map((n) => `${n.host}:${n.kafkaPort}`), logLevel: logLevel.NOTHING, clientId: "bench", requestTimeout: 300_000 });
  const admin = kafka.admin();
  await admin.connect();
  const t0 = Date.now();
  await admin.createTopics({ topics: [{ topic: "idle", numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: true, timeout: 300_000 });
  const createdMs = Date.now() - t0;
  const led = async () => (await admin.fetchTopicMetadata({ topics: ["idle"] })).topics[0]!.partitions.filter((p) => p.leader >= 0).length;
  await Bun.sleep(5000);
  const ledBefore = await led();
  const busy = await cpuPercent(nodes);
  const ledAfter = await led();
  await admin.disconnect();
  console.log(JSON.stringify({ partitions, createdMs, empty, busy, ledBefore, ledAfter }));
  console.log(`\n3 × dist/skua --smp 2, idle for ${seconds} s (CPU of all three processes, % of one core):\n`);
  console.log("| cluster | CPU | partitions with a leader (before / after) |");
  console.log("|---|---|---|");
  console.log(`| no topic (controller group only: baseline) | ${empty.toFixed(1)} | – |`);
  console.log(`| ${partitions.toLocaleString("en")} partitions at RF=3 | ${busy.toFixed(1)} (+${(busy - empty).toFixed(1)}) | ${ledBefore} / ${ledAfter} |`);
} finally {
  await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
}
process.exit(0);

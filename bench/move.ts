/**
 * Time to move a partition's replica from one node to another (issue 13): 3 `dist/skua` nodes on
 * loopback (one shard each, `partition_autobalancing_mode=off`), a topic of 1 partition at RF 1
 * filled with `--mib` MiB (produce requests of 8 records of 64 KiB, acks=1), then
 * `POST /v1/partitions/kafka/{topic}/0/replicas` to the next node, timed until the partition view says
 * `done` and no move is listed. One fresh cluster per `raft_learner_recovery_rate` in `--rates`
 * (MiB/s; `off` = 1 TiB/s, no throttle in effect), in the same run.
 *
 *     bun run bench/move.ts --mib 256 --rates off,100,32
 */
import { parseArgs } from "node:util";
import { chaosKafka, withAdmin } from "../test/chaos/workload.ts";
import { startCluster } from "../test/helpers/cluster.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { mib: { type: "string" }, rates: { type: "string" } } });
const mib = Number(values.mib ?? 256);
const rates = (values.rates ?? "off,100,32").split(",");
const MiB = 1024 * 1024;
const TOPIC = "moving";

async function measure(rate: string): Promise<{ seconds: number; fillSeconds: number }> {
  const bytesPerSecond = rate === "off" ? 1024 * 1024 * MiB : Number(rate) * MiB;
  await using cluster = await startCluster({ nodes: 3, network: "loopback", sets: { raft_learner_recovery_rate: bytesPerSecond, partition_autobalancing_mode: "off" } });
  const admin = (id: number) => cluster.node(id).adminUrl;
  await withAdmin(cluster.bootstrap, async (a) => {
    await a.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  });
  const fillStart = performance.now();
  const producer = chaosKafka(cluster.bootstrap, "move-bench").producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(64 * 1024, 120);
  for (let i = 0; i < mib * 2; i++) await producer.send({ topic: TOPIC, acks: 1, messages: Array.from({ length: 8 }, () => ({ partition: 0, value })) });
  await producer.disconnect();
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const from = ((await (await fetch(`${admin(0)}/v1/partitions/kafka/${TOPIC}/0`)).json()) as { replicas: Array<{ node_id: number }> }).replicas[0]!.node_id;
  const to = (from + 1) % 3;
  const started = performance.now();
  const response = await fetch(`${admin(1)}/v1/partitions/kafka/${TOPIC}/0/replicas`, { method: "POST", body: JSON.stringify([{ node_id: to, core: 0 }]), headers: { "content-type": "application/json" } });
  if (response.status !== 200) throw new Error(`move refused: ${response.status} ${await response.text()}`);
  for (;;) {
    const view = (await (await fetch(`${admin(1)}/v1/partitions/kafka/${TOPIC}/0`)).json()) as { status: string };
    const moves = (await (await fetch(`${admin(1)}/v1/partitions/reconfigurations`)).json()) as unknown[];
    if (view.status === "done" && moves.length === 0) break;
    await Bun.sleep(20); // poll interval: the measurement's resolution
  }
  return { seconds: (performance.now() - started) / 1000, fillSeconds };
}

for (const rate of rates) {
  const { seconds, fillSeconds } = await measure(rate);
  console.log(`move ${mib} MiB to another node, raft_learner_recovery_rate=${rate === "off" ? "off (1 TiB/s)" : `${rate} MiB/s`}: ${seconds.toFixed(2)} s (${(mib / seconds).toFixed(1)} MiB/s); fill ${fillSeconds.toFixed(1)} s`);
}

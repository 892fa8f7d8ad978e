/**
 * A compacted topic at RF=3 on three `dist/skua` processes: every replica compacts its own log (each
 * node's copy shrinks), kcat reads exactly the latest value of each key from the leader, and after
 * kill -9 of that leader from the new one; the killed node restarts and catches up.
 */
import { join } from "node:path";
import { expect, setDefaultTimeout, test } from "bun:test";
import { chaosKafka, topicState, waitSettled, withAdmin } from "../chaos/workload.ts";
import { pollUntil } from "../helpers/broker.ts";
import { bytesUnder } from "../helpers/disk-usage.ts";
import { startCluster } from "../helpers/cluster.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";

setDefaultTimeout(120_000);

const TOPIC = "table";
const KEYS = 200;
const RECORDS = 20_000;

test("a compacted topic at RF=3: every replica compacts; the latest value of each key is read from the leader, and from the next one after kill -9", async () => {
  await using cluster = await startCluster({ nodes: 3, sets: { log_compaction_interval_ms: 100, enable_leader_balancer: false } });
  const configs = { "cleanup.policy": "compact", "segment.bytes": "16384", "min.cleanable.dirty.ratio": "0.01" };
  await withAdmin(cluster.bootstrap, (admin) =>
    admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }], waitForLeaders: true }));
  await waitSettled(cluster.bootstrap, TOPIC, 30_000);

  const expected = new Map<string, string>();
  let payloadBytes = 0;
  const producer = chaosKafka(cluster.bootstrap, "compaction-writer").producer({ idempotent: true });
  await producer.connect();
  try {
    for (let sent = 0; sent < RECORDS; sent += 1000) {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `key-${(sent + i) % KEYS}`, value: `value-${sent + i}`.padEnd(40, ".") }));
      for (const m of messages) {
        expected.set(m.key, m.value);
        payloadBytes += m.key.length + m.value.length;
      }
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
    // Keys of their own push the records above out of the active segment, which is never compacted.
    const filler = Array.from({ length: 600 }, (_, i) => ({ key: `filler-${i}`, value: "f".repeat(40) }));
    for (const m of filler) expected.set(m.key, m.value);
    await producer.send({ topic: TOPIC, acks: -1, messages: filler });
  } finally {
    await producer.disconnect();
  }

  let sizes: number[] = [];
  await pollUntil("every node's copy to shrink to a tenth of what was written", async () => {
    sizes = cluster.nodes.map((n) => bytesUnder(join(n.dataDir, "kafka", TOPIC)));
    return sizes.every((bytes) => bytes * 10 <= payloadBytes) ? true : undefined;
  }, 30_000, 250).catch((error) => {
    throw new Error(`${error}: ${payloadBytes} payload bytes written, on disk now ${sizes.join(", ")}`);
  });
  console.log(`payload written ${payloadBytes} bytes; each node's copy after compaction: ${sizes.join(", ")} bytes`);

  const readBack = async () => {
    const lines = await kcatConsumeAll(cluster.bootstrap, TOPIC);
    expect(lines.length).toBe(expected.size);
    expect(new Map(lines.map((l) => [l.key, l.value]))).toEqual(expected);
    expect(lines.map((l) => l.offset)).toEqual([...lines.map((l) => l.offset)].sort((a, b) => a - b));
  };
  await readBack();

  const [before] = await topicState(cluster.bootstrap, TOPIC);
  await cluster.kill9(before!.leader);
  const others = cluster.nodes.filter((n) => n.id !== before!.leader).map((n) => n.kafkaAddress);
  await pollUntil("a new leader", async () => {
    const [now] = await topicState(others, TOPIC).catch(() => [undefined]);
    return now !== undefined && now.leader >= 0 && now.leader !== before!.leader ? true : undefined;
  }, 30_000, 100);
  await readBack();

  await cluster.start(before!.leader);
  const settled = await waitSettled(cluster.bootstrap, TOPIC, 30_000);
  expect(settled[0]!.isr.sort()).toEqual(cluster.nodes.map((n) => n.id).sort());
});

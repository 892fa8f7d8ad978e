/**
 * Racks (issue 13, item 5) on three `dist/skua` nodes with `--rack` a, b, c and
 * enable_rack_awareness: each node's rack in Metadata and /v1/brokers, an RF=3 topic's replicas on
 * distinct racks, and follower fetching (KIP-392): a kafkajs consumer with `rackId` set to a
 * follower's rack is told that follower by the leader (PreferredReadReplica) and reads every record
 * from it, as the nodes' follower-fetch metrics show; a consumer with no rack reads from the
 * leader as before (no follower serves it); kcat (librdkafka) with `client.rack` set to the other
 * follower's rack reads everything from that one. A node of one answers its `--rack` too.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { topicState, withAdmin } from "../chaos/workload.ts";
import { pollUntil, runSkua, startBroker } from "../helpers/broker.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";
import { startCluster, type Cluster } from "../helpers/cluster.ts";

setDefaultTimeout(60_000);

const TOPIC = "racked";
const RECORDS = 60;
const RACKS = ["a", "b", "c"];

const metric = async (cluster: Cluster, id: number, name: string): Promise<number> => {
  const text = await (await fetch(`${cluster.node(id).adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`node ${id} has no metric ${name}`);
  return Number(line.split(" ")[1]);
};
const followerBytes = (cluster: Cluster, id: number) => metric(cluster, id, "skua_kafka_follower_fetch_bytes_total");
const redirects = (cluster: Cluster, id: number) => metric(cluster, id, "skua_kafka_preferred_read_replica_answers_total");

/** Every record of the topic through a kafkajs consumer group (rackId "" : none); returns the values read. */
async function consumeAll(cluster: Cluster, group: string, rackId: string): Promise<string[]> {
  const kafka = new Kafka({ clientId: group, brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  const consumer = kafka.consumer({ groupId: group, rackId, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  const all = Promise.withResolvers<void>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value!.toString());
        if (values.length >= RECORDS) all.resolve();
      },
    });
    const timeout = setTimeout(() => all.reject(new Error(`read ${values.length} of ${RECORDS} records`)), 30_000);
    await all.promise.finally(() => clearTimeout(timeout));
    return values;
  } finally {
    await consumer.disconnect();
  }
}

test("racks in Metadata and /v1/brokers, replicas on distinct racks; a consumer in a follower's rack reads from that follower, one without a rack from the leader", async () => {
  await using cluster = await startCluster({
    nodes: 3, network: "loopback",
    // The leader stays where it is, so which node is a follower does not change under the test.
    sets: { enable_rack_awareness: "true", enable_leader_balancer: "false", group_initial_rebalance_delay: "0" },
    nodeArgs: (id) => ["--rack", RACKS[id]!],
  });
  const rackOf = (id: number) => RACKS[id]!;
  const listed = (await (await fetch(`${cluster.node(0).adminUrl}/v1/brokers`)).json()) as Array<{ node_id: number; rack: string | null }>;
  expect(listed.map((b) => [b.node_id, b.rack]).sort()).toEqual([[0, "a"], [1, "b"], [2, "c"]]);
  const info = await runSkua(["cluster", "info", "--brokers", cluster.bootstrap.join(","), "--format", "json"]);
  expect(info.code).toBe(0);
  expect((JSON.parse(info.stdout) as { brokers: Array<{ id: number; rack: string }> }).brokers.map((b) => [b.id, b.rack])).toEqual([[0, "a"], [1, "b"], [2, "c"]]);

  await withAdmin(cluster.bootstrap, async (admin) => {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const described = await admin.describeCluster();
    expect(described.brokers.length).toBe(3);
  });
  const state = await pollUntil("every replica in sync", async () => {
    const [p] = await topicState(cluster.bootstrap, TOPIC);
    return p && p.leader >= 0 && p.isr.length === 3 ? p : undefined;
  }, 20_000);
  expect(new Set(state.replicas.map(rackOf)).size).toBe(3);

  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: RECORDS }, (_, i) => ({ value: `v${i}` })) });
  await producer.disconnect();

  const follower = state.replicas.find((n) => n !== state.leader)!;
  const before = await followerBytes(cluster, follower);
  const read = await consumeAll(cluster, "in-rack", rackOf(follower));
  expect(read.slice(0, RECORDS)).toEqual(Array.from({ length: RECORDS }, (_, i) => `v${i}`));
  expect(await redirects(cluster, state.leader)).toBeGreaterThan(0);
  expect(await followerBytes(cluster, follower)).toBeGreaterThan(before);

  const served = await Promise.all(cluster.nodes.map((n) => followerBytes(cluster, n.id)));
  const redirected = await redirects(cluster, state.leader);
  const plain = await consumeAll(cluster, "no-rack", "");
  expect(plain.slice(0, RECORDS)).toEqual(read.slice(0, RECORDS));
  expect(await Promise.all(cluster.nodes.map((n) => followerBytes(cluster, n.id)))).toEqual(served);
  expect(await redirects(cluster, state.leader)).toBe(redirected);

  const other = state.replicas.find((n) => n !== state.leader && n !== follower)!;
  const otherBefore = await followerBytes(cluster, other);
  const lines = await kcatConsumeAll(cluster.bootstrap, TOPIC, ["-X", `client.rack=${rackOf(other)}`]);
  expect(lines.map((l) => l.value)).toEqual(read.slice(0, RECORDS));
  expect(await followerBytes(cluster, other)).toBeGreaterThan(otherBefore);
});

test("a node of one answers its --rack in Metadata", async () => {
  await using broker = await startBroker({ extraArgs: ["--rack", "solo"] });
  const info = await runSkua(["cluster", "info", "--brokers", broker.brokers.join(","), "--format", "json"]);
  expect(info.code).toBe(0);
  expect((JSON.parse(info.stdout) as { brokers: Array<{ rack: string }> }).brokers.map((b) => b.rack)).toEqual(["solo"]);
});

/**
 * Consumer groups in a three-node cluster (issue 11, item 5): the group's state is its partition
 * of the replicated `__consumer_offsets`, and its coordinator is that partition's leader. Two
 * kafkajs members bootstrapped through different nodes land on the same coordinator and split an
 * RF=3 topic; after kill -9 of the coordinator node the partition elects a new leader, the
 * members re-find the coordinator there and resume from the committed offsets (nothing skipped);
 * the killed node restarts and returns to the group partition's in-sync replicas.
 */
import { expect, test } from "bun:test";
import { Kafka, logLevel, type Consumer, type Producer } from "kafkajs";
import { groupPartitionOf } from "../../src/group/partitioning.ts";
import { adminGet, freePort, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";

const TOPIC = "orders";
const PARTITIONS = 4;
const GROUP = "billing";
const GROUP_TOPIC = "__consumer_offsets";

function nodeArgs(rpcPort: number, seeds: number[]): string[] {
  return ["--rpc-addr", `127.0.0.1:${rpcPort}`, "--seeds", seeds.map((p) => `127.0.0.1:${p}`).join(",")];
}

function kafkaOf(broker: Broker, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
}

/** The leader and in-sync replicas of the group's partition of `__consumer_offsets`, as a node's Metadata tells. */
async function groupPartitionLeader(broker: Broker): Promise<{ leader: number; isr: number[] } | undefined> {
  const admin = kafkaOf(broker, "probe").admin();
  try {
    await admin.connect();
    const [topic] = (await admin.fetchTopicMetadata({ topics: [GROUP_TOPIC] })).topics;
    const p = topic?.partitions.find((x) => x.partitionId === groupPartitionOf(GROUP));
    return p && p.leader >= 0 ? { leader: p.leader, isr: [...p.isr].sort() } : undefined;
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function produce(producer: Producer, from: number, count: number): Promise<void> {
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, partition: (from + i) % PARTITIONS }));
  await producer.send({ topic: TOPIC, acks: -1, messages });
}

test("a consumer group in a cluster: one coordinator for members on different nodes, failover to the new leader of its __consumer_offsets partition", async () => {
  const rpcPorts = [freePort(), freePort(), freePort()];
  // No leader balancer: each move of the group's partition would be one more coordinator change to sit out.
  const sets = { group_initial_rebalance_delay: 0, enable_leader_balancer: false };
  const nodes = await Promise.all(rpcPorts.map((port) => startBroker({ smp: 2, sets, extraArgs: nodeArgs(port, rpcPorts) })));
  const consumers: Consumer[] = [];
  let producer: Producer | null = null;
  try {
    await pollUntil("a controller leader and three nodes", async () => {
      const h = JSON.parse((await adminGet(nodes[0], "/v1/cluster/health_overview")).text) as { controller_id: number; all_nodes: number[] };
      return h.controller_id >= 0 && h.all_nodes.length === 3 ? true : undefined;
    }, 30_000);
    const admin = kafkaOf(nodes[0], "setup").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    // The group's coordinator, found once: the first FindCoordinator creates __consumer_offsets, whose partitions then elect leaders.
    await admin.describeGroups([GROUP]);
    await admin.disconnect();

    producer = kafkaOf(nodes[2], "producer").producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await produce(producer, 0, 40);

    // Two members, bootstrapped through different nodes.
    const seen: Array<{ member: number; partition: number; offset: number; value: string }> = [];
    let killedNode = -1;
    const survivorOr = (node: Broker) => (killedNode >= 0 && nodes[killedNode] === node ? nodes[(killedNode + 1) % 3] : node);
    const assigned: number[][] = [[], []];
    for (const member of [0, 1]) {
      // Bootstrapped through its own node; once that node is dead kafkajs (which re-bootstraps from its seeds) is given the others.
      // One retry: kafkajs retries a dead coordinator's connection until they run out (5 s apart), then restarts the consumer, which re-finds it.
      // Short fetch waits: a member hears of a rebalance in the heartbeat it sends between fetches.
      const bootstrap = async () => (nodes[member].running ? nodes[member].brokers : nodes.filter((n) => n.running).flatMap((n) => n.brokers));
      const kafka = new Kafka({ clientId: `member-${member}`, brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 500 } });
      const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 500, retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 500 } });
      consumer.on(consumer.events.GROUP_JOIN, (e) => (assigned[member] = (e.payload.memberAssignment[TOPIC] ?? []).slice().sort()));
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        autoCommitInterval: 200,
        eachMessage: async ({ partition, message }) => void seen.push({ member, partition, offset: Number(message.offset), value: String(message.value) }),
      });
      consumers.push(consumer);
    }

    // One coordinator for both: the partitions split between them, none twice.
    await pollUntil("both members assigned, the partitions split", async () =>
      assigned[0].length > 0 && assigned[1].length > 0 && [...assigned[0], ...assigned[1]].sort().join() === "0,1,2,3" ? true : undefined, 30_000);
    // Every message consumed, and each partition's committed offset just past the last one consumed there
    // (not the high watermark: the Raft log's control batches, such as a new leader's, take offsets too).
    const committedAll = async (messages: number) => {
      const a = kafkaOf(survivorOr(nodes[1]), "check").admin();
      try {
        await a.connect();
        const [t] = await a.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        const consumed = new Set(seen.map((s) => s.value)).size;
        const next = (p: number) => Math.max(...seen.filter((s) => s.partition === p).map((s) => s.offset)) + 1;
        return consumed === messages && t.partitions.every((p) => Number(p.offset) === next(p.partition)) ? true : undefined;
      } catch {
        return undefined;
      } finally {
        await a.disconnect().catch(() => {});
      }
    };
    await pollUntil("every message consumed and its offset committed", () => committedAll(40), 30_000);
    const before = await pollUntil("the group's coordinator", () => groupPartitionLeader(nodes[1]), 10_000);
    // Only coordinators write the internal topic.
    const forged = await producer.send({ topic: GROUP_TOPIC, acks: -1, messages: [{ value: "{}" }] }).catch((e: Error) => e);
    expect(String(forged)).toMatch(/invalid topic/i);

    // kill -9 the coordinator: its partition elects a new leader, which the members find and resume from.
    const killed = before.leader;
    await nodes[killed].kill9();
    killedNode = killed;
    const seenBeforeKill = seen.length;
    const survivor = nodes[(killed + 1) % 3];
    const after = await pollUntil("a new leader of the group's partition", async () => {
      const now = await groupPartitionLeader(survivor);
      return now && now.leader !== killed ? now : undefined;
    }, 20_000);
    expect(after.leader).not.toBe(killed);
    if (killed === 2) {
      await producer.disconnect();
      producer = kafkaOf(survivor, "producer-2").producer({ allowAutoTopicCreation: false });
      await producer.connect();
    }
    await produce(producer, 40, 40);
    await pollUntil("the new messages consumed and committed at the new coordinator", () => committedAll(80), 45_000);

    // Nothing was skipped: every message reached a member, on its partition; repeats only of uncommitted work.
    expect(new Set(seen.map((s) => s.value))).toEqual(new Set(Array.from({ length: 80 }, (_, i) => `v${i}`)));
    for (const s of seen) expect(s.partition).toBe(Number(s.value.slice(1)) % PARTITIONS);
    // What was committed before the kill is not delivered again: the new coordinator replayed the commits.
    expect(seen.slice(seenBeforeKill).filter((s) => Number(s.value.slice(1)) < 40)).toEqual([]);
    const repeats = seen.length - 80;
    console.log(`cluster-groups: ${seen.length} deliveries of 80 messages (${repeats} repeated, all uncommitted work after the failover), coordinator ${killed} -> ${after.leader}`);

    // The killed node comes back and returns to the group partition's in-sync replicas.
    await nodes[killed].restart();
    await pollUntil("the restarted node in the group partition's ISR", async () => {
      const now = await groupPartitionLeader(nodes[killed]);
      return now && now.isr.length === 3 ? now : undefined;
    }, 30_000);
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
    await producer?.disconnect().catch(() => {});
    await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
  }
}, 150_000);

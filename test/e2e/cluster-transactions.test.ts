/**
 * Transactions in a three-node cluster (issue 15, items 2 and 4): the transaction log is the
 * replicated `__transaction_state`, the coordinator of a transactional id is the leader of its
 * partition, and markers reach RF=3 partitions through Raft. A kafkajs transactional producer
 * commits and aborts across three partitions, with a group's offsets sent in each transaction;
 * read_committed sees only the committed records, in order, and the group only the committed
 * offset. Then a transaction is left open (AddPartitions and sends done, no EndTxn) and the
 * coordinator's node is killed with -9: a new producer with the same transactional id re-inits on
 * the new leader of the id's partition, which fences and aborts the open transaction (never half
 * visible), and the committed data before it is intact.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { txnPartitionOf } from "../../src/txn/partitioning.ts";
import { topicState } from "../chaos/workload.ts";
import { adminGet, freePort, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";

setDefaultTimeout(60_000);

const TOPIC = "ledger";
const PARTITIONS = 3;
const TXN_ID = "ledger-writer";
const TXN_TOPIC = "__transaction_state";
const GROUP_TOPIC = "__consumer_offsets";
const GROUP = "ledger-processor";

function nodeArgs(rpcPort: number, seeds: number[]): string[] {
  return ["--rpc-addr", `127.0.0.1:${rpcPort}`, "--seeds", seeds.map((p) => `127.0.0.1:${p}`).join(",")];
}

function kafkaOf(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 10_000, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
}

function txnProducer(kafka: Kafka): Producer {
  return kafka.producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, transactionTimeout: 60_000 });
}

/** The leader of the transactional id's `__transaction_state` partition (its coordinator), as a running node's admin API tells. */
async function coordinatorNode(nodes: Broker[]): Promise<number | undefined> {
  const node = nodes.find((n) => n.running)!;
  try {
    const view = JSON.parse((await adminGet(node, `/v1/partitions/kafka/${TXN_TOPIC}/${txnPartitionOf(TXN_ID)}`)).text) as PartitionView;
    return view.leader_id >= 0 && nodes[view.leader_id]?.running ? view.leader_id : undefined;
  } catch {
    return undefined;
  }
}

/** Every value a fresh consumer reads from the start, by partition, once `expected` arrived and 1 s more passed without another. */
async function readValues(kafka: Kafka, expected: number, readUncommitted: boolean): Promise<Map<number, string[]>> {
  const consumer = kafka.consumer({ groupId: `reader-${crypto.randomUUID()}`, readUncommitted, maxWaitTimeInMs: 200 });
  const byPartition = new Map<number, string[]>();
  let count = 0;
  let lastMs = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), String(message.value)]);
        count++;
        lastMs = Date.now();
      },
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (count < expected || Date.now() - lastMs < 1000)) await Bun.sleep(50);
  } finally {
    await consumer.disconnect();
  }
  return byPartition;
}

async function sendRound(producer: Producer, name: string, count: number, end: "commit" | "abort" | "open", offset?: number): Promise<void> {
  const txn = await producer.transaction();
  for (let i = 0; i < count; i++) await txn.send({ topic: TOPIC, acks: -1, messages: [{ partition: i % PARTITIONS, value: `${name}-${i}` }] });
  // Consume-transform-produce's offsets, committed inside the transaction (the group's coordinator may be another node).
  if (offset !== undefined) await txn.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: String(offset) }] }] });
  if (end === "commit") await txn.commit();
  else if (end === "abort") await txn.abort();
}

/** The values of the named rounds as each partition holds them, in order. */
function expectedOf(rounds: string[], count: number): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const name of rounds) for (let i = 0; i < count; i++) out.set(i % PARTITIONS, [...(out.get(i % PARTITIONS) ?? []), `${name}-${i}`]);
  return out;
}

/** The group's committed offset of partition 0. */
async function committedOffset(brokers: string[]): Promise<number> {
  const admin = kafkaOf(brokers, "offsets").admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return Number(t!.partitions.find((p) => p.partition === 0)!.offset);
  } finally {
    await admin.disconnect();
  }
}

interface PartitionView {
  leader_id: number;
  raft_group_id: number;
  replicas: Array<{ in_sync: boolean }>;
}

/** Moves the leadership of the topic's partition 0 to `node` (admin API), unless it leads already. */
async function leadPartitionZero(nodes: Broker[], node: number): Promise<void> {
  const view = async () => JSON.parse((await adminGet(nodes[node], `/v1/partitions/kafka/${TOPIC}/0`)).text) as PartitionView;
  const now = await pollUntil("partition 0 in sync", async () => {
    const v = await view();
    return v.leader_id >= 0 && v.replicas.every((r) => r.in_sync) ? v : undefined;
  }, 20_000);
  if (now.leader_id === node) return;
  const moved = await fetch(`${nodes[now.leader_id].adminUrl}/v1/raft/${now.raft_group_id}/transfer_leadership?target=${node}`, { method: "POST", headers: { "content-type": "application/json" } });
  expect(moved.status).toBe(200);
  await pollUntil("partition 0 led by the coordinator's node", async () => ((await view()).leader_id === node ? true : undefined), 20_000);
}

const sortedEntries = (m: Map<number, string[]>) => [...m.entries()].sort((a, b) => a[0] - b[0]);

test("transactions in a cluster: commit and abort over RF=3 partitions; kill -9 of the coordinator mid-transaction aborts it on the new coordinator", async () => {
  const rpcPorts = [freePort(), freePort(), freePort()];
  // Leaderships are placed by hand below (the coordinator's node leads partition 0): no balancer moving them.
  const sets = { group_initial_rebalance_delay: 0, enable_leader_balancer: false };
  const nodes: Broker[] = await Promise.all(rpcPorts.map((port) => startBroker({ smp: 2, sets, extraArgs: nodeArgs(port, rpcPorts) })));
  try {
    await pollUntil("a controller leader and three nodes", async () => {
      const h = JSON.parse((await adminGet(nodes[0], "/v1/cluster/health_overview")).text) as { controller_id: number; all_nodes: number[] };
      return h.controller_id >= 0 && h.all_nodes.length === 3 ? true : undefined;
    }, 30_000);
    const all = nodes.flatMap((n) => n.brokers);
    const admin = kafkaOf(all, "setup").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const first = txnProducer(kafkaOf(all, "writer-1"));
    await first.connect();
    // The first transaction's FindCoordinator creates __transaction_state; InitProducerId runs on the leader of the id's partition.
    await sendRound(first, "c1", 9, "commit");
    // The coordinator's node also leads partition 0, so after its kill a former follower must answer
    // read_committed from what it derived of the replicated log (the LSO, the aborted transactions).
    const coordinator = await pollUntil("the transactional id's coordinator", () => coordinatorNode(nodes), 10_000);
    await leadPartitionZero(nodes, coordinator);
    await sendRound(first, "a1", 9, "abort", 3);
    await sendRound(first, "c2", 9, "commit", 7);

    const committed = expectedOf(["c1", "c2"], 9);
    expect(sortedEntries(await readValues(kafkaOf(all, "rc-1"), 18, false))).toEqual(sortedEntries(committed));
    expect([...(await readValues(kafkaOf(all, "ru-1"), 27, true)).values()].flat().length).toBe(27);
    expect(await committedOffset(all)).toBe(7); // the aborted round's offset never showed

    // A transaction left open on every partition, then kill -9 of its coordinator's node.
    expect(await coordinatorNode(nodes)).toBe(coordinator);
    await sendRound(first, "open", 9, "open", 11);
    await nodes[coordinator].kill9();
    void first.disconnect().catch(() => {});
    const survivors = nodes.filter((n) => n.running).flatMap((n) => n.brokers);
    const moved = await pollUntil("a new coordinator", async () => {
      const now = await coordinatorNode(nodes);
      return now !== undefined && now !== coordinator ? now : undefined;
    }, 20_000);
    expect(moved).not.toBe(coordinator);
    // What a client waits for before going on: every partition led by a live node as every survivor tells, the
    // internal topics' too (the readers' groups and the transactional id live there; the dead node led some).
    await pollUntil("every partition led by a live node, on every survivor", async () => {
      for (const node of nodes.filter((n) => n.running)) {
        for (const topic of [TOPIC, TXN_TOPIC, GROUP_TOPIC]) {
          if (!(await topicState(node.brokers, topic)).every((p) => p.leader >= 0 && nodes[p.leader]?.running)) return undefined;
        }
      }
      return true;
    }, 20_000);

    // The new coordinator rebuilt the id from the replicated log: InitProducerId fences and aborts the open transaction.
    const second = txnProducer(kafkaOf(survivors, "writer-2"));
    await second.connect();
    await sendRound(second, "c3", 9, "commit");
    await second.disconnect();
    // The open transaction's offset was dropped with it. Polled: until the group's partition has a new leader, a
    // survivor may still name the dead node as the group's coordinator, and kafkajs's fetchOffsets does not retry that.
    const offsetAfter = await pollUntil("the group's committed offset read from its coordinator", () => committedOffset(survivors).catch(() => undefined), 20_000);
    expect(offsetAfter).toBe(7);

    // The open transaction is gone for read_committed (its abort markers were written), c3 after it is visible, c1 and c2 intact.
    const afterFailover = await readValues(kafkaOf(survivors, "rc-2"), 27, false);
    expect(sortedEntries(afterFailover)).toEqual(sortedEntries(expectedOf(["c1", "c2", "c3"], 9)));
    // read_uncommitted still sees the aborted records: they were written, and ended by markers, not lost.
    const uncommitted = [...(await readValues(kafkaOf(survivors, "ru-2"), 45, true)).values()].flat();
    expect(uncommitted.filter((v) => v.startsWith("open-")).length).toBe(9);
  } finally {
    await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
  }
});

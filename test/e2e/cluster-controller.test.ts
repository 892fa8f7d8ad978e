/**
 * The controller on Raft across three `dist/skua` processes: founders agree on a controller
 * leader, topics created through any node reach every node's metadata (placed over distinct
 * nodes), a killed controller leader is replaced and metadata changes keep working, the killed
 * node rejoins with its data and catches up, and a fourth node joins through a seed and is
 * given the next node id.
 */
import { expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.ts";
import { adminGet, freePort, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";

interface Health { is_healthy: boolean; controller_id: number; all_nodes: number[]; nodes_down: number[]; leaderless_count: number }

async function health(broker: Broker): Promise<Health> {
  const { status, text } = await adminGet(broker, "/v1/cluster/health_overview");
  expect(status).toBe(200);
  return JSON.parse(text) as Health;
}

function nodeArgs(rpcPort: number, seeds: number[], nodeId?: number): string[] {
  return [...(nodeId === undefined ? [] : ["--node-id", String(nodeId)]), "--rpc-addr", `127.0.0.1:${rpcPort}`, "--seeds", seeds.map((p) => `127.0.0.1:${p}`).join(",")];
}

async function topicsOn(broker: Broker): Promise<string[]> {
  const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).sort();
  } finally {
    await admin.disconnect();
  }
}

/** The replicas of every partition of a topic, as the controller placed them (from a node's metadata log). */
function placement(broker: Broker, topic: string): number[][] {
  const path = join(broker.dataDir, "controller", "metadata.log");
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "latin1");
  const at = text.lastIndexOf(`"name":"${topic}"`);
  const match = /"assignments":(\[.*?\]\}\])/.exec(text.slice(at));
  return match ? (JSON.parse(match[1]) as Array<{ replicas: Array<{ node: number }> }>).map((a) => a.replicas.map((r) => r.node)) : [];
}

test("three founders elect a controller, replicate topic metadata, survive the leader's kill -9, and let a fourth node join", async () => {
  const rpcPorts = [freePort(), freePort(), freePort()];
  const nodes = await Promise.all(rpcPorts.map((port) => startBroker({ smp: 2, extraArgs: nodeArgs(port, rpcPorts) })));
  try {
    const formed = await pollUntil("a controller leader and three registered nodes", async () => {
      const h = await health(nodes[0]);
      return h.controller_id >= 0 && h.all_nodes.length === 3 ? h : undefined;
    }, 30_000);
    expect(formed.all_nodes).toEqual([0, 1, 2]); // founders take their position in the seed list as id
    const leader = formed.controller_id;
    const follower = nodes[(leader + 1) % 3];

    // Created through a follower (forwarded to the leader); every node lists it once the call returns on that node.
    const admin = new Kafka({ brokers: follower.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "placed", numPartitions: 6, replicationFactor: 3 }] });
      const refused = await admin.createTopics({ topics: [{ topic: "too-many", numPartitions: 1, replicationFactor: 4 }] }).catch((e: { errors?: Array<{ type: string }> }) => e);
      expect((refused as { errors: Array<{ type: string }> }).errors[0].type).toBe("INVALID_REPLICATION_FACTOR");
    } finally {
      await admin.disconnect();
    }
    for (const node of nodes) await pollUntil("the topic in every node's metadata", async () => ((await topicsOn(node)).includes("placed") ? true : undefined), 10_000);
    const replicas = placement(follower, "placed");
    expect(replicas).toHaveLength(6);
    for (const r of replicas) expect([...r].sort()).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((n) => replicas.filter((r) => r[0] === n).length)).toEqual([2, 2, 2]); // preferred leaders spread

    // A new topic's partitions elect their first replica at once: every node names every leader well
    // within one election timeout (1.5 s; a random [T, 2T) wait made it 1.5–3 s), and the answer
    // says what was created.
    const clients = nodes.map((n) => new KafkaClient([{ host: "127.0.0.1", port: n.kafkaPort }]));
    try {
      const askedAt = performance.now();
      const created = await clients[nodes.indexOf(follower)]!.call("CreateTopics", { topics: [{ name: "prompt", numPartitions: 6, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
      expect(created.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 6, replicationFactor: 3 });
      const leadersByNode: number[][] = [];
      for (const c of clients) {
        const partitions = await pollUntil("every leader of the new topic", async () => {
          const partitions = (await c.metadata(["prompt"])).topics[0]?.partitions ?? [];
          return partitions.length === 6 && partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0) ? partitions : undefined;
        }, 10_000, 5);
        leadersByNode.push(partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId));
      }
      expect(performance.now() - askedAt).toBeLessThan(1_200);
      const preferred = placement(follower, "prompt").map((r) => r[0]);
      for (const leaders of leadersByNode) expect(leaders).toEqual(preferred);
    } finally {
      for (const c of clients) c.close();
    }

    // kill -9 the controller leader: another is elected and metadata changes keep working.
    await nodes[leader].kill9();
    const survivor = nodes[(leader + 1) % 3];
    const after = await pollUntil("a new controller leader", async () => {
      const h = await health(survivor);
      return h.controller_id >= 0 && h.controller_id !== leader ? h : undefined;
    }, 20_000);
    expect(after.nodes_down).toContain(leader);
    const admin2 = new Kafka({ brokers: survivor.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin2.connect();
    try {
      // What a client waits for: the survivor's Metadata no longer names the killed node as controller.
      await pollUntil("the survivor's Metadata names a live controller", async () => ((await admin2.describeCluster()).controller !== leader ? true : undefined), 10_000);
      await admin2.createTopics({ topics: [{ topic: "after-failover", numPartitions: 1, replicationFactor: 3 }] });
    } finally {
      await admin2.disconnect();
    }

    // The killed node comes back with its data and catches up with what it missed.
    await nodes[leader].restart();
    await pollUntil("the restarted node caught up", async () => (JSON.stringify(await topicsOn(nodes[leader])) === JSON.stringify(["after-failover", "placed", "prompt"]) ? true : undefined), 20_000);
    const logs = nodes.map((n) => readFileSync(join(n.dataDir, "controller", "metadata.log")));
    await pollUntil("identical metadata logs", async () => {
      const now = nodes.map((n) => readFileSync(join(n.dataDir, "controller", "metadata.log")).toString("hex"));
      return now.every((l) => l === now[0]) ? true : undefined;
    }, 10_000);
    expect(logs.length).toBe(3);

    // A fourth node joins through one seed, with no id of its own: it gets the next one.
    await using fourth = await startBroker({ smp: 1, extraArgs: nodeArgs(freePort(), [rpcPorts[1]]) });
    expect(readFileSync(join(fourth.dataDir, "node_id"), "utf8").trim()).toBe("3");
    expect(readFileSync(join(fourth.dataDir, "cluster_id"), "utf8")).toBe(readFileSync(join(nodes[0].dataDir, "cluster_id"), "utf8"));
    await pollUntil("the new node in the node list", async () => ((await health(nodes[0])).all_nodes.includes(3) ? true : undefined), 10_000);
    // It learns every partition's leader from the others within seconds (what its Metadata answers a
    // client bootstrapping from it), not at their next whole report, ten seconds apart.
    await pollUntil("the new node knows every partition's leader", async () => ((await health(fourth)).leaderless_count === 0 ? true : undefined), 4_000);
    const fourthTopics = await topicsOn(fourth);
    expect(fourthTopics).toEqual(["after-failover", "placed", "prompt"]);
    await fourth.restart(); // rejoins with its data: same id, no second join
    expect(readFileSync(join(fourth.dataDir, "node_id"), "utf8").trim()).toBe("3");
    expect((await health(nodes[0])).all_nodes).toEqual([0, 1, 2, 3]);
  } finally {
    await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
  }
}, 180_000);

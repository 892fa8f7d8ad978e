/**
 * Consumer groups with real clients against the compiled broker (--smp 2): kafkajs consumers
 * and kcat balanced consumers (librdkafka) split partitions, take over a leaver's partitions,
 * read every record exactly once, and resume from committed offsets after a broker restart.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import type { Consumer, Kafka } from "kafkajs";
import { pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withAdmin, withProducer } from "../helpers/kafka.ts";
import { kcat } from "../helpers/kcat.ts";
import { KcatGroupConsumer } from "../helpers/kcat-group.ts";

setDefaultTimeout(120_000);

const PARTITIONS = 6;
const ALL_PARTITIONS = [0, 1, 2, 3, 4, 5];

interface Member {
  consumer: Consumer;
  assignment: number[];
  consumed: Array<{ partition: number; value: string }>;
}

async function startMember(kafka: Kafka, groupId: string, topic: string): Promise<Member> {
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 300, sessionTimeout: 10_000, rebalanceTimeout: 20_000, maxWaitTimeInMs: 200 });
  const member: Member = { consumer, assignment: [], consumed: [] };
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    member.assignment = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void member.consumed.push({ partition, value: message.value!.toString() }) });
  return member;
}

/** Resolves once the members' latest assignments are disjoint, non-empty and cover every partition. */
function waitForSplit(what: string, assignments: () => number[][]): Promise<number[][]> {
  return pollUntil(what, async () => {
    const current = assignments();
    const all = current.flat().sort((a, b) => a - b);
    return current.every((a) => a.length > 0) && JSON.stringify(all) === JSON.stringify(ALL_PARTITIONS) ? current : undefined;
  }, 40_000, 50);
}

async function produce(kafka: Kafka, topic: string, prefix: string, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await withProducer(kafka, (producer) => producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: `k${i}`, value })) }));
  return values;
}

describe("consumer groups with kafkajs and kcat (--smp 2)", () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 300 } });
    kafka = kafkaClient(broker);
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("kafkajs: three members split 6 partitions, two take over the third's, every record once; a restart resumes from committed offsets", async () => {
    const topic = "kjs-events";
    await createTopic(kafka, topic, PARTITIONS);
    const members = await Promise.all([0, 1, 2].map(() => startMember(kafka, "kjs", topic)));
    try {
      await waitForSplit("three disjoint assignments", () => members.map((m) => m.assignment));
      const first = await produce(kafka, topic, "a", 600);
      const consumed = () => members.flatMap((m) => m.consumed);
      await pollUntil("600 consumed", async () => (consumed().length >= 600 ? true : undefined), 30_000);
      for (const m of members) for (const c of m.consumed) expect(m.assignment).toContain(c.partition);

      await members[2].consumer.disconnect();
      const remaining = members.slice(0, 2);
      await waitForSplit("two members cover the leaver's partitions", () => remaining.map((m) => m.assignment));
      const second = await produce(kafka, topic, "b", 600);
      await pollUntil("1200 consumed", async () => (consumed().length >= 1200 ? true : undefined), 30_000);
      await Bun.sleep(500); // room for a duplicate to show up
      expect(consumed().map((c) => c.value).sort()).toEqual([...first, ...second].sort());
      for (const m of remaining) await m.consumer.disconnect();
    } finally {
      for (const m of members) await m.consumer.disconnect().catch(() => undefined);
    }

    expect(await broker.stop("SIGTERM")).toBe(0);
    await broker.restart();
    kafka = kafkaClient(broker);
    const third = await produce(kafka, topic, "c", 300);
    const resumed = await startMember(kafka, "kjs", topic);
    try {
      await pollUntil("300 new consumed", async () => (resumed.consumed.length >= 300 ? true : undefined), 30_000);
      await Bun.sleep(500);
      expect(resumed.consumed.map((c) => c.value).sort()).toEqual(third.sort());
    } finally {
      await resumed.consumer.disconnect();
    }
  });

  test("kafkajs admin: listGroups, describeGroups, fetchOffsets, setOffsets, deleteGroups", async () => {
    const topic = "kjs-admin";
    await createTopic(kafka, topic, 2);
    await withAdmin(kafka, async (admin) => {
      await admin.setOffsets({ groupId: "admin-group", topic, partitions: [{ partition: 0, offset: "5" }, { partition: 1, offset: "7" }] });
      const offsets = await admin.fetchOffsets({ groupId: "admin-group", topics: [topic] });
      expect(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, "5"], [1, "7"]]);
      const member = await startMember(kafka, "admin-live", topic);
      try {
        await pollUntil("a stable live group", async () => (member.assignment.length === 2 ? true : undefined), 20_000);
        const { groups } = await admin.listGroups();
        expect(groups.map((g) => g.groupId).sort()).toEqual(expect.arrayContaining(["admin-group", "admin-live"]));
        const described = await admin.describeGroups(["admin-live", "admin-group"]);
        expect(described.groups.map((g) => [g.groupId, g.state, g.protocolType, g.members.length])).toEqual([["admin-live", "Stable", "consumer", 1], ["admin-group", "Empty", "consumer", 0]]); // kafkajs setOffsets commits through a short-lived consumer
        await expect(admin.deleteGroups(["admin-live"])).rejects.toThrow();
      } finally {
        await member.consumer.disconnect();
      }
      const deleted = await admin.deleteGroups(["admin-group", "admin-live"]);
      expect(deleted.map((d) => d.errorCode)).toEqual([0, 0]);
      const after = await admin.fetchOffsets({ groupId: "admin-group", topics: [topic] });
      expect(after[0].partitions.map((p) => p.offset)).toEqual(["-1", "-1"]);
    });
  });

  test("kcat -G: two balanced consumers split 6 partitions, each line read once; committed offsets are honoured after a restart", async () => {
    const topic = "kcat-lines";
    await createTopic(kafka, topic, PARTITIONS);
    const a = new KcatGroupConsumer(broker.brokers, "kcat-group", topic);
    const b = new KcatGroupConsumer(broker.brokers, "kcat-group", topic);
    try {
      const split = await waitForSplit("two kcat consumers split the partitions", () => [a.assignment ?? [], b.assignment ?? []]);
      const lines = Array.from({ length: 300 }, (_, i) => `k${i}:line-${i}`);
      await kcat(["-b", broker.brokers[0], "-P", "-t", topic, "-K:", "-X", "acks=all"], { stdin: lines.join("\n") + "\n" });
      await pollUntil("300 lines consumed", async () => (a.lines.length + b.lines.length >= 300 ? true : undefined), 30_000);
      await Bun.sleep(500);
      expect([...a.lines, ...b.lines].map((l) => l.value).sort()).toEqual(lines.map((l) => l.split(":")[1]).sort());
      for (const l of a.lines) expect(split[0]).toContain(l.partition);
      for (const l of b.lines) expect(split[1]).toContain(l.partition);
    } finally {
      await a.stop();
      await b.stop();
    }

    expect(await broker.stop("SIGTERM")).toBe(0);
    await broker.restart();
    const more = Array.from({ length: 100 }, (_, i) => `m${i}:more-${i}`);
    await kcat(["-b", broker.brokers[0], "-P", "-t", topic, "-K:", "-X", "acks=all"], { stdin: more.join("\n") + "\n" });
    const out = await kcat(["-b", broker.brokers[0], "-G", "kcat-group", topic, "-e", "-q", "-f", "%s\n", "-X", "auto.offset.reset=earliest"], { timeoutMs: 60_000 });
    expect(out.split("\n").filter((l) => l !== "").sort()).toEqual(more.map((l) => l.split(":")[1]).sort());
  });

  test("kcat -G static members (group.instance.id): a member restarted within its session gets its partitions back without a rebalance", async () => {
    const topic = "kcat-static";
    await createTopic(kafka, topic, PARTITIONS);
    const settings = (instance: string) => ["-X", `group.instance.id=${instance}`, "-X", "session.timeout.ms=20000"];
    const stays = new KcatGroupConsumer(broker.brokers, "kcat-static-group", topic, settings("stays"));
    let restarted = new KcatGroupConsumer(broker.brokers, "kcat-static-group", topic, settings("restarts"));
    try {
      const [staysPartitions, restartedPartitions] = await waitForSplit("two static members split the partitions", () => [stays.assignment ?? [], restarted.assignment ?? []]);
      const rebalancesBefore = stays.stderr.split("rebalanced").length;
      await restarted.kill9();
      restarted = new KcatGroupConsumer(broker.brokers, "kcat-static-group", topic, settings("restarts"));
      await pollUntil("the restarted member has its partitions again", async () => (JSON.stringify(restarted.assignment) === JSON.stringify(restartedPartitions) ? true : undefined), 15_000, 50);
      await Bun.sleep(1000); // heartbeats of the member that stayed would have seen a rebalance by now
      expect(stays.stderr.split("rebalanced").length).toBe(rebalancesBefore);
      expect(stays.assignment).toEqual(staysPartitions);
    } finally {
      await stays.stop();
      await restarted.stop();
    }
  });

  test("kcat -G: a member killed with SIGKILL is dropped at its session timeout and the survivor takes all partitions", async () => {
    const topic = "kcat-crash";
    await createTopic(kafka, topic, PARTITIONS);
    const session = ["-X", "session.timeout.ms=6000"];
    const survivor = new KcatGroupConsumer(broker.brokers, "kcat-crash-group", topic, session);
    const victim = new KcatGroupConsumer(broker.brokers, "kcat-crash-group", topic, session);
    try {
      await waitForSplit("two kcat consumers split the partitions", () => [survivor.assignment ?? [], victim.assignment ?? []]);
      const killedAtMs = Date.now();
      await victim.kill9();
      await pollUntil("the survivor owns every partition", async () => (JSON.stringify(survivor.assignment) === JSON.stringify(ALL_PARTITIONS) ? true : undefined), 30_000, 50);
      expect(Date.now() - killedAtMs).toBeGreaterThanOrEqual(5_000); // not before the session timed out
      const lines = Array.from({ length: 60 }, (_, i) => `k${i}:after-${i}`);
      await kcat(["-b", broker.brokers[0], "-P", "-t", topic, "-K:", "-X", "acks=all"], { stdin: lines.join("\n") + "\n" });
      await pollUntil("60 lines consumed by the survivor", async () => (survivor.lines.length >= 60 ? true : undefined), 30_000);
      expect(survivor.lines.map((l) => l.value).sort()).toEqual(lines.map((l) => l.split(":")[1]).sort());
    } finally {
      await survivor.stop();
      await victim.stop().catch(() => undefined);
    }
  });
});

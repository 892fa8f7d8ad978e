/**
 * kcat (librdkafka) against the compiled broker (--smp 2): produce keyed lines with
 * every compression codec and acks=all, consume them back without a group, and read
 * the cluster metadata.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { kcat, kcatConsumeAll } from "../helpers/kcat.ts";
import { expectExactly, type Produced } from "../helpers/verify.ts";

setDefaultTimeout(60_000);

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
const LINES = 400;
const PARTITIONS = 3;

describe("kcat producer and consumer (--smp 2)", () => {
  let broker: Broker;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2 });
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  for (const codec of CODECS) {
    test(`${codec}: ${LINES} keyed lines produced with acks=all come back exactly, per partition in order`, async () => {
      const topic = `lines-${codec}`;
      await createTopic(kafkaClient(broker), topic, PARTITIONS);
      const produced: Produced[] = Array.from({ length: LINES }, (_, i) => ({
        key: `k${i % 37}`,
        // Repetitive values so that every codec really compresses.
        value: `${codec}-line-${i}-${"abcdefgh".repeat(1 + (i % 20))}`,
      }));
      await kcat(
        ["-b", broker.brokers[0], "-P", "-t", topic, "-K:", "-z", codec, "-X", "acks=all", "-X", "linger.ms=5"],
        { stdin: produced.map((p) => `${p.key}:${p.value}\n`).join("") },
      );
      const consumed = await kcatConsumeAll(broker.brokers, topic);
      const groups = expectExactly(consumed, produced);
      expect(groups.size).toBeGreaterThan(1);

      // The plain format the brief names, too.
      const plain = await kcat(["-b", broker.brokers[0], "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k:%s\n"]);
      expect(plain.split("\n").filter(Boolean).sort()).toEqual(produced.map((p) => `${p.key}:${p.value}`).sort());
    });
  }

  test("kcat -L lists the broker, the topic and its partitions led by the broker", async () => {
    const topic = "listed";
    await createTopic(kafkaClient(broker), topic, 4);
    const json = JSON.parse(await kcat(["-b", broker.brokers[0], "-L", "-J"]));
    expect(json.brokers).toHaveLength(1);
    const [{ id: brokerId, name: brokerName }] = json.brokers;
    expect(brokerName).toBe(broker.brokers[0]);
    const listed = json.topics.find((t: any) => t.topic === topic);
    expect(listed).toBeDefined();
    expect(listed.partitions.map((p: any) => p.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const p of listed.partitions) expect(p.leader).toBe(brokerId);

    const text = await kcat(["-b", broker.brokers[0], "-L", "-t", topic]);
    expect(text).toContain(`topic "${topic}" with 4 partitions`);
  });
});

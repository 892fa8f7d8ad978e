/**
 * A fetch whose min_bytes is not met sleeps: a librdkafka consumer with fetch.min.bytes=1000000
 * and fetch.wait.max.ms=30000 on a partition holding a few hundred bytes leaves the broker near
 * idle, and another client's produce (which wakes the fetch, still short of min_bytes) is
 * answered at once.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { processCpuSeconds } from "../../bench/lib/broker.ts";
import { startBroker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { spawnKcat } from "../helpers/kcat.ts";

setDefaultTimeout(60_000);

const WINDOW_PRODUCES = 8;
const PRODUCE_GAP_MS = 400;
const CPU_SHARE_MAX = 0.2;
const PRODUCE_LATENCY_MS_MAX = 1000;

test("a fetch waiting for fetch.min.bytes costs no CPU, and produce to the same shard stays fast", async () => {
  await using broker = await startBroker({ smp: 1 });
  const kafka = kafkaClient(broker);
  await createTopic(kafka, "small", 1);
  await withProducer(kafka, async (producer) => {
    await producer.send({ topic: "small", acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `before-${i}` })) });
    await using consumer = spawnKcat([
      "-b", broker.brokers[0], "-C", "-t", "small", "-p", "0", "-o", "beginning", "-q", "-u", "-d", "fetch",
      "-X", "fetch.min.bytes=1000000", "-X", "fetch.wait.max.ms=30000",
    ]);
    await consumer.stderrLine(/Fetch topic small \[0\] at offset 0/);

    const cpuBefore = processCpuSeconds(broker.pid)!;
    const startedMs = performance.now();
    const latenciesMs: number[] = [];
    for (let i = 0; i < WINDOW_PRODUCES; i++) {
      const sentMs = performance.now();
      await producer.send({ topic: "small", acks: -1, messages: [{ value: `during-${i}` }] });
      latenciesMs.push(performance.now() - sentMs);
      await Bun.sleep(PRODUCE_GAP_MS); // the pace of the other client, not a wait for an event
    }
    const cpuShare = (processCpuSeconds(broker.pid)! - cpuBefore) / ((performance.now() - startedMs) / 1000);

    console.log(`broker CPU ${(cpuShare * 100).toFixed(1)}% of a core during the wait; produce latency max ${Math.max(...latenciesMs).toFixed(0)} ms`);
    expect(Math.max(...latenciesMs)).toBeLessThan(PRODUCE_LATENCY_MS_MAX);
    expect(cpuShare).toBeLessThan(CPU_SHARE_MAX);
    // Still waiting: nothing reached the consumer, as min_bytes was never met.
    expect(consumer.lines.filter(Boolean)).toEqual([]);
  });
});

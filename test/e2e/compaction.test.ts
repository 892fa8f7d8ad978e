/**
 * Compacted topics end to end: cleanup.policy on create and alter, keyless records refused with
 * INVALID_RECORD and per-record errors (raw frames and kcat/librdkafka), compaction in the
 * background leaving one value per key for kafkajs and kcat consumers, tombstoned keys gone after
 * delete.retention.ms, the data dir shrinking, Kafka Connect's three internal topics, and kill -9
 * while compaction runs.
 */
import { join } from "node:path";
import { expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { bytesUnder } from "../helpers/disk-usage.ts";
import { kafkaClient, withAdmin, withProducer } from "../helpers/kafka.ts";
import { runCompactionCrashCycles } from "../helpers/compaction-crash.ts";
import { kcat, kcatConsumeAll } from "../helpers/kcat.ts";
import { ApiKey, fetchAll, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

async function createCompacted(client: WireClient, name: string, partitions: number, configs: Record<string, string> = {}, replicationFactor = 1): Promise<number> {
  const created: any = await client.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries({ "cleanup.policy": "compact", ...configs }).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return created.topics[0].errorCode;
}

/** Bytes of every file under the topic's partition directories. */
function topicBytesOnDisk(broker: Broker, topic: string): number {
  return bytesUnder(join(broker.dataDir, "kafka", topic));
}

test("a compacted topic refuses keyless records with INVALID_RECORD and record errors; other partitions of the request are written", async () => {
  await using broker = await startBroker({ smp: 2 });
  const client = await WireClient.connect(broker.kafkaPort);
  expect(await createCompacted(client, "table", 2)).toBe(ErrorCode.NONE);
  const mixed = buildBatch({ records: [{ key: "a", value: "1" }, { key: null, value: "2" }, { key: "c", value: "3" }, { key: null, value: "4" }] });
  const keyed = buildBatch({ records: [{ key: "k", value: "v" }] });
  const answer = await produce(client, "table", [{ partition: 0, records: mixed }, { partition: 1, records: keyed }]);
  const [p0, p1] = answer.responses[0].partitionResponses as any[];
  expect(p0.errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(p0.recordErrors.map((e: any) => e.batchIndex)).toEqual([1, 3]);
  expect(p0.recordErrors[0].batchIndexErrorMessage).toBe("Compacted topic cannot accept message without key in topic partition table-0.");
  expect(p0.errorMessage).toContain("2 record errors");
  expect(p1.errorCode).toBe(ErrorCode.NONE);
  const read = await fetchAll(client, "table", [0, 1]);
  expect(read.get(0)).toEqual([]);
  expect(read.get(1)!.map((r) => [r.key, r.value])).toEqual([["k", "v"]]);

  // librdkafka reports the refusal per message; keyed messages of the same run go through.
  await expect(kcat(["-b", broker.brokers[0], "-P", "-t", "table", "-p", "0"], { stdin: "no-key-1\nno-key-2\n" })).rejects.toThrow("Broker failed to validate record") // librdkafka's text for INVALID_RECORD;
  await kcat(["-b", broker.brokers[0], "-P", "-t", "table", "-p", "0", "-K", ":"], { stdin: "x:1\ny:2\n" });
  expect((await kcatConsumeAll(broker.brokers, "table")).filter((l) => l.partition === 0).map((l) => `${l.key}=${l.value}`)).toEqual(["x=1", "y=2"]);

  // Alter: compact,delete keeps refusing keyless records; delete takes them.
  const kafka = kafkaClient(broker);
  await withAdmin(kafka, async (admin) => {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "table", configEntries: [{ name: "cleanup.policy", value: "compact,delete" }] }] });
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "table", configNames: ["cleanup.policy"] }] });
    expect(described.resources[0].configEntries[0].configValue).toBe("compact,delete");
  });
  expect((await produce(client, "table", [{ partition: 0, records: buildBatch({ records: [{ value: "x" }] }) }])).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
  await withAdmin(kafka, (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "table", configEntries: [{ name: "cleanup.policy", value: "delete" }] }] }));
  expect((await produce(client, "table", [{ partition: 0, records: buildBatch({ records: [{ value: "x" }] }) }])).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
  client.close();
});

test("log_cleanup_policy=compact makes new topics compacted", async () => {
  await using broker = await startBroker({ smp: 1, sets: { log_cleanup_policy: "compact" } });
  const client = await WireClient.connect(broker.kafkaPort);
  const created: any = await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: "plain", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
  expect((await produce(client, "plain", [{ partition: 0, records: buildBatch({ records: [{ value: "x" }] }) }])).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
  client.close();
});

test("compaction leaves exactly the latest value of each key (kafkajs and kcat), tombstoned keys go after delete.retention.ms, the topic shrinks 10x", async () => {
  await using broker = await startBroker({ smp: 2, sets: { log_compaction_interval_ms: 100, group_initial_rebalance_delay: 0 } });
  const client = await WireClient.connect(broker.kafkaPort);
  const KEYS = 200;
  const RECORDS = 20_000;
  // min.compaction.lag.ms holds compaction back while the data goes in, so the size before is the whole of it.
  // Dirty ratio 0: the small segment holding the tombstones may still be sealing when the first pass
  // runs; alone it is far below any ratio of the cleaned log, and would (as in Kafka) wait for more data.
  const configs = { "cleanup.policy": "compact", "segment.bytes": "16384", "delete.retention.ms": "1500", "min.cleanable.dirty.ratio": "0" };
  expect(await createCompacted(client, "state", 1, { ...configs, "min.compaction.lag.ms": "3600000" })).toBe(ErrorCode.NONE);
  client.close();
  const kafka = kafkaClient(broker);
  const expected = new Map<string, string>();
  await withProducer(kafka, async (producer) => {
    for (let sent = 0; sent < RECORDS; sent += 1000) {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `key-${(sent + i) % KEYS}`, value: `value-${sent + i}`.padEnd(40, ".") }));
      for (const m of messages) expected.set(m.key, m.value);
      await producer.send({ topic: "state", acks: -1, messages });
    }
    await producer.send({ topic: "state", acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `key-${i}`, value: null })) });
    for (let i = 0; i < 10; i++) expected.delete(`key-${i}`);
    // Filler under keys of their own pushes the data above out of the active segment, which is never compacted.
    const filler = Array.from({ length: 600 }, (_, i) => ({ key: `filler-${i}`, value: "f".repeat(40) }));
    for (const m of filler) expected.set(m.key, m.value);
    await producer.send({ topic: "state", acks: -1, messages: filler });
  });
  const before = topicBytesOnDisk(broker, "state");
  await withAdmin(kafka, (admin) => admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "state", configEntries: Object.entries({ ...configs, "min.compaction.lag.ms": "0" }).map(([name, value]) => ({ name, value })) }] }));
  // Tombstones go only once delete.retention.ms passed: poll until only the expected keys are left.
  const wire = await WireClient.connect(broker.kafkaPort);
  let lastRead = "nothing read yet";
  const settled = await pollUntil("compaction to leave one record per key and drop the tombstones", async () => {
    const records = (await fetchAll(wire, "state", [0])).get(0)!;
    const keys = new Set(records.map((r) => r.key));
    const bytes = topicBytesOnDisk(broker, "state");
    lastRead = `${records.length} records, ${keys.size} keys (want ${expected.size}), ${bytes} bytes on disk (before ${before})`;
    return keys.size === records.length && records.length === expected.size && bytes * 10 <= before ? records : undefined;
  }, 30_000, 250).catch((error) => {
    throw new Error(`${error}; last read: ${lastRead}\n${broker.stderr().split("\n").filter((l) => /compact|error|warn/i.test(l)).slice(-20).join("\n")}`);
  });
  wire.close();
  expect(new Map(settled.map((r) => [r.key!, r.value!]))).toEqual(expected);
  const after = topicBytesOnDisk(broker, "state");
  expect(after * 10).toBeLessThanOrEqual(before);

  // kafkajs consumer from the beginning: every key once, its latest value, offsets rising.
  const consumer = kafka.consumer({ groupId: "reader" });
  await consumer.connect();
  await consumer.subscribe({ topic: "state", fromBeginning: true });
  const seen: Array<{ key: string; value: string; offset: number }> = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key!.toString(), value: message.value!.toString(), offset: Number(message.offset) }) });
  await pollUntil("kafkajs to read the compacted topic", async () => (seen.length >= expected.size ? true : undefined), 20_000).catch((e) => {
    throw new Error(`${e}: kafkajs read ${seen.length} of ${expected.size}`);
  });
  await consumer.disconnect();
  expect(new Map(seen.map((m) => [m.key, m.value]))).toEqual(expected);
  expect(seen.length).toBe(expected.size);
  expect(seen.map((m) => m.offset)).toEqual([...seen.map((m) => m.offset)].sort((a, b) => a - b));
  const lines = await kcatConsumeAll(broker.brokers, "state");
  expect(new Map(lines.map((l) => [l.key, l.value]))).toEqual(expected);
  expect(lines.length).toBe(expected.size);
});

test("Kafka Connect's internal topics: config (1 partition), offset (25), status (5), compacted, RF -1; they take and serve its records", async () => {
  await using broker = await startBroker({ smp: 2, sets: { log_compaction_interval_ms: 100 } });
  const kafka = kafkaClient(broker);
  await withAdmin(kafka, async (admin) => {
    const topics = [["connect-configs", 1], ["connect-offsets", 25], ["connect-status", 5]] as const;
    expect(await admin.createTopics({ topics: topics.map(([topic, numPartitions]) => ({ topic, numPartitions, replicationFactor: -1, configEntries: [{ name: "cleanup.policy", value: "compact" }] })) })).toBe(true);
    // Connect checks the policy with DescribeConfigs before it starts.
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map(([name]) => ({ type: 2, name, configNames: ["cleanup.policy"] })) });
    for (const resource of described.resources) expect(resource.configEntries[0].configValue).toBe("compact");
  });
  await withProducer(kafka, async (producer) => {
    await producer.send({ topic: "connect-configs", acks: -1, messages: [{ key: "connector-sink", value: '{"properties":{"name":"sink"}}' }, { key: "target-state-sink", value: '{"state":"STARTED"}' }, { key: "connector-sink", value: '{"properties":{"name":"sink","tasks.max":"2"}}' }] });
    await producer.send({ topic: "connect-offsets", acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ key: `["sink",{"file":"f${i % 5}"}]`, value: `{"position":${i}}`, partition: i % 25 })) });
    await producer.send({ topic: "connect-status", acks: -1, messages: [{ key: "status-connector-sink", value: '{"state":"RUNNING"}', partition: 0 }, { key: "status-task-sink-0", value: null, partition: 1 }] });
  });
  const configs = await kcatConsumeAll(broker.brokers, "connect-configs");
  expect(configs.map((l) => l.key)).toEqual(["connector-sink", "target-state-sink", "connector-sink"]);
  expect((await kcatConsumeAll(broker.brokers, "connect-offsets")).length).toBe(50);
  expect((await kcatConsumeAll(broker.brokers, "connect-status")).map((l) => l.value)).toContain('{"state":"RUNNING"}');
});

test("kill -9 while compaction runs: after each restart every key reads back its latest acknowledged value", async () => {
  await using broker = await startBroker({ smp: 1, sets: { log_compaction_interval_ms: 20 } });
  const result = await runCompactionCrashCycles(broker, { cycles: 3, seed: Date.now() >>> 0 });
  expect(result.problems).toEqual([]);
  expect(result.cycles).toBe(3);
  expect(result.keysVerified).toBe(3 * 150);
});

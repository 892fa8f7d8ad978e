/**
 * The partition side of transactions against dist/skua (--smp 2) with real clients: kafkajs
 * transactional producers commit and abort across partitions; read_committed consumers
 * (librdkafka through kcat, and kafkajs) see only committed records, in order, and
 * read_uncommitted ones see everything; an open transaction holds the last stable offset
 * (Fetch's last_stable_offset, ListOffsets latest under read_committed, DescribeProducers'
 * current transaction start) until its marker; kill -9 in the middle of a transaction keeps it
 * open across the restart until the coordinator's timeout aborts it. On the wire: KIP-890
 * verification of transactional batches, WriteTxnMarkers' per-partition errors, and control
 * batches refused from clients.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Kafka, Producer } from "kafkajs";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withAdmin, withProducer } from "../helpers/kafka.ts";
import { byPartition, kcatConsumeAll } from "../helpers/kcat.ts";
import { WireClient } from "../helpers/wire.ts";

setDefaultTimeout(120_000);

const FETCH = 1;
const LIST_OFFSETS = 2;
const DESCRIBE_PRODUCERS = 61;
const READ_COMMITTED = 1;

async function transactionalProducer(kafka: Kafka, transactionalId: string, transactionTimeout = 60_000): Promise<Producer> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, transactionTimeout });
  await producer.connect();
  return producer;
}

/** One transaction writing `values[i]` to partition i % partitions, committed or aborted. */
async function transaction(producer: Producer, topic: string, values: string[], partitions: number, commit: boolean): Promise<void> {
  const txn = await producer.transaction();
  for (const [i, value] of values.entries()) await txn.send({ topic, acks: -1, messages: [{ partition: i % partitions, key: value, value }] });
  if (commit) await txn.commit();
  else await txn.abort();
}

interface PartitionView {
  highWatermark: number;
  lastStableOffset: number;
  abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null;
}

async function fetchView(wire: WireClient, topic: string, partition: number, isolationLevel: number): Promise<PartitionView> {
  const response = await wire.request(FETCH, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: "",
  });
  const p = response.responses[0].partitions[0];
  expect(p.errorCode).toBe(0);
  return { highWatermark: Number(p.highWatermark), lastStableOffset: Number(p.lastStableOffset), abortedTransactions: p.abortedTransactions };
}

async function latestOffset(wire: WireClient, topic: string, partition: number, isolationLevel: number): Promise<number> {
  const response = await wire.request(LIST_OFFSETS, 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] });
  return Number(response.topics[0].partitions[0].offset);
}

async function producersOf(wire: WireClient, topic: string, partition: number) {
  const response = await wire.request(DESCRIBE_PRODUCERS, 0, { topics: [{ name: topic, partitionIndexes: [partition] }] });
  const p = response.topics[0].partitions[0];
  expect(p.errorCode).toBe(0);
  return p.activeProducers as Array<{ producerId: number; producerEpoch: number; lastSequence: number; coordinatorEpoch: number; currentTxnStartOffset: number }>;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** EndTxn is answered once the outcome is durable, before the markers land (as Kafka): wait for them. */
async function waitForMarkers(wire: WireClient, topic: string, partitions: number): Promise<void> {
  await waitFor(`the markers of ${topic}`, async () => {
    for (let p = 0; p < partitions; p++) {
      const view = await fetchView(wire, topic, p, READ_COMMITTED);
      if (view.lastStableOffset !== view.highWatermark) return false;
    }
    return true;
  });
}

const valuesOf = (lines: Array<{ partition: number; value: string }>) => new Map([...byPartition(lines)].map(([p, list]) => [p, list.map((l) => l.value)]));

describe("transactions: what consumers see (--smp 2)", () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
    kafka = kafkaClient(broker, { retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 1000 } });
  });
  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("commit and abort across partitions: read_committed sees committed records only, in order; read_uncommitted sees all", async () => {
    const topic = "txn-read";
    await createTopic(kafka, topic, 3);
    const plain = kafka.producer({ allowAutoTopicCreation: false });
    await plain.connect();
    const producer = await transactionalProducer(kafka, "txn-read-1");
    await transaction(producer, topic, ["c1-0", "c1-1", "c1-2", "c1-3"], 3, true);
    await plain.send({ topic, acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: `plain-${partition}` })) });
    await transaction(producer, topic, ["a2-0", "a2-1", "a2-2"], 3, false);
    await transaction(producer, topic, ["c3-0", "c3-1", "c3-2", "c3-3", "c3-4", "c3-5"], 3, true);
    await producer.disconnect();
    await plain.disconnect();
    const markersWire = await WireClient.connect(broker.kafkaPort);
    await waitForMarkers(markersWire, topic, 3).finally(() => markersWire.close());

    const committed = valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_committed"]));
    expect(committed).toEqual(new Map([
      [0, ["c1-0", "c1-3", "plain-0", "c3-0", "c3-3"]],
      [1, ["c1-1", "plain-1", "c3-1", "c3-4"]],
      [2, ["c1-2", "plain-2", "c3-2", "c3-5"]],
    ]));
    const everything = valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_uncommitted"]));
    expect(everything.get(0)).toEqual(["c1-0", "c1-3", "plain-0", "a2-0", "c3-0", "c3-3"]);
    expect(everything.get(2)).toEqual(["c1-2", "plain-2", "a2-2", "c3-2", "c3-5"]);

    // kafkajs as a read_committed group consumer.
    const consumer = kafka.consumer({ groupId: "txn-read-group", readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor("kafkajs to consume the committed records", async () => seen.length >= 13);
    await Bun.sleep(300);
    await consumer.disconnect();
    expect(seen.sort()).toEqual([...committed.values()].flat().sort());

    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const view = await fetchView(wire, topic, 0, READ_COMMITTED);
      expect(view.lastStableOffset).toBe(view.highWatermark);
      expect(view.abortedTransactions).toHaveLength(1);
      expect((await fetchView(wire, topic, 0, 0)).abortedTransactions).toBeNull();
    } finally {
      wire.close();
    }
  });

  test("kafkajs fetching from inside aborted transactions, one begun before its fetch offset, hands out none of their records", async () => {
    const topic = "txn-overlap";
    await createTopic(kafka, topic, 1);
    const a = await transactionalProducer(kafka, "txn-overlap-a");
    const b = await transactionalProducer(kafka, "txn-overlap-b");
    const txnA = await a.transaction();
    await txnA.send({ topic, acks: -1, messages: [{ partition: 0, value: "a-1" }] }); // offset 0
    const txnB = await b.transaction();
    await txnB.send({ topic, acks: -1, messages: [{ partition: 0, value: "b-1" }] }); // offset 1
    await txnA.abort(); // marker at 2
    await txnB.abort(); // marker at 3
    await Promise.all([a.disconnect(), b.disconnect()]);
    const wire = await WireClient.connect(broker.kafkaPort);
    await waitForMarkers(wire, topic, 1).finally(() => wire.close());
    await withProducer(kafka, (plain) => plain.send({ topic, acks: -1, messages: [{ partition: 0, value: "plain" }] }));

    // The group resumes at offset 1: the fetch covers b-1 and A's marker (A began before it at 0) and B's.
    const group = "txn-overlap-group";
    await withAdmin(kafka, (admin) => admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "1" }] }));
    const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor("kafkajs to consume the plain record", async () => seen.includes("plain"));
    await consumer.disconnect();
    expect(seen).toEqual(["plain"]);
  });

  test("an open transaction holds the LSO: Fetch, ListOffsets read_committed and DescribeProducers say so until its commit", async () => {
    const topic = "txn-open";
    await createTopic(kafka, topic, 1);
    const plain = kafka.producer({ allowAutoTopicCreation: false });
    await plain.connect();
    await plain.send({ topic, acks: -1, messages: [{ value: "before" }] });
    const producer = await transactionalProducer(kafka, "txn-open-1");
    const txn = await producer.transaction();
    await txn.send({ topic, acks: -1, messages: [{ value: "t-1" }, { value: "t-2" }] });
    await plain.send({ topic, acks: -1, messages: [{ value: "during" }] });
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const open = await fetchView(wire, topic, 0, READ_COMMITTED);
      expect(open).toMatchObject({ highWatermark: 4, lastStableOffset: 1 });
      expect((await fetchView(wire, topic, 0, 0)).lastStableOffset).toBe(1); // reported for read_uncommitted too
      expect(await latestOffset(wire, topic, 0, READ_COMMITTED)).toBe(1);
      expect(await latestOffset(wire, topic, 0, 0)).toBe(4);
      const described = await producersOf(wire, topic, 0);
      expect(described.find((p) => p.currentTxnStartOffset === 1)).toBeDefined();
      expect(valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_committed"])).get(0)).toEqual(["before"]);

      await txn.commit();
      await waitForMarkers(wire, topic, 1);
      const closed = await fetchView(wire, topic, 0, READ_COMMITTED);
      expect(closed).toMatchObject({ highWatermark: 5, lastStableOffset: 5 }); // the commit marker took offset 4
      expect(await latestOffset(wire, topic, 0, READ_COMMITTED)).toBe(5);
      expect((await producersOf(wire, topic, 0)).every((p) => p.currentTxnStartOffset === -1)).toBe(true);
      expect(valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_committed"])).get(0)).toEqual(["before", "t-1", "t-2", "during"]);
    } finally {
      wire.close();
      await producer.disconnect();
      await plain.disconnect();
    }
  });

  test("a read_committed fetch waiting at the LSO wakes when the commit marker lands", async () => {
    const topic = "txn-wait";
    await createTopic(kafka, topic, 1);
    const producer = await transactionalProducer(kafka, "txn-wait-1");
    const txn = await producer.transaction();
    await txn.send({ topic, acks: -1, messages: [{ value: "w-1" }] });
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const started = Date.now();
      const waiting = wire.request(FETCH, 12, {
        replicaId: -1, maxWaitMs: 10_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: READ_COMMITTED, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: "",
      });
      await Bun.sleep(500);
      await txn.commit();
      const response = await waiting;
      const p = response.responses[0].partitions[0];
      expect(p.records.length).toBeGreaterThan(0);
      expect(Number(p.lastStableOffset)).toBe(2);
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      wire.close();
      await producer.disconnect();
    }
  });
});

describe("kill -9 in the middle of a transaction", () => {
  test("the open transaction still holds the LSO after the restart, until the coordinator's timeout aborts it", async () => {
    await using broker = await startBroker({ smp: 2 });
    const kafka = kafkaClient(broker, { retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 1000 } });
    const topic = "txn-crash";
    await createTopic(kafka, topic, 2);
    const producer = await transactionalProducer(kafka, "txn-crash-1", 3000);
    await transaction(producer, topic, ["ok-0", "ok-1"], 2, true);
    const before = await WireClient.connect(broker.kafkaPort);
    await waitForMarkers(before, topic, 2).finally(() => before.close());
    const txn = await producer.transaction();
    await txn.send({ topic, acks: -1, messages: [{ partition: 0, value: "lost-0" }, { partition: 1, value: "lost-1" }] });
    await broker.kill9();
    await producer.disconnect().catch(() => {});
    await broker.restart();
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const held = await fetchView(wire, topic, 0, READ_COMMITTED);
      expect(held.lastStableOffset).toBeLessThan(held.highWatermark);
      expect((await producersOf(wire, topic, 0)).some((p) => p.currentTxnStartOffset === held.lastStableOffset)).toBe(true);
      // transaction.timeout.ms (3 s) passes: the coordinator fences the producer and aborts.
      // The abort markers go to both partitions, one after the other: wait for both.
      await waitFor("the timed-out transaction to be aborted on both partitions", async () => {
        for (const partition of [0, 1]) {
          const view = await fetchView(wire, topic, partition, READ_COMMITTED);
          if (view.lastStableOffset !== view.highWatermark) return false;
        }
        return true;
      });
    } finally {
      wire.close();
    }
    const committed = valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_committed"]));
    expect(committed).toEqual(new Map([[0, ["ok-0"]], [1, ["ok-1"]]]));
    const everything = valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_uncommitted"]));
    expect(everything).toEqual(new Map([[0, ["ok-0", "lost-0"]], [1, ["ok-1", "lost-1"]]]));
  });
});

describe("the wire: KIP-890 verification, WriteTxnMarkers errors, control batches from clients", () => {
  const INIT_PRODUCER_ID = 22;
  const ADD_PARTITIONS = 24;
  const END_TXN = 26;
  const WRITE_TXN_MARKERS = 27;

  test("a transactional batch for a partition its transaction does not hold is refused, before and after the transaction, so nothing hangs", async () => {
    await using broker = await startBroker({ smp: 2 });
    const kafka = kafkaClient(broker);
    const topic = "txn-verify";
    await createTopic(kafka, topic, 2);
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const transactionalId = "verify-1";
      const init = await wire.request(INIT_PRODUCER_ID, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      expect(init.errorCode).toBe(0);
      const producerId = Number(init.producerId);
      const producerEpoch = init.producerEpoch;
      let sequence = 0;
      const send = async (partition: number) => {
        const records = buildBatch({ records: [{ value: `s${sequence}` }], producerId, producerEpoch, baseSequence: sequence, transactional: true });
        const answer = await wire.request(0, 9, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
        const code = answer.responses[0].partitionResponses[0].errorCode;
        if (code === 0) sequence++;
        return code;
      };
      expect(await send(0)).toBe(ErrorCode.INVALID_TXN_STATE); // not added to any transaction yet
      const added = await wire.request(ADD_PARTITIONS, 3, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] });
      expect(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);
      expect(await send(0)).toBe(0);
      expect(await send(1)).toBe(ErrorCode.INVALID_TXN_STATE); // partition 1 is not in this transaction
      const ended = await wire.request(END_TXN, 3, { transactionalId, producerId, producerEpoch, committed: true });
      expect(ended.errorCode).toBe(0);
      await waitFor("the commit marker", async () => (await fetchView(wire, topic, 0, READ_COMMITTED)).lastStableOffset === 2);
      // A late batch after the commit would open a transaction nobody ends: refused, and the LSO stays at the end.
      expect([ErrorCode.INVALID_TXN_STATE, ErrorCode.NOT_ENOUGH_REPLICAS]).toContain(await send(0));
      const view = await fetchView(wire, topic, 0, READ_COMMITTED);
      expect(view.lastStableOffset).toBe(view.highWatermark);
    } finally {
      wire.close();
    }
  });

  test("WriteTxnMarkers answers per partition: fenced epochs, unknown partitions; clients may not write control batches", async () => {
    await using broker = await startBroker({ smp: 1 });
    const kafka = kafkaClient(broker);
    const topic = "txn-markers";
    await createTopic(kafka, topic, 1);
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const init = await wire.request(INIT_PRODUCER_ID, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      const producerId = Number(init.producerId);
      const records = buildBatch({ records: [{ value: "x" }], producerId, producerEpoch: 3, baseSequence: 0, transactional: true });
      const produced = await wire.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      expect(produced.responses[0].partitionResponses[0].errorCode).toBe(0);
      const marker = (producerEpoch: number, coordinatorEpoch: number, partitions: number[]) =>
        wire.request(WRITE_TXN_MARKERS, 1, { markers: [{ producerId, producerEpoch, transactionResult: false, coordinatorEpoch, topics: [{ name: topic, partitionIndexes: partitions }] }] });
      const codes = (r: any) => r.markers[0].topics[0].partitions.map((p: any) => p.errorCode);
      expect(codes(await marker(2, 5, [0]))).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
      expect(codes(await marker(3, 5, [0, 7]))).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      expect(codes(await marker(3, 4, [0]))).toEqual([ErrorCode.TRANSACTION_COORDINATOR_FENCED]);
      const view = await fetchView(wire, topic, 0, READ_COMMITTED);
      expect(view).toMatchObject({ highWatermark: 2, lastStableOffset: 2 });
      expect(view.abortedTransactions).toEqual([expect.objectContaining({ producerId, firstOffset: 0 })]);
      const described = await producersOf(wire, topic, 0);
      expect(described).toEqual([expect.objectContaining({ producerId, producerEpoch: 3, lastSequence: 0, coordinatorEpoch: 5, currentTxnStartOffset: -1 })]);

      const control = buildBatch({ records: [{ key: new Uint8Array(4), value: new Uint8Array(6) }], control: true, transactional: true, producerId, producerEpoch: 3, baseSequence: -1 });
      const refused = await wire.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: control }] }] });
      expect(refused.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
    } finally {
      wire.close();
    }
  });
});

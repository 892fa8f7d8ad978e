/**
 * Transactions end to end against dist/skua (--smp 2) with kafkajs: commit and abort across
 * several partitions, read by read_committed and read_uncommitted consumers; consume-transform-
 * produce with the consumer's offsets committed inside the transaction; two producers with one
 * transactional id (the older is fenced); kill -9 of the broker with a transaction open and
 * right after a commit was acknowledged, and at random moments over 3 kill -9 cycles while
 * transactions commit: after each restart every transaction is whole or gone. Also
 * DescribeTransactions and ListTransactions on the wire. librdkafka reads them too (kcat with
 * isolation.level=read_committed); it cannot produce transactionally (kcat has no transactional
 * mode, and Debian's librdkafka-dev, for a C producer, is not installed here).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Kafka } from "kafkajs";
import { pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withAdmin } from "../helpers/kafka.ts";
import { byPartition, kcatConsumeAll } from "../helpers/kcat.ts";
import { WireClient } from "../helpers/wire.ts";

setDefaultTimeout(120_000);

const DESCRIBE_TRANSACTIONS = 65;
const LIST_TRANSACTIONS = 66;

function txnProducer(kafka: Kafka, transactionalId: string, transactionTimeout = 60_000) {
  return kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, transactionTimeout });
}

/**
 * Every value a fresh consumer group reads from the start of `topic`, by partition, once it has
 * read `expected` values and `quietMs` more passed without another (so extra values would show).
 */
async function readValues(kafka: Kafka, topic: string, expected: number, readUncommitted: boolean, quietMs = 1500): Promise<Map<number, string[]>> {
  const consumer = kafka.consumer({ groupId: `reader-${crypto.randomUUID()}`, readUncommitted, maxWaitTimeInMs: 200 });
  const byPartition = new Map<number, string[]>();
  let count = 0;
  let lastMs = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), message.value?.toString() ?? ""]);
        count++;
        lastMs = Date.now();
      },
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (count < expected || Date.now() - lastMs < quietMs)) await Bun.sleep(50);
  } finally {
    await consumer.disconnect();
  }
  return byPartition;
}

const sorted = (values: Map<number, string[]>) => [...values.values()].flat().sort();
const valuesOf = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe("transactions with kafkajs (--smp 2)", () => {
  let broker: Broker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
    kafka = kafkaClient(broker, { retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 1000 } });
  });
  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("commit and abort across three partitions: read_committed sees the committed ones only, in order; read_uncommitted sees all", async () => {
    await createTopic(kafka, "txn-basic", 3);
    const producer = txnProducer(kafka, "basic");
    await producer.connect();
    const rounds: Array<[string, boolean]> = [["c1", true], ["a1", false], ["c2", true], ["a2", false], ["c3", true]];
    for (const [name, commit] of rounds) {
      const txn = await producer.transaction();
      for (let i = 0; i < 9; i++) await txn.send({ topic: "txn-basic", messages: [{ partition: i % 3, value: `${name}-${i}` }] });
      await (commit ? txn.commit() : txn.abort());
    }
    await producer.disconnect();
    const committed = await readValues(kafka, "txn-basic", 27, false);
    for (let p = 0; p < 3; p++) {
      const expected = ["c1", "c2", "c3"].flatMap((name) => [p, p + 3, p + 6].map((i) => `${name}-${i}`));
      expect(committed.get(p)).toEqual(expected);
    }
    const everything = await readValues(kafka, "txn-basic", 45, true);
    expect(sorted(everything)).toEqual(rounds.flatMap(([name]) => valuesOf(name, 9)).sort());

    // librdkafka (kcat) as a read_committed consumer: the same committed values, in the same order.
    const viaKcat = byPartition(await kcatConsumeAll(broker.brokers, "txn-basic", ["-X", "isolation.level=read_committed"]));
    for (let p = 0; p < 3; p++) expect(viaKcat.get(p)!.map((l) => l.value)).toEqual(committed.get(p)!);
    const allViaKcat = await kcatConsumeAll(broker.brokers, "txn-basic", ["-X", "isolation.level=read_uncommitted"]);
    expect(allViaKcat.map((l) => l.value).sort()).toEqual(sorted(everything));
  });

  test("consume-transform-produce: offsets committed in the transaction; each input is in the output exactly once, an aborted round leaves no trace", async () => {
    await createTopic(kafka, "ctp-in", 2);
    await createTopic(kafka, "ctp-out", 2);
    const plain = kafka.producer({ allowAutoTopicCreation: false });
    await plain.connect();
    await plain.send({ topic: "ctp-in", acks: -1, messages: valuesOf("in", 40).map((value, i) => ({ partition: i % 2, value })) });
    await plain.disconnect();

    const producer = txnProducer(kafka, "ctp");
    await producer.connect();
    const consumer = kafka.consumer({ groupId: "ctp-group", readUncommitted: false, maxWaitTimeInMs: 200, maxBytesPerPartition: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: "ctp-in", fromBeginning: true });
    let transformed = 0;
    let lock = Promise.resolve();
    let abortedOnce = false;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // One transaction at a time: kafkajs may hand over several partitions' batches at once.
      eachBatch: ({ batch }) => (lock = lock.then(() => transform(batch))),
    });
    // What this app has transformed of each partition: a batch fetched before a seek took effect is not done twice.
    const position = new Map<number, number>();
    async function transform(batch: { topic: string; partition: number; messages: Array<{ offset: string; value: Buffer | null }> }) {
      const messages = batch.messages.filter((m) => Number(m.offset) >= (position.get(batch.partition) ?? 0)).slice(0, 5);
      if (messages.length === 0) return;
      const txn = await producer.transaction();
      await txn.send({ topic: "ctp-out", messages: messages.map((m) => ({ partition: batch.partition, value: `out(${m.value})` })) });
      const next = Number(messages.at(-1)!.offset) + 1;
      await txn.sendOffsets({ consumerGroupId: "ctp-group", topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(next) }] }] });
      if (!abortedOnce) {
        abortedOnce = true;
        await txn.abort(); // neither the output nor the offsets happened: the same messages are transformed again
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: messages[0].offset });
        return;
      }
      await txn.commit();
      transformed += messages.length;
      position.set(batch.partition, next);
      consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(next) });
    }
    const deadline = Date.now() + 60_000;
    while (transformed < 40 && Date.now() < deadline) await Bun.sleep(50);
    await consumer.disconnect();
    await producer.disconnect();
    expect(transformed).toBe(40);

    const out = await readValues(kafka, "ctp-out", 40, false);
    expect(sorted(out)).toEqual(valuesOf("in", 40).map((v) => `out(${v})`).sort());
    const offsets = await withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId: "ctp-group", topics: ["ctp-in"] }));
    expect(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, "20"], [1, "20"]]);
  });

  test("two producers with one transactional id: the older is fenced, its open transaction aborted; the newer commits", async () => {
    await createTopic(kafka, "txn-fence", 2);
    const older = txnProducer(kafka, "fenced-id");
    await older.connect();
    const oldTxn = await older.transaction();
    await oldTxn.send({ topic: "txn-fence", messages: [{ partition: 0, value: "old-0" }, { partition: 1, value: "old-1" }] });

    const newer = txnProducer(kafka, "fenced-id");
    await newer.connect();
    const newTxn = await newer.transaction(); // InitProducerId with the id: bumps the epoch, aborts the older's transaction
    const error = await oldTxn.commit().then(() => null, (e: Error & { type?: string }) => e);
    expect(error).not.toBeNull();
    expect(["INVALID_PRODUCER_EPOCH", "PRODUCER_FENCED"]).toContain((error as { type?: string }).type ?? error!.message);
    await newTxn.send({ topic: "txn-fence", messages: [{ partition: 0, value: "new-0" }, { partition: 1, value: "new-1" }] });
    await newTxn.commit();
    await older.disconnect().catch(() => {});
    await newer.disconnect();
    expect(sorted(await readValues(kafka, "txn-fence", 2, false))).toEqual(["new-0", "new-1"]);
  });

  test("DescribeTransactions and ListTransactions report an open transaction and its partitions", async () => {
    await createTopic(kafka, "txn-describe", 2);
    const producer = txnProducer(kafka, "described");
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: "txn-describe", messages: [{ partition: 1, value: "x" }] });
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const described = await wire.request(DESCRIBE_TRANSACTIONS, 0, { transactionalIds: ["described", "nobody"] });
      expect(described.transactionStates[0]).toMatchObject({ errorCode: 0, transactionalId: "described", transactionState: "Ongoing", topics: [{ topic: "txn-describe", partitions: [1] }] });
      expect(described.transactionStates[1]).toMatchObject({ errorCode: 105, transactionalId: "nobody" }); // TRANSACTIONAL_ID_NOT_FOUND
      const listed = await wire.request(LIST_TRANSACTIONS, 1, { stateFilters: ["Ongoing", "Sleeping"], producerIdFilters: [], durationFilter: -1 });
      expect(listed.unknownStateFilters).toEqual(["Sleeping"]);
      expect(listed.transactionStates).toContainEqual(expect.objectContaining({ transactionalId: "described", transactionState: "Ongoing" }));
      expect(listed.transactionStates.map((t: { transactionalId: string }) => t.transactionalId)).not.toContain("basic"); // committed: not Ongoing
    } finally {
      wire.close();
    }
    await txn.commit();
    await producer.disconnect();
  });
});

describe("the transaction APIs on the wire, oldest and newest versions (--smp 2)", () => {
  test("v0 through a whole transaction; PRODUCER_FENCED from InitProducerId v4 and AddPartitionsToTxn v2, INVALID_PRODUCER_EPOCH before; v4+ batched, with verifyOnly", async () => {
    await using broker = await startBroker({ smp: 2 });
    await createTopic(kafkaClient(broker), "wire-txn", 2);
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const init = (version: number, body: object = {}) => wire.request(22, version, { transactionalId: "wire", transactionTimeoutMs: 30_000, producerId: -1, producerEpoch: -1, ...body });
      const first = await init(0);
      expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      const pid = first.producerId;
      const add = (version: number, epoch: number, partitions = [0, 1]) =>
        wire.request(24, version, { v3AndBelowTransactionalId: "wire", v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: "wire-txn", partitions }] });
      const codes = (r: any) => r.resultsByTopicV3AndBelow.flatMap((t: any) => t.resultsByPartition.map((p: any) => p.partitionErrorCode));
      expect(codes(await add(0, 0))).toEqual([0, 0]);
      expect((await wire.request(25, 0, { transactionalId: "wire", producerId: pid, producerEpoch: 0, groupId: "wire-group" })).errorCode).toBe(0);
      const txnCommit = await wire.request(28, 0, { transactionalId: "wire", groupId: "wire-group", producerId: pid, producerEpoch: 0, topics: [{ name: "wire-txn", partitions: [{ partitionIndex: 0, committedOffset: 7, committedMetadata: null }] }] });
      expect(txnCommit.topics[0].partitions[0].errorCode).toBe(0);
      const notAdded = await wire.request(28, 3, { transactionalId: "wire", groupId: "other-group", producerId: pid, producerEpoch: 0, generationId: -1, memberId: "", groupInstanceId: null, topics: [{ name: "wire-txn", partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      expect(notAdded.topics[0].partitions[0].errorCode).toBe(48); // INVALID_TXN_STATE: AddOffsetsToTxn did not name that group
      // KIP-890 verification in the batched form (v4+), as a partition leader asks it.
      const verify = await wire.request(24, 5, { transactions: [{ transactionalId: "wire", producerId: pid, producerEpoch: 0, verifyOnly: true, topics: [{ name: "wire-txn", partitions: [1, 0] }] }, { transactionalId: "nobody", producerId: 1, producerEpoch: 0, verifyOnly: true, topics: [{ name: "wire-txn", partitions: [0] }] }] });
      expect(verify.errorCode).toBe(0);
      expect(verify.resultsByTransaction.map((t: any) => [t.transactionalId, t.topicResults[0].resultsByPartition.map((p: any) => p.partitionErrorCode)])).toEqual([["wire", [0, 0]], ["nobody", [49]]]);
      expect((await wire.request(26, 0, { transactionalId: "wire", producerId: pid, producerEpoch: 0, committed: true })).errorCode).toBe(0);
      await pollUntil("the commit's markers written", async () => ((await wire.request(65, 0, { transactionalIds: ["wire"] })).transactionStates[0].transactionState === "CompleteCommit" ? true : undefined));
      const offsets = await wire.request(9, 1, { groupId: "wire-group", topics: [{ name: "wire-txn", partitionIndexes: [0] }] });
      expect(offsets.topics[0].partitions[0].committedOffset).toBe(7); // the offset committed with the transaction

      expect(await init(3, { producerId: pid, producerEpoch: 0 })).toMatchObject({ errorCode: 0, producerEpoch: 1 }); // KIP-360
      expect((await init(3, { producerId: pid, producerEpoch: 5 })).errorCode).toBe(47); // INVALID_PRODUCER_EPOCH before v4
      expect((await init(4, { producerId: pid, producerEpoch: 5 })).errorCode).toBe(90); // PRODUCER_FENCED
      expect(codes(await add(1, 0))).toEqual([47, 47]);
      expect(codes(await add(2, 0))).toEqual([90, 90]);
      expect((await init(4, { transactionTimeoutMs: 900_001 })).errorCode).toBe(50); // INVALID_TRANSACTION_TIMEOUT
      const found = await wire.request(10, 1, { key: "wire", keyType: 1 });
      expect(found).toMatchObject({ errorCode: 0, port: broker.kafkaPort });
    } finally {
      wire.close();
    }
  });
});

describe("kill -9 mid-transaction (--smp 2)", () => {
  test("an open transaction is aborted after the restart, an acknowledged commit is completed: read_committed sees each whole or not at all", async () => {
    await using broker = await startBroker({ smp: 2 });
    const kafka = kafkaClient(broker, { retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 } });
    await createTopic(kafka, "txn-crash", 3);
    const committer = txnProducer(kafka, "crash-committed");
    const leaver = txnProducer(kafka, "crash-open");
    await committer.connect();
    await leaver.connect();
    const open = await leaver.transaction();
    await open.send({ topic: "txn-crash", messages: valuesOf("open", 30).map((value, i) => ({ partition: i % 3, value })) });
    const txn = await committer.transaction();
    await txn.send({ topic: "txn-crash", messages: valuesOf("done", 30).map((value, i) => ({ partition: i % 3, value })) });
    await txn.commit(); // answered once PrepareCommit is durable; the markers may not be written yet
    await broker.kill9();
    await committer.disconnect().catch(() => {});
    await leaver.disconnect().catch(() => {});
    await broker.restart();

    const kafka2 = kafkaClient(broker, { retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 } });
    // The same transactional id again: its open transaction from before the crash is aborted first.
    const again = txnProducer(kafka2, "crash-open");
    await again.connect();
    const after = await again.transaction();
    await after.send({ topic: "txn-crash", messages: [{ partition: 0, value: "after-0" }] });
    await after.commit();
    await again.disconnect();
    const seen = await readValues(kafka2, "txn-crash", 31, false);
    expect(sorted(seen)).toEqual([...valuesOf("done", 30), "after-0"].sort());
    for (let p = 0; p < 3; p++) expect(seen.get(p)!.filter((v) => v.startsWith("done"))).toEqual(valuesOf("done", 30).filter((_, i) => i % 3 === p));
  });

  test("kill -9 at random moments while transactions commit, 3 cycles: every transaction is whole or absent, every acknowledged one present", async () => {
    const seed = process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : Date.now() >>> 0;
    console.log(`transactions kill -9 cycles seed=${seed}`);
    let state = seed;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
    await using broker = await startBroker({ smp: 2 });
    const retry = { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 };
    await createTopic(kafkaClient(broker, { retry }), "txn-cycles", 3);
    const acknowledged: string[] = [];
    const attempted: string[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      const producer = txnProducer(kafkaClient(broker, { retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } }), "cycling");
      await producer.connect();
      let stop = false;
      const loop = (async () => {
        for (let n = 0; !stop; n++) {
          const name = `c${cycle}-t${n}`;
          attempted.push(name);
          const txn = await producer.transaction();
          await txn.send({ topic: "txn-cycles", messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 3, value: `${name}-${i}` })) });
          await txn.commit();
          acknowledged.push(name);
        }
      })().catch(() => undefined); // the broker died under it
      await Bun.sleep(300 + Math.floor(random() * 700));
      await broker.kill9();
      stop = true;
      await loop;
      await producer.disconnect().catch(() => {});
      await broker.restart();
    }
    // One more producer with the id: a transaction left open by the last kill is aborted first.
    const last = txnProducer(kafkaClient(broker, { retry }), "cycling");
    await last.connect();
    const closing = await last.transaction();
    await closing.send({ topic: "txn-cycles", messages: [{ partition: 0, value: "final-0" }] });
    await closing.commit();
    await last.disconnect();

    console.log(`${acknowledged.length} of ${attempted.length} transactions acknowledged before the kills`);
    const seen = sorted(await readValues(kafkaClient(broker, { retry }), "txn-cycles", acknowledged.length * 6 + 1, false));
    const countOf = new Map<string, number>();
    for (const v of seen) if (v !== "final-0") countOf.set(v.slice(0, v.lastIndexOf("-")), (countOf.get(v.slice(0, v.lastIndexOf("-"))) ?? 0) + 1);
    for (const [name, count] of countOf) expect({ name, count, attempted: attempted.includes(name) }).toEqual({ name, count: 6, attempted: true });
    for (const name of acknowledged) expect(countOf.get(name)).toBe(6);
    expect(seen).toContain("final-0");
    expect(acknowledged.length).toBeGreaterThan(0);
  });
});

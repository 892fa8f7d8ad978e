/**
 * Idempotent producers against dist/skua (--smp 2) through a proxy that drops connections
 * after the broker handled a request but before its answer arrives: kafkajs (`idempotent:
 * true`) and librdkafka (kcat, enable.idempotence=true) retry, and every value is stored
 * exactly once, in order per partition. Also the wire-level answers (duplicate, gap, fenced
 * epoch, unknown producer), and that producer ids and sequence state survive a restart.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { freePort, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { kcat } from "../helpers/kcat.ts";
import { Proxy } from "../helpers/proxy.ts";
import { fetchAll, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(120_000);

const INIT_PRODUCER_ID = 22;

/** Each partition's values, in offset order, read straight from the broker (not through the proxy). */
async function storedValues(broker: Broker, topic: string, partitions: number[]): Promise<Map<number, string[]>> {
  const wire = await WireClient.connect(broker.kafkaPort);
  try {
    const records = await fetchAll(wire, topic, partitions);
    return new Map([...records].map(([p, list]) => [p, list.map((r) => r.value ?? "")]));
  } finally {
    wire.close();
  }
}

function retryingClient(proxy: Proxy) {
  return kafkaClient({ brokers: [`127.0.0.1:${proxy.port}`] }, { retry: { retries: 30, initialRetryTime: 20, maxRetryTime: 200 }, requestTimeout: 5000 });
}

describe("idempotent producers through a connection-dropping proxy (--smp 2)", () => {
  let broker: Broker;
  let proxy: Proxy;

  beforeAll(async () => {
    const proxyPort = freePort();
    proxy = Proxy.listen(proxyPort);
    broker = await startBroker({ smp: 2, extraArgs: ["--advertise-kafka-addr", `127.0.0.1:${proxy.port}`] });
    proxy.target = { host: "127.0.0.1", port: broker.kafkaPort };
  });

  afterAll(async () => {
    await proxy?.[Symbol.asyncDispose]();
    await broker?.[Symbol.asyncDispose]();
  });

  async function sendWithLostAnswers(topic: string, idempotent: boolean, count: number): Promise<Map<number, string[]>> {
    const producer = retryingClient(proxy).producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const sent = new Map<number, string[]>([[0, []], [1, []], [2, []]]);
    try {
      for (let i = 0; i < count; i++) {
        const partition = i % 3;
        if (i % 4 === 1) proxy.cutOnNextResponse(); // the broker stores it; the answer is lost; the client retries
        await producer.send({ topic, acks: -1, messages: [{ partition, value: `${topic}-${i}` }] });
        sent.get(partition)!.push(`${topic}-${i}`);
      }
    } finally {
      proxy.cancelPendingCuts();
      await producer.disconnect();
    }
    return sent;
  }

  test("kafkajs idempotent: every retried batch is stored once, in order", async () => {
    await createTopic(kafkaClient(broker), "idem-js", 3);
    const cutsBefore = proxy.cuts;
    const sent = await sendWithLostAnswers("idem-js", true, 120);
    expect(proxy.cuts - cutsBefore).toBeGreaterThanOrEqual(25);
    expect(await storedValues(broker, "idem-js", [0, 1, 2])).toEqual(sent);
  });

  test("control: the same faults without idempotence store duplicates (so the test above can fail)", async () => {
    await createTopic(kafkaClient(broker), "plain-js", 3);
    const sent = await sendWithLostAnswers("plain-js", false, 40);
    const stored = await storedValues(broker, "plain-js", [0, 1, 2]);
    const storedCount = [...stored.values()].reduce((n, l) => n + l.length, 0);
    expect(storedCount).toBeGreaterThan(40);
    expect(new Set([...stored.values()].flat())).toEqual(new Set([...sent.values()].flat()));
  });

  test("librdkafka (kcat) enable.idempotence: no duplicates and no gaps while connections drop", async () => {
    await createTopic(kafkaClient(broker), "idem-rd", 2);
    const count = 4000;
    const lines = Array.from({ length: count }, (_, i) => `rd-${i}`).join("\n") + "\n";
    let cutting = true;
    const cuts = (async () => {
      for (let n = 0; cutting && n < 30; ) {
        await Bun.sleep(15);
        if (proxy.pendingCuts > 0) continue; // one lost answer at a time, spread over the run
        proxy.cutOnNextResponse();
        n++;
      }
    })();
    const cutsBefore = proxy.cuts;
    // librdkafka gives up when every broker connection is down at once: a bootstrap address of its
    // own (never cut) keeps one up while the advertised broker's connections drop.
    await using bootstrap = Proxy.listen();
    bootstrap.target = proxy.target;
    try {
      await kcat(
        ["-b", `127.0.0.1:${bootstrap.port}`, "-P", "-t", "idem-rd", "-X", "enable.idempotence=true", "-X", "linger.ms=1", "-X", "batch.num.messages=20", "-X", "reconnect.backoff.ms=10", "-X", "reconnect.backoff.max.ms=100", "-X", "retry.backoff.ms=10"],
        { stdin: lines, timeoutMs: 90_000 },
      );
    } finally {
      cutting = false;
      await cuts;
      proxy.cancelPendingCuts();
    }
    expect(broker.running).toBe(true);
    expect(proxy.cuts - cutsBefore).toBeGreaterThanOrEqual(5);
    const stored = await storedValues(broker, "idem-rd", [0, 1]);
    const all = [...stored.values()].flat();
    expect(all.length).toBe(count);
    expect(new Set(all).size).toBe(count);
    for (const values of stored.values()) {
      const indexes = values.map((v) => Number(v.slice(3)));
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    }
  });
});

describe("idempotent produce on the wire, and across a restart", () => {
  test("duplicate, gap, fenced epoch and unknown producer answers; ids and state survive a restart", async () => {
    await using broker = await startBroker({ smp: 2 });
    await createTopic(kafkaClient(broker), "seq", 2);
    let wire = await WireClient.connect(broker.kafkaPort);
    const init = async () => (await wire.request(INIT_PRODUCER_ID, 4, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1, producerEpoch: -1 })) as { errorCode: number; producerId: number; producerEpoch: number };
    const first = await init();
    expect(first).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    const second = await init();
    expect(second.producerId).not.toBe(first.producerId);
    const pid = first.producerId;
    const send = async (epoch: number, baseSequence: number, count: number, partition = 1) => {
      const records = Array.from({ length: count }, (_, i) => ({ value: `s${baseSequence + i}` }));
      const answer = await produce(wire, "seq", [{ partition, records: buildBatch({ records, producerId: pid, producerEpoch: epoch, baseSequence }) }]);
      const p = answer.responses[0].partitionResponses[0];
      return [p.errorCode, p.baseOffset];
    };
    expect(await send(0, 0, 3)).toEqual([ErrorCode.NONE, 0]);
    expect(await send(0, 3, 2)).toEqual([ErrorCode.NONE, 3]);
    expect(await send(0, 0, 3)).toEqual([ErrorCode.NONE, 0]); // a retry: its original offset, not written again
    expect((await send(0, 7, 1))[0]).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await send(0, 4, 1, 0))[0]).toBe(ErrorCode.UNKNOWN_PRODUCER_ID); // partition 0 never saw this producer

    wire.close();
    await broker.restart();
    wire = await WireClient.connect(broker.kafkaPort);
    expect(await send(0, 3, 2)).toEqual([ErrorCode.NONE, 3]); // rebuilt from the log: still a duplicate
    expect(await send(0, 5, 1)).toEqual([ErrorCode.NONE, 5]);
    expect(await send(1, 0, 1)).toEqual([ErrorCode.NONE, 6]); // a new epoch starts again at 0
    expect((await send(0, 6, 1))[0]).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const afterRestart = await init();
    expect(afterRestart.producerId).toBeGreaterThan(second.producerId);
    const transactional = await wire.request(INIT_PRODUCER_ID, 4, { transactionalId: "tx-1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    // A transactional id gets its own producer id and epoch from its coordinator (test/e2e/transactions.test.ts).
    expect(transactional).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    expect(transactional.producerId).toBeGreaterThan(second.producerId);
    expect((await fetchAll(wire, "seq", [1])).get(1)!.map((r) => r.value)).toEqual(["s0", "s1", "s2", "s3", "s4", "s5", "s0"]);
    wire.close();
  });
});

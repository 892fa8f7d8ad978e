/**
 * Hostile and broken input on one connection must cost only that connection: the
 * broker closes it, stays ready, keeps acknowledging a well-behaved kafkajs producer
 * on another connection, and loses nothing already written. A record batch with a
 * bad CRC is refused with CORRUPT_MESSAGE and does not move the log end.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { adminGet, pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { encodeRequestFrame } from "../../src/protocol/frame.ts";
import { ApiKey, listOffset, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
const CLOSE_TIMEOUT_MS = 5000;

/** xorshift32: reproducible garbage; the seed is printed. */
function randomBytes(seed: number, length: number): Uint8Array {
  let x = seed || 1;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function int32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value);
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function expectClosedByBroker(wire: WireClient, what: string): Promise<void> {
  const timeout = new Promise<"open">((resolve) => setTimeout(() => resolve("open"), CLOSE_TIMEOUT_MS));
  const outcome = await Promise.race([wire.closed.then(() => "closed" as const), timeout]);
  if (outcome !== "closed") {
    wire.close();
    throw new Error(`broker did not close the connection within ${CLOSE_TIMEOUT_MS} ms after ${what} (seed ${SEED})`);
  }
}

describe("bad input on one connection (--smp 1: same shard as the good producer)", () => {
  let broker: Broker;
  const topic = "steady";
  /** offset → value of every acknowledged background message. */
  const acked = new Map<number, string>();
  let stopProducer = false;
  let producerLoop: Promise<void>;
  let producerError: unknown = null;

  beforeAll(async () => {
    console.log(`bad-input seed ${SEED} (rerun with SEED=${SEED})`);
    broker = await startBroker({ smp: 1 });
    const kafka = kafkaClient(broker);
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    producerLoop = (async () => {
      try {
        for (let i = 0; !stopProducer && i < 100_000; i++) {
          const value = `bg-${i}`;
          const [result] = await producer.send({ topic, acks: -1, messages: [{ partition: 0, value }] });
          if (result.errorCode !== 0) throw new Error(`background produce error ${result.errorCode}`);
          acked.set(Number(result.baseOffset), value);
        }
      } catch (error) {
        producerError = error;
      } finally {
        await producer.disconnect();
      }
    })();
    await pollUntil("the background producer's first ack", async () => (acked.size > 0 ? true : undefined));
  });

  afterAll(async () => {
    stopProducer = true;
    await producerLoop;
    await broker?.[Symbol.asyncDispose]();
  });

  /** After each bad connection: still ready, and the background producer still gets acks. */
  async function expectBrokerUnharmed(): Promise<void> {
    expect((await adminGet(broker, "/v1/status/ready")).status).toBe(200);
    const ackedBefore = acked.size;
    await pollUntil("more acks for the background producer", async () => {
      if (producerError !== null) throw producerError;
      return acked.size >= ackedBefore + 3 ? true : undefined;
    });
    expect(producerError).toBeNull();
  }

  const cases: Array<[string, () => Uint8Array]> = [
    ["random bytes (negative frame size)", () => concat(int32(-0x1234567), randomBytes(SEED, 64 * 1024))],
    ["a whole frame of random bytes with an unknown API key", () => concat(int32(4096), new Uint8Array([0x7f, 0x3e]), randomBytes(SEED + 1, 4094))],
    ["a frame claiming 200 MiB", () => concat(int32(200 * 1024 * 1024), randomBytes(SEED + 2, 1024))],
    [
      "a valid Produce v9 header with a corrupt body",
      () => {
        const good = encodeRequestFrame(ApiKey.Produce, 9, 7, "evil", { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [] });
        // Keep size + header (2+2+4+2+len("evil")+1 tag byte), replace the body with garbage of a claimed length.
        const headerBytes = 4 + 2 + 2 + 4 + 2 + 4 + 1;
        // transactional id null, acks -1, timeout 1000, then a topic array claiming 1,000,000 entries, then garbage.
        const body = concat(new Uint8Array([0x00, 0xff, 0xff, 0x00, 0x00, 0x03, 0xe8, 0xc1, 0x84, 0x3d]), randomBytes(SEED + 3, 50));
        const frame = concat(good.subarray(0, headerBytes), body);
        new DataView(frame.buffer).setInt32(0, frame.length - 4);
        return frame;
      },
    ],
  ];

  for (const [what, bytes] of cases) {
    test(`${what}: the broker closes that connection and keeps serving`, async () => {
      const wire = await WireClient.connect(broker.kafkaPort);
      wire.sendRaw(bytes());
      await expectClosedByBroker(wire, what);
      await expectBrokerUnharmed();
    });
  }

  test("a truncated frame, then the client closes: the broker keeps serving", async () => {
    const wire = await WireClient.connect(broker.kafkaPort);
    const frame = encodeRequestFrame(ApiKey.Metadata, 9, 1, "trunc", { topics: null, allowAutoTopicCreation: false });
    wire.sendRaw(frame.subarray(0, frame.length - 5));
    wire.close();
    await wire.closed;
    await expectBrokerUnharmed();
    // The same request, whole, on a new connection is answered.
    const fresh = await WireClient.connect(broker.kafkaPort);
    try {
      const response = await fresh.request(ApiKey.Metadata, 9, { topics: null, allowAutoTopicCreation: false });
      expect(response.topics.map((t: any) => t.name)).toContain(topic);
    } finally {
      fresh.close();
    }
  });

  test("clients that pipeline requests and reset their connection before the answers: the broker keeps serving", async () => {
    const frames = Array.from({ length: 64 }, (_, i) => encodeRequestFrame(ApiKey.Metadata, 9, i, "gone", { topics: null, allowAutoTopicCreation: false }));
    const burst = concat(...frames);
    for (let round = 0; round < 100; round++) {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port: broker.kafkaPort, socket: { data() {} } });
      socket.write(burst);
      if (round % 2 === 0) await Bun.sleep(1); // let some answers start
      socket.terminate(); // abrupt close: the broker's next writes to it fail
    }
    await expectBrokerUnharmed();
  });

  test("a record batch with a wrong CRC → CORRUPT_MESSAGE, the log end does not move, the connection stays usable", async () => {
    await createTopic(kafkaClient(broker), "crc", 1);
    const wire = await WireClient.connect(broker.kafkaPort);
    try {
      const good = buildBatch({ baseTimestamp: Date.now(), records: [{ key: "k", value: "first" }] });
      const first = await produce(wire, "crc", [{ partition: 0, records: good }]);
      expect(first.responses[0].partitionResponses[0].errorCode).toBe(0);
      const endBefore = await listOffset(wire, "crc", 0, -1);
      expect(endBefore).toEqual({ errorCode: 0, offset: 1 });

      const bad = buildBatch({ baseTimestamp: Date.now(), records: [{ key: "k", value: "tampered" }, { key: "k", value: "tampered-2" }] });
      bad[bad.length - 1] ^= 0xff; // a flipped byte in the last record: the CRC no longer matches
      const refused = await produce(wire, "crc", [{ partition: 0, records: bad }]);
      expect(refused.responses[0].partitionResponses[0].errorCode).toBe(2); // CORRUPT_MESSAGE
      expect(await listOffset(wire, "crc", 0, -1)).toEqual(endBefore);

      const again = await produce(wire, "crc", [{ partition: 0, records: buildBatch({ baseTimestamp: Date.now(), records: [{ value: "second" }] }) }]);
      expect(again.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 1 });
    } finally {
      wire.close();
    }
    const lines = await kcatConsumeAll(broker.brokers, "crc");
    expect(lines.map((l) => `${l.offset}:${l.value}`)).toEqual(["0:first", "1:second"]);
  });

  test("nothing acknowledged to the background producer was lost", async () => {
    stopProducer = true;
    await producerLoop;
    expect(producerError).toBeNull();
    expect(acked.size).toBeGreaterThan(10);
    const lines = await kcatConsumeAll(broker.brokers, topic);
    const seen = new Map(lines.map((l) => [l.offset, l.value]));
    for (const [offset, value] of acked) expect(`${offset}=${seen.get(offset)}`).toBe(`${offset}=${value}`);
    expect(lines.map((l) => l.offset)).toEqual(lines.map((_, i) => i));
  });
});

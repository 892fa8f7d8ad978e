/**
 * Bounded memory with hostile clients: 500 connections each declare a 100 MiB frame and send
 * it slowly, and a few clients pipeline large Fetches and never read the answers, while a
 * kafkajs producer keeps getting its acks. The broker's resident memory (VmRSS: all its
 * threads are one process) stays under its request budget plus a stated overhead, the slow
 * senders are closed (shed for memory or timed out), and the broker serves as before when
 * they have gone.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Socket } from "bun";
import { readFileSync } from "node:fs";
import { pollUntil, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { encodeRequestFrame } from "../../src/protocol/frame.ts";
import { ApiKey, fetchOnce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const MiB = 1024 * 1024;
const SHARDS = 2;
const REQUEST_MAX_BYTES = 100 * MiB;
const BUDGET_PER_SHARD_BYTES = REQUEST_MAX_BYTES + 64 * 1024; // the least a shard may have: one whole frame
const UNSENT_MAX_BYTES = 4 * MiB;
const READ_TIMEOUT_MS = 9000;
/** Over the idle broker's own footprint: garbage of grown frame buffers not yet collected, allocator slack. */
const OVERHEAD_BYTES = 200 * MiB;

const SLOW_CONNECTIONS = 500;
const SLOW_CHUNK_BYTES = 8 * 1024;
const SLOW_INTERVAL_MS = 100;
const SLOW_SEND_MS = 6000; // 500 × 80 KiB/s for 6 s: ~240 MB offered, more than both budgets
const HOGS = 4;
const HOG_FETCHES = 50;
const HOG_FETCH_MAX_BYTES = 50 * MiB;
const BIG_TOPIC_BYTES = 8 * MiB;

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({
    smp: SHARDS,
    sets: {
      kafka_request_max_bytes: REQUEST_MAX_BYTES,
      kafka_request_memory_per_shard_bytes: BUDGET_PER_SHARD_BYTES,
      kafka_connection_unsent_bytes_max: UNSENT_MAX_BYTES,
      kafka_request_read_timeout_ms: READ_TIMEOUT_MS,
    },
  });
});

afterAll(async () => {
  await broker?.stop();
});

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error("no VmRSS in /proc status");
  return Number(kb[1]) * 1024;
}

function int32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value);
  return b;
}

interface RawSocket {
  socket: Socket<undefined>;
  closed: boolean;
}

async function connectRaw(port: number, onOpen?: (s: Socket<undefined>) => void): Promise<RawSocket> {
  const raw: RawSocket = { socket: null as unknown as Socket<undefined>, closed: false };
  raw.socket = await Bun.connect<undefined>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => onOpen?.(s),
      data() {},
      close: () => void (raw.closed = true),
      end: () => void (raw.closed = true),
      error: () => void (raw.closed = true),
    },
  });
  return raw;
}

/** A Fetch of the whole big topic, up to 50 MiB: what a client that never reads asks for. */
function hogFetch(topic: string, correlationId: number): Uint8Array {
  return encodeRequestFrame(ApiKey.Fetch, 12, correlationId, "hog", {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: HOG_FETCH_MAX_BYTES,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: HOG_FETCH_MAX_BYTES }] }],
    forgottenTopicsData: [],
    rackId: "",
  });
}

test("slow 100 MiB frames and never-read answers stay within the budget; a producer keeps its acks; the broker serves again after", async () => {
  const kafka = kafkaClient(broker);
  await createTopic(kafka, "acks", 1);
  await createTopic(kafka, "big", 1);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(256 * 1024, 7);
  for (let i = 0; i < BIG_TOPIC_BYTES / value.length; i++) await producer.send({ topic: "big", acks: -1, messages: [{ value }] });
  const baseline = rssBytes(broker.pid);

  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(broker.pid))), 50);

  // The well-behaved producer: one small message at a time, the latency of each ack kept.
  const ackLatencies: number[] = [];
  let producing = true;
  const producing$ = (async () => {
    for (let i = 0; producing; i++) {
      const start = performance.now();
      await producer.send({ topic: "acks", acks: -1, messages: [{ value: `m${i}` }] });
      ackLatencies.push(performance.now() - start);
      await Bun.sleep(20);
    }
  })();

  // Clients that pipeline big Fetches and never read an answer.
  const hogs: RawSocket[] = [];
  for (let h = 0; h < HOGS; h++) {
    const hog = await connectRaw(broker.kafkaPort, (s) => s.pause());
    const frames = Array.from({ length: HOG_FETCHES }, (_, i) => hogFetch("big", i + 1));
    for (const frame of frames) hog.socket.write(frame);
    hogs.push(hog);
  }

  // Slow senders: each declares 100 MiB and sends 8 KiB every 100 ms.
  const slow: RawSocket[] = [];
  for (let c = 0; c < SLOW_CONNECTIONS; c++) {
    const s = await connectRaw(broker.kafkaPort);
    s.socket.write(int32(REQUEST_MAX_BYTES));
    slow.push(s);
  }
  const chunk = new Uint8Array(SLOW_CHUNK_BYTES);
  const drip = setInterval(() => {
    for (const s of slow) if (!s.closed) s.socket.write(chunk);
  }, SLOW_INTERVAL_MS);
  await Bun.sleep(SLOW_SEND_MS); // the attack runs for a fixed time: nothing to await
  clearInterval(drip);
  const openAfterAttack = slow.filter((s) => !s.closed).length;

  // Whatever the budget did not shed, the read timeout closes.
  await pollUntil("slow senders closed", async () => (slow.every((s) => s.closed) ? true : undefined), READ_TIMEOUT_MS + 5000, 100);
  for (const hog of hogs) hog.socket.end();
  producing = false;
  await producing$;
  clearInterval(sampler);

  const budgets = SHARDS * BUDGET_PER_SHARD_BYTES;
  console.log(
    `RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (bound ${((baseline + budgets + OVERHEAD_BYTES) / MiB).toFixed(0)} MiB); ` +
      `slow senders still open after ${SLOW_SEND_MS} ms: ${openAfterAttack}/${SLOW_CONNECTIONS}; acks ${ackLatencies.length}, slowest ${Math.max(...ackLatencies).toFixed(0)} ms`,
  );
  expect(peak).toBeLessThan(baseline + budgets + OVERHEAD_BYTES);
  expect(ackLatencies.length).toBeGreaterThan(50);
  expect(Math.max(...ackLatencies)).toBeLessThan(3000);

  // It serves as before: a new client reads the whole big topic.
  const client = await WireClient.connect(broker.kafkaPort);
  const fetched = await fetchOnce(client, "big", [{ partition: 0, offset: 0 }], 0, 16 * MiB);
  expect(fetched.responses[0].partitions[0].errorCode).toBe(0);
  expect(fetched.responses[0].partitions[0].records?.length ?? 0).toBeGreaterThan(BIG_TOPIC_BYTES - MiB);
  client.close();
  await producer.disconnect();
  // Hundreds of closed connections, a few warning lines: the rest are counted in one line.
  await pollUntil("the suppressed-warnings line", async () => (broker.stderr().includes("similar suppressed") ? true : undefined), 12_000, 100);
  const warnLines = broker.stderr().split("\n").filter((line) => line.includes("WARN")).length;
  expect(warnLines).toBeLessThan(50);
});

test("a 100 MB admin body of '[' is refused by its size at once, and readiness answers meanwhile", async () => {
  const huge = new Uint8Array(100 * 1000 * 1000).fill(0x5b);
  const start = performance.now();
  const posting = fetch(`${broker.adminUrl}/v1/partitions/kafka/big/0/shard`, { method: "POST", headers: { "content-type": "application/json" }, body: huge }).then(
    async (r) => ({ status: r.status, ms: performance.now() - start, text: await r.text() }),
    (error: unknown) => ({ status: -1, ms: performance.now() - start, text: String(error) }), // the broker may close before taking it all
  );
  const readyStart = performance.now();
  const ready = await fetch(`${broker.adminUrl}/v1/status/ready`);
  const readyMs = performance.now() - readyStart;
  const posted = await posting;
  console.log(`100 MB body: ${posted.status} after ${posted.ms.toFixed(0)} ms; ready answered in ${readyMs.toFixed(0)} ms`);
  expect(ready.status).toBe(200);
  expect(readyMs).toBeLessThan(1000);
  expect(posted.status === 413 || posted.status === -1).toBe(true);
  expect(posted.ms).toBeLessThan(3000);
});

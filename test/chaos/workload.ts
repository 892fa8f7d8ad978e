/**
 * The chaos run's clients, all recording into one History:
 *   - producers: kafkajs idempotent producers (acks=-1, one request in flight), one record per
 *     send, every value unique (`<producer>:<seq>`), keys from a small set; a send that fails
 *     is recorded unacknowledged and its kafkajs producer replaced by a new one (a new producer
 *     id: kafkajs would reuse the failed batch's sequence for the next value);
 *   - a consumer group (kafkajs, auto-commit) recording what it is delivered;
 *   - a poller sampling the group's committed offsets (OffsetFetch);
 * plus the final read of every partition (skua's own client, no group) and topic metadata waits.
 */
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from "kafkajs";
import { ApiKey, KafkaClient, Version } from "../../src/client/client.ts";
import { Connection } from "../../src/client/connection.ts";
import { decodeRecords } from "../../src/client/records.ts";
import { watermarks } from "../../src/client/offsets.ts";
import type { MetadataResponse } from "../../src/protocol/messages/index.ts";
import type { History, LogRecord } from "./history.ts";
import { random } from "./nemesis.ts";

const STEP_TIMEOUT_MS = 30_000;
const RECONNECT_PAUSE_MS = 200;
const COMMIT_POLL_MS = 300;
const STATE_TIMEOUT_MS = 2000;

export function chaosKafka(bootstrap: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: bootstrap,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** Runs `body` with a connected admin client (kafkajs), always disconnecting it. */
export async function withAdmin<T>(bootstrap: string[], body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = chaosKafka(bootstrap, "chaos-admin").admin();
  await admin.connect();
  try {
    return await body(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/**
 * The topic's partitions as told by the first node of `via` that answers within 2 s, asked
 * directly (a client library would also ask the nodes its metadata names, a paused one included).
 */
export async function topicState(via: string[], topic: string): Promise<PartitionState[]> {
  const problems: string[] = [];
  for (const address of via) {
    const { host, port } = hostPort(address);
    let connection: Connection | null = null;
    try {
      connection = await Connection.open(host, port, "chaos-admin");
      const response = await connection.request<MetadataResponse>(ApiKey.Metadata, Version.Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false }, STATE_TIMEOUT_MS);
      const found = response.topics.find((t) => t.name === topic);
      if (found === undefined || found.errorCode !== 0) throw new Error(`topic ${topic}: error ${found?.errorCode ?? "missing"}`);
      return found.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: [...p.replicaNodes].sort(), isr: [...p.isrNodes].sort() }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      problems.push(`${address}: ${String(error)}`);
    } finally {
      connection?.close();
    }
  }
  throw new Error(`no metadata for ${topic}: ${problems.join("; ")}`);
}

/** Polls metadata until every partition has a leader and its in-sync set is all its replicas; returns the last state. */
export async function waitSettled(bootstrap: string[], topic: string, timeoutMs: number): Promise<PartitionState[]> {
  const deadline = Date.now() + timeoutMs;
  let last: PartitionState[] | string = "no answer";
  while (Date.now() < deadline) {
    try {
      const state = await topicState(bootstrap, topic);
      if (state.length > 0 && state.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)) return state;
      last = state;
    } catch (error) {
      last = String(error);
    }
    await Bun.sleep(250); // poll interval
  }
  throw new Error(`partitions of ${topic} not settled within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** `step`, or a rejection after STEP_TIMEOUT_MS (kafkajs retries some errors for a long time). */
export async function bounded<T>(what: string, step: Promise<T>): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out`)), STEP_TIMEOUT_MS)));
  try {
    return await Promise.race([step, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A logical producer of a chaos run: one kafkajs producer at a time, running `step` until
 * stopped, replaced by a new one after a step fails.
 */
export abstract class ProducerLoop {
  private stopped = false;
  private done: Promise<void> = Promise.resolve();
  failures = 0;
  lastError = "";

  constructor(protected readonly bootstrap: string[], readonly index: number) {}

  /** A new, unconnected kafkajs producer. */
  protected abstract newProducer(): Producer;
  /** One step on a connected producer; false when it failed. */
  protected abstract step(producer: Producer): Promise<boolean>;
  /** Connect a replacement before stopping after a failure (a transactional producer's InitProducerId ends what the failed one left open). */
  protected readonly connectBeforeStop: boolean = false;

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async connect(): Promise<Producer | null> {
    const producer = this.newProducer();
    try {
      await bounded("connect", producer.connect());
      return producer;
    } catch (error) {
      this.lastError = String(error);
      await producer.disconnect().catch(() => {});
      return null;
    }
  }

  private async loop(): Promise<void> {
    let producer: Producer | null = null;
    while (!this.stopped || (producer === null && this.connectBeforeStop)) {
      producer ??= await this.connect();
      if (producer === null) {
        await Bun.sleep(RECONNECT_PAUSE_MS);
        continue;
      }
      if (this.stopped) break;
      if (!(await this.step(producer))) {
        this.failures++;
        await producer.disconnect().catch(() => {});
        producer = null;
      }
    }
    await producer?.disconnect().catch(() => {});
  }
}

export class ChaosProducer extends ProducerLoop {
  private seq = 0;
  private readonly nextKey: () => string;

  constructor(
    bootstrap: string[],
    private readonly topic: string,
    index: number,
    keys: string[],
    private readonly history: History,
    private readonly clock: () => number,
    seed: number,
    /** Send every record to this partition (default: kafkajs's key partitioner). */
    private readonly partition?: number,
  ) {
    super(bootstrap, index);
    this.nextKey = ((r) => () => keys[Math.floor(r() * keys.length)]!)(random(seed));
  }

  protected newProducer(): Producer {
    return chaosKafka(this.bootstrap, `chaos-producer-${this.index}`).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  /** One record, recorded before it is sent; true when acknowledged. */
  protected async step(producer: Producer): Promise<boolean> {
    const key = this.nextKey();
    const seq = this.seq++;
    const value = `${this.index}:${seq}`;
    const attempt: History["attempts"][number] = { value, key, producer: this.index, seq, acked: null, sentAtMs: this.clock() };
    this.history.attempts.push(attempt);
    try {
      const [meta] = await bounded("send", producer.send({ topic: this.topic, acks: -1, timeout: 5000, messages: [{ key, value, partition: this.partition }] }));
      if (meta === undefined || meta.errorCode !== 0) throw new Error(`send answered ${JSON.stringify(meta)}`);
      attempt.acked = { partition: meta.partition, offset: Number(meta.baseOffset) };
      attempt.ackedAtMs = this.clock();
      return true;
    } catch (error) {
      this.lastError = String(error);
      return false;
    }
  }
}

/** A kafkajs consumer group member (read_committed, kafkajs's default) recording every delivered record into `history.groupReads`. */
export async function startGroupConsumer(bootstrap: string[], topic: string, groupId: string, history: Pick<History, "groupReads">): Promise<Consumer> {
  const consumer = chaosKafka(bootstrap, "chaos-consumer").consumer({
    groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 500,
    eachMessage: async ({ partition, message }) => {
      history.groupReads.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
    },
  });
  return consumer;
}

/** `members` members of one group (started one after another), each recording into `history.groupReads`; `stop` disconnects them all. */
export async function startGroup(bootstrap: string[], topic: string, groupId: string, members: number, history: Pick<History, "groupReads">): Promise<{ stop(problems: string[]): Promise<void> }> {
  const consumers: Consumer[] = [];
  for (let i = 0; i < members; i++) consumers.push(await startGroupConsumer(bootstrap, topic, groupId, history));
  return {
    async stop(problems) {
      // Bounded: a consumer that never disconnects fails the run rather than hanging it.
      await Promise.all(consumers.map((c) => bounded("consumer disconnect", c.disconnect()).catch((error) => problems.push(`consumer disconnect: ${String(error)}`))));
    },
  };
}

/** Samples the group's committed offsets until stopped; failed polls (a node down) are skipped. */
export function pollCommits(bootstrap: string[], topic: string, groupId: string, history: Pick<History, "commits">, clock: () => number): { stop(problems: string[]): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    const admin = chaosKafka(bootstrap, "chaos-offsets").admin();
    await admin.connect().catch(() => {});
    while (!stopped) {
      try {
        const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const atMs = clock();
        for (const p of answer?.partitions ?? []) history.commits.push({ atMs, partition: p.partition, offset: Number(p.offset) });
      } catch {
        // a node is down or the coordinator moved: the next poll asks again
      }
      await Bun.sleep(COMMIT_POLL_MS);
    }
    await admin.disconnect().catch(() => {});
  })();
  return {
    async stop(problems) {
      stopped = true;
      await bounded("the committed-offset poller's stop", loop).catch((error) => problems.push(String(error)));
    },
  };
}

export function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** The offset after the last whole batch in fetched bytes (control batches too: they take offsets but hold no records for a reader). */
function nextOffsetAfter(bytes: Uint8Array | null, from: number): number {
  if (bytes === null) return from;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let next = from;
  for (let at = 0; at + 27 <= bytes.length;) {
    const batchLength = view.getInt32(at + 8);
    if (batchLength <= 0 || at + 12 + batchLength > bytes.length) break;
    next = Math.max(next, Number(view.getBigInt64(at)) + view.getInt32(at + 23) + 1);
    at += 12 + batchLength;
  }
  return next;
}

/** One partition from offset 0 to `end` through its leader. */
async function readPartition(client: KafkaClient, topic: string, partition: number, end: number, deadline: number): Promise<LogRecord[]> {
  const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
  const meta = await client.topic(topic);
  const leader = meta.partitions.find((p) => p.partitionIndex === partition)?.leaderId ?? -1;
  if (leader < 0) throw new Error(`partition ${partition} has no leader`);
  const records: LogRecord[] = [];
  let position = 0;
  while (position < end) {
    if (Date.now() > deadline) throw new Error(`final read of partition ${partition} stuck at ${position} of ${end}`);
    const response = await client.callNode(leader, "Fetch", {
      replicaId: -1, maxWaitMs: 200, minBytes: 1, maxBytes: 16 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: position, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 4 << 20 }] }],
      forgottenTopicsData: [], rackId: "",
    });
    const answer = response.responses[0]?.partitions[0];
    if (response.errorCode !== 0 || answer === undefined || answer.errorCode !== 0) throw new Error(`fetch ${topic}/${partition}@${position}: error ${answer?.errorCode ?? response.errorCode}`);
    for (const r of decodeRecords(answer.records, partition)) {
      if (r.offset >= position) records.push({ partition, offset: r.offset, key: text(r.key), value: text(r.value) });
    }
    position = nextOffsetAfter(answer.records, position);
  }
  return records;
}

/** Every record of every partition from offset 0 to the high watermark (retried from scratch on errors). */
export async function readAll(bootstrap: string[], topic: string, partitions: number, timeoutMs: number): Promise<LogRecord[]> {
  const deadline = Date.now() + timeoutMs;
  const ids = Array.from({ length: partitions }, (_, i) => i);
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    const client = new KafkaClient(bootstrap.map(hostPort), "chaos-reader");
    try {
      const ends = await watermarks(client, topic, ids);
      const records: LogRecord[] = [];
      for (const p of ids) records.push(...(await readPartition(client, topic, p, ends.get(p)!.highWatermark, deadline)));
      return records;
    } catch (error) {
      lastError = error;
      await Bun.sleep(500);
    } finally {
      client.close();
    }
  }
  throw new Error(`final read of ${topic} failed: ${String(lastError)}`);
}

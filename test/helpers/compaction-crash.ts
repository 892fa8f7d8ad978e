/**
 * kill -9 while compaction runs: each cycle produces keyed records (acks=-1) to a compacted topic
 * with small segments, waits a random moment (compaction passes run every few ms), kills the
 * broker, restarts it, reads the whole partition back with raw fetches and checks that every key
 * holds its latest acknowledged value. Used by test/e2e/compaction.test.ts (a few cycles) and
 * bench/compaction-crash.ts (many).
 */
import { ErrorCode } from "../../src/protocol/errors.ts";
import { mulberry32 } from "../../src/base/random.ts";
import type { Broker } from "./broker.ts";
import { kafkaClient, withProducer } from "./kafka.ts";
import { ApiKey, fetchAll, WireClient } from "./wire.ts";

export interface CompactionCrashResult {
  cycles: number;
  keysVerified: number;
  recordsAcked: number;
  /** One line per key whose latest value after a restart was not the acknowledged one. */
  problems: string[];
  /** Compaction passes the broker logged (all cycles). */
  passesLogged: number;
}

export const CRASH_TOPIC = "crash-compacted";
const KEYS = 150;

export async function runCompactionCrashCycles(broker: Broker, opts: { cycles: number; seed: number; log?: (line: string) => void }): Promise<CompactionCrashResult> {
  const random = mulberry32(opts.seed);
  const client = await WireClient.connect(broker.kafkaPort);
  const created: any = await client.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: CRASH_TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: "cleanup.policy", value: "compact" }, { name: "segment.bytes", value: "8192" }, { name: "min.cleanable.dirty.ratio", value: "0.01" }] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  client.close();
  if (created.topics[0].errorCode !== ErrorCode.NONE) throw new Error(`create ${CRASH_TOPIC}: error ${created.topics[0].errorCode}`);
  const expected = new Map<string, string>();
  const result: CompactionCrashResult = { cycles: 0, keysVerified: 0, recordsAcked: 0, problems: [], passesLogged: 0 };
  for (let cycle = 0; cycle < opts.cycles; cycle++) {
    await withProducer(kafkaClient(broker), async (producer) => {
      for (let n = 0; n < 6; n++) {
        const messages = Array.from({ length: 500 }, (_, i) => ({ key: `key-${(n * 500 + i) % KEYS}`, value: `c${cycle}-${n}-${i}`.padEnd(30, ".") }));
        await producer.send({ topic: CRASH_TOPIC, acks: -1, messages });
        for (const m of messages) expected.set(m.key, m.value);
        result.recordsAcked += messages.length;
      }
    });
    await Bun.sleep(Math.floor(random() * 200)); // somewhere inside the compaction passes that follow
    result.passesLogged += broker.stderr().split("\n").filter((line) => line.includes("compacted partition=")).length;
    await broker.kill9();
    await broker.restart();
    const wire = await WireClient.connect(broker.kafkaPort);
    const records = (await fetchAll(wire, CRASH_TOPIC, [0])).get(0)!;
    wire.close();
    const latest = new Map<string, string | null>();
    for (const r of records) latest.set(r.key!, r.value);
    for (const [key, value] of expected) if (latest.get(key) !== value) result.problems.push(`cycle ${cycle}: ${key} reads ${latest.get(key)}, acknowledged ${value}`);
    for (const key of latest.keys()) if (!expected.has(key)) result.problems.push(`cycle ${cycle}: ${key} was never produced`);
    result.keysVerified += expected.size;
    result.cycles++;
    opts.log?.(`cycle ${cycle}: ${records.length} records read back, ${latest.size} keys, problems so far ${result.problems.length}`);
  }
  return result;
}

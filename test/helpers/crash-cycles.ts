/**
 * Crash cycles against dist/skua: producers with acks=-1 and unique payloads, kill -9 of the
 * broker at a random moment, restart on the same data dir, then check that every record
 * acknowledged so far is present at exactly its acknowledged offset with its bytes, that
 * offsets are dense, and that nothing was invented or duplicated. Used by test/e2e/crash.test.ts
 * (short) and bench/crash-soak.ts (long); its producer lanes also by test/e2e/durability.test.ts.
 */
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { mulberry32 } from "../../src/base/random.ts";
import { adminGet, startBroker } from "./broker.ts";
import { createTopic, kafkaClient } from "./kafka.ts";
import { fetchAll, produce, WireClient } from "./wire.ts";

export interface CrashRunOptions {
  io: "uring" | "posix";
  cycles: number;
  seed: number;
  partitions?: number;
  lanes?: number;
  /** The kill comes at a random moment up to this long after production started. */
  killAfterMsMax?: number;
  log?: (line: string) => void;
}

export interface CrashRunResult {
  cycles: number;
  ackedRecords: number;
  verifiedRecords: number;
  /** Every way the log broke a promise; empty when all is well. */
  problems: string[];
  backendsSeen: string[];
}

const RECORDS_PER_REQUEST = 5;
const ACK_WAIT_MS_MAX = 5_000;

export async function runCrashCycles(options: CrashRunOptions): Promise<CrashRunResult> {
  const partitions = options.partitions ?? 3;
  const random = mulberry32(options.seed);
  await using broker = await startBroker({ smp: 2, extraArgs: ["--io", options.io] });
  const backendsSeen = [...new Set((JSON.parse((await adminGet(broker, "/v1/shards")).text) as Array<{ backend: string }>).map((s) => s.backend))];
  const topic = "crash";
  await createTopic(kafkaClient(broker), topic, partitions);
  const acked = new Map<string, string>(); // "partition/offset" -> value
  const sent = new Set<string>();
  const problems: string[] = [];
  let verifiedRecords = 0;
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const killAfterMs = Math.floor(random() * (options.killAfterMsMax ?? 400));
    const ackedThisCycle = await produceUntilKilled(broker, topic, partitions, options.lanes ?? 6, killAfterMs, cycle, random, acked, sent);
    await broker.restart();
    const verified = await verifyAll(broker.kafkaPort, topic, partitions, acked, sent, problems);
    verifiedRecords = verified;
    options.log?.(`cycle ${cycle + 1}/${options.cycles}: kill -9 after ${killAfterMs} ms, ${ackedThisCycle} records acknowledged this cycle; ${verified} of ${acked.size} acknowledged records verified; problems ${problems.length}`);
    if (problems.length > 0) break;
  }
  return { cycles: options.cycles, ackedRecords: acked.size, verifiedRecords, problems, backendsSeen };
}

async function produceUntilKilled(
  broker: Awaited<ReturnType<typeof startBroker>>,
  topic: string,
  partitions: number,
  laneCount: number,
  killAfterMs: number,
  cycle: number,
  random: () => number,
  acked: Map<string, string>,
  sent: Set<string>,
): Promise<number> {
  const wire = await WireClient.connect(broker.kafkaPort);
  let seq = 0;
  // Unique, random-looking payloads: a record from another place or time cannot pass for this one.
  const valueOf = (lane: number, partition: number) =>
    `c${cycle}-l${lane}-s${seq++}-p${partition}-${Math.floor(random() * 2 ** 48).toString(36).padEnd(10 + Math.floor(random() * 200), "x")}`;
  const lanes = startAcksAllLanes({ wire, topic, partitions, lanes: laneCount, recordsPerRequest: RECORDS_PER_REQUEST, valueOf, acked, sent });
  const started = Date.now();
  // At the random moment, but only once something was acknowledged (bounded), with requests in flight.
  while (Date.now() - started < killAfterMs || (lanes.ackedRecords === 0 && Date.now() - started < ACK_WAIT_MS_MAX)) await Bun.sleep(2);
  await broker.kill9();
  await lanes.stop();
  return lanes.ackedRecords;
}

export interface AcksAllLanes {
  readonly ackedRequests: number;
  readonly ackedRecords: number;
  /** Stops sending and waits for every lane (a request the broker died with is not acknowledged). */
  stop(): Promise<void>;
}

/**
 * Producer lanes with acks=-1 over one connection, each keeping one request in flight: a batch
 * of `recordsPerRequest` values from `valueOf` to one partition, lanes rotating over partitions.
 * Every value sent goes into `sent`, every acknowledged one into `acked` at "partition/offset".
 */
export function startAcksAllLanes(options: {
  wire: WireClient;
  topic: string;
  partitions: number;
  lanes: number;
  recordsPerRequest: number;
  valueOf: (lane: number, partition: number) => string;
  acked: Map<string, string>;
  sent: Set<string>;
}): AcksAllLanes {
  const { wire, topic, acked, sent } = options;
  let stopped = false;
  const counts = { ackedRequests: 0, ackedRecords: 0 };
  const lane = async (laneId: number) => {
    for (let n = 0; !stopped; n++) {
      const partition = (laneId + n) % options.partitions;
      const values = Array.from({ length: options.recordsPerRequest }, () => options.valueOf(laneId, partition));
      values.forEach((v) => sent.add(v));
      const records = buildBatch({ baseTimestamp: Date.now(), records: values.map((value) => ({ key: `lane-${laneId}`, value })) });
      let response;
      try {
        response = await produce(wire, topic, [{ partition, records }], -1);
      } catch {
        return; // the broker died with this request in flight: not acknowledged
      }
      const p = response.responses[0].partitionResponses[0];
      if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode} on ${topic}/${partition}`);
      values.forEach((value, i) => acked.set(`${partition}/${p.baseOffset + i}`, value));
      counts.ackedRequests++;
      counts.ackedRecords += values.length;
    }
  };
  const running = Promise.all(Array.from({ length: options.lanes }, (_, i) => lane(i)));
  return {
    get ackedRequests() {
      return counts.ackedRequests;
    },
    get ackedRecords() {
      return counts.ackedRecords;
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** Returns how many acknowledged records were found intact; adds a line to `problems` for each broken promise. */
async function verifyAll(port: number, topic: string, partitions: number, acked: Map<string, string>, sent: Set<string>, problems: string[]): Promise<number> {
  const reader = await WireClient.connect(port);
  try {
    const byPartition = await fetchAll(reader, topic, Array.from({ length: partitions }, (_, i) => i));
    const seen = new Set<string>();
    for (const [partition, records] of byPartition) {
      records.forEach((r, i) => {
        if (r.offset !== i) problems.push(`${partition}: offset ${r.offset} at position ${i} (not dense)`);
        if (!sent.has(r.value!)) problems.push(`${partition}/${r.offset}: a value never sent`);
        if (seen.has(r.value!)) problems.push(`${partition}/${r.offset}: duplicate value`);
        seen.add(r.value!);
      });
    }
    let verified = 0;
    for (const [where, value] of acked) {
      const [partition, offset] = where.split("/").map(Number);
      const record = byPartition.get(partition!)![offset!];
      if (record?.value === value) verified++;
      else problems.push(`${where}: acknowledged ${value.slice(0, 24)}…, found ${record?.value?.slice(0, 24) ?? "nothing"}`);
    }
    return verified;
  } finally {
    reader.close();
  }
}

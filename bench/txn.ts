/**
 * Transactional producers against idempotent ones, same broker, same run: `--producers`
 * producers, each on its own connection and partition, send batches of `--batch-records`
 * records of `--record-bytes` (acks=-1, one produce in flight each) for `--seconds` per phase.
 * Phases: idempotent (the baseline), then transactional with one transaction per 100 and per
 * 10,000 records (AddPartitionsToTxn, the batches, EndTxn commit; an AddPartitionsToTxn answered
 * CONCURRENT_TRANSACTIONS while the previous commit's markers are out is retried after 1 ms,
 * and counted). Phases alternate over `--rounds` rounds; the table shows each phase's best
 * round and its ratio to the idempotent one. The client is skua's own wire client on the
 * codec (test/helpers/wire.ts), not kafkajs, whose per-record cost would hide the broker's.
 * `--nodes 3`: a cluster of three `dist/skua` processes, the topic at RF = min(3, nodes); each
 * producer sends its batches to its partition's leader and its transaction requests to its
 * transactional id's coordinator (the leader of its `__transaction_state` partition), so markers
 * go through Raft and, when the partition's leader is another node, over RPC.
 *
 *     bun run bench/txn.ts [--seconds 5] [--rounds 2] [--producers 4] [--batch-records 100] [--record-bytes 1024] [--smp 2] [--nodes 1]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ErrorCode } from "../src/protocol/errors.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { freePort } from "../test/helpers/broker.ts";
import { WireClient } from "../test/helpers/wire.ts";
import { logTail, startBroker, type BrokerProcess } from "./lib/broker.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "2" },
    producers: { type: "string", default: "4" },
    "batch-records": { type: "string", default: "100" },
    "record-bytes": { type: "string", default: "1024" },
    smp: { type: "string", default: "2" },
    nodes: { type: "string", default: "1" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const producerCount = Number(values.producers);
const batchRecords = Number(values["batch-records"]);
const recordBytes = Number(values["record-bytes"]);
const smp = Number(values.smp);
const nodeCount = Number(values.nodes);
const TOPIC = "bench-txn";

const API = { Produce: 0, Metadata: 3, FindCoordinator: 10, CreateTopics: 19, InitProducerId: 22, AddPartitionsToTxn: 24, EndTxn: 26 } as const;

interface PhaseResult {
  records: number;
  seconds: number;
  transactions: number;
  concurrentRetries: number;
}

const value = new Uint8Array(recordBytes).fill(120);

function batch(producerId: number, producerEpoch: number, baseSequence: number, transactional: boolean): Uint8Array {
  return buildBatch({ records: Array.from({ length: batchRecords }, () => ({ value })), producerId, producerEpoch, baseSequence, transactional, baseTimestamp: Date.now() });
}

async function produceOne(client: WireClient, transactionalId: string | null, partition: number, records: Uint8Array): Promise<void> {
  const response = await client.request(API.Produce, 9, {
    transactionalId, acks: -1, timeoutMs: 30_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }],
  });
  const errorCode = response.responses[0].partitionResponses[0].errorCode;
  if (errorCode !== ErrorCode.NONE) throw new Error(`produce failed: error ${errorCode}`);
}

async function initProducerId(client: WireClient, transactionalId: string | null): Promise<{ producerId: number; producerEpoch: number }> {
  for (;;) {
    const r = await client.request(API.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    if (r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) (await Bun.sleep(1));
    else if (r.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId failed: error ${r.errorCode}`);
    else return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }
}

/** Where a producer's requests go: the node serving its partition, and the one coordinating its transactional id. */
interface Route {
  leaderPort(partition: number): Promise<number>;
  coordinatorPort(transactionalId: string): Promise<number>;
}

/** One producer for `seconds`: idempotent batches, or transactions of `recordsPerTxn` records. */
async function runProducer(route: Route, partition: number, recordsPerTxn: number | null, round: number): Promise<PhaseResult> {
  const transactionalId = recordsPerTxn === null ? null : `bench-${round}-${partition}-${recordsPerTxn}`;
  const client = await WireClient.connect(await route.leaderPort(partition));
  const coordinatorPort = transactionalId === null ? null : await route.coordinatorPort(transactionalId);
  const coordinator = coordinatorPort === null ? client : await WireClient.connect(coordinatorPort);
  const { producerId, producerEpoch } = await initProducerId(coordinator, transactionalId);
  const result: PhaseResult = { records: 0, seconds: 0, transactions: 0, concurrentRetries: 0 };
  let sequence = 0;
  const startMs = performance.now();
  const endMs = startMs + seconds * 1000;
  try {
    while (performance.now() < endMs) {
      if (transactionalId === null) {
        await produceOne(client, null, partition, batch(producerId, producerEpoch, sequence, false));
        sequence += batchRecords;
        result.records += batchRecords;
        continue;
      }
      for (;;) {
        const added = await coordinator.request(API.AddPartitionsToTxn, 3, {
          v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
          v3AndBelowTopics: [{ name: TOPIC, partitions: [partition] }],
        });
        const code = added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode;
        if (code === ErrorCode.NONE) break;
        if (code !== ErrorCode.CONCURRENT_TRANSACTIONS) throw new Error(`AddPartitionsToTxn failed: error ${code}`);
        result.concurrentRetries++;
        await Bun.sleep(1);
      }
      for (let sent = 0; sent < recordsPerTxn!; sent += batchRecords) {
        await produceOne(client, transactionalId, partition, batch(producerId, producerEpoch, sequence, true));
        sequence += batchRecords;
      }
      const ended = await coordinator.request(API.EndTxn, 3, { transactionalId, producerId, producerEpoch, committed: true });
      if (ended.errorCode !== ErrorCode.NONE) throw new Error(`EndTxn failed: error ${ended.errorCode}`);
      result.records += recordsPerTxn!;
      result.transactions++;
    }
  } finally {
    client.close();
    if (coordinator !== client) coordinator.close();
  }
  result.seconds = (performance.now() - startMs) / 1000;
  return result;
}

async function phase(route: Route, recordsPerTxn: number | null, round: number): Promise<PhaseResult> {
  const results = await Promise.all(Array.from({ length: producerCount }, (_, p) => runProducer(route, p, recordsPerTxn, round)));
  return {
    records: results.reduce((n, r) => n + r.records, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
    transactions: results.reduce((n, r) => n + r.transactions, 0),
    concurrentRetries: results.reduce((n, r) => n + r.concurrentRetries, 0),
  };
}

/** Polls `find` every 100 ms until it answers (a leader elected, a coordinator loaded), for at most 30 s. */
async function until<T>(what: string, find: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

async function startNodes(): Promise<BrokerProcess[]> {
  const repo = resolve(import.meta.dir, "..");
  if (nodeCount === 1) return [await startBroker(repo, smp)];
  const rpcPorts = Array.from({ length: nodeCount }, freePort);
  const seeds = rpcPorts.map((p) => `127.0.0.1:${p}`).join(",");
  return Promise.all(rpcPorts.map((port, i) => startBroker(repo, smp, undefined, ["--node-id", String(i + 1), "--rpc-addr", `127.0.0.1:${port}`, "--seeds", seeds])));
}

const nodes = await startNodes();
await using _stop = { [Symbol.asyncDispose]: async () => void (await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()))) };
const broker = nodes[0]!;
const admin = await WireClient.connect(broker.kafkaPort);
const replicationFactor = Math.min(3, nodeCount);
await until("the topic created", async () => {
  const created = await admin.request(API.CreateTopics, 4, { topics: [{ name: TOPIC, numPartitions: producerCount, replicationFactor, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  const code = created.topics[0].errorCode;
  if (code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS) return true;
  return undefined; // no controller leader yet
});

/** Each partition's leader's Kafka port from Metadata (one node: itself). */
const route: Route = {
  leaderPort: (partition) => until(`a leader of ${TOPIC}/${partition}`, async () => {
    const m = await admin.request(API.Metadata, 12, { topics: [{ topicId: "00000000-0000-0000-0000-000000000000", name: TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const leader = m.topics[0]?.partitions.find((p: { partitionIndex: number }) => p.partitionIndex === partition)?.leaderId;
    return m.brokers.find((b: { nodeId: number }) => b.nodeId === leader)?.port as number | undefined;
  }),
  coordinatorPort: (transactionalId) => until(`the coordinator of ${transactionalId}`, async () => {
    const f = await admin.request(API.FindCoordinator, 4, { keyType: 1, coordinatorKeys: [transactionalId] });
    const c = f.coordinators[0];
    return c.errorCode === ErrorCode.NONE ? (c.port as number) : undefined;
  }),
};

const phases: Array<{ label: string; recordsPerTxn: number | null }> = [
  { label: "idempotent", recordsPerTxn: null },
  { label: "txn / 100 records", recordsPerTxn: 100 },
  { label: "txn / 10,000 records", recordsPerTxn: 10_000 },
];
const best = new Map<string, PhaseResult>();
for (let round = 0; round < rounds; round++) {
  for (const p of phases) {
    const r = await phase(route, p.recordsPerTxn, round).catch((error) => {
      for (const n of nodes) console.error(`${p.label} failed; ${n.logPath} ends:\n${logTail(n.logPath, 30)}`);
      throw error;
    });
    const rate = r.records / r.seconds;
    console.log(`round ${round + 1} ${p.label.padEnd(22)} ${rate.toFixed(0).padStart(8)} records/s  ${r.transactions} transactions  ${r.concurrentRetries} CONCURRENT_TRANSACTIONS retries`);
    const previous = best.get(p.label);
    if (!previous || rate > previous.records / previous.seconds) best.set(p.label, r);
  }
}

const baseline = best.get("idempotent")!;
const baseRate = baseline.records / baseline.seconds;
admin.close();
console.log(`\n${nodeCount === 1 ? "one node" : `${nodeCount} nodes, RF ${replicationFactor}`}, smp ${smp}, ${producerCount} producers, batches of ${batchRecords} × ${recordBytes} B, acks=-1, best of ${rounds} rounds of ${seconds} s, client: skua wire client`);
console.log("| producer | records/s | MB/s | × idempotent | transactions/s | CONCURRENT_TRANSACTIONS retries per txn |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const p of phases) {
  const r = best.get(p.label)!;
  const rate = r.records / r.seconds;
  const perTxn = r.transactions === 0 ? "–" : (r.concurrentRetries / r.transactions).toFixed(1);
  console.log(`| ${p.label} | ${rate.toFixed(0)} | ${((rate * recordBytes) / 1e6).toFixed(1)} | ${(rate / baseRate).toFixed(2)} | ${(r.transactions / r.seconds).toFixed(1)} | ${perTxn} |`);
}

/**
 * read_committed against read_uncommitted fetch MB/s, same run, same log. One partition is
 * filled by a transactional producer (`--batches-per-txn` batches of `--batch-kib` KiB per
 * transaction, every `--abort-every`-th transaction aborted) whose commit and abort markers are
 * written with WriteTxnMarkers (the partition side alone: no coordinator in the loop), beside
 * a second partition of the same bytes from a plain producer. Then each round reads each whole
 * partition from offset 0 with isolation_level 0 and 1 (1 MiB per fetch), in alternating order.
 * Run: bun run bench/txn-fetch.ts [--mib 128] [--rounds 6] [--smp 1]
 */
import { parseArgs } from "node:util";
import type { FetchResponse } from "../src/protocol/messages/index.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { concatBytes } from "../src/base/bytes.ts";
import { startBroker } from "../test/helpers/broker.ts";
import { ApiKey, produce, WireClient } from "../test/helpers/wire.ts";

const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "128" },
    rounds: { type: "string", default: "6" },
    smp: { type: "string", default: "1" },
    "batch-kib": { type: "string", default: "16" },
    "batches-per-txn": { type: "string", default: "10" },
    "abort-every": { type: "string", default: "10" },
  },
});
const TOTAL_BYTES = Number(values.mib) << 20;
const ROUNDS = Number(values.rounds);
const BATCH_BYTES = Number(values["batch-kib"]) << 10;
const BATCHES_PER_TXN = Number(values["batches-per-txn"]);
const ABORT_EVERY = Number(values["abort-every"]);
const RECORD_BYTES = 1024;
const TOPIC = "txn-fetch";
const TXN_PARTITION = 0;
const PLAIN_PARTITION = 1;

await using broker = await startBroker({ smp: Number(values.smp) });
const client = await WireClient.connect(broker.kafkaPort);
const created: any = await client.request(ApiKey.CreateTopics, 7, {
  topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 60_000, validateOnly: false,
});
if (created.topics[0].errorCode !== 0) throw new Error(`create: ${created.topics[0].errorMessage}`);
const init: any = await client.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
const producerId = Number(init.producerId);

const value = new Uint8Array(RECORD_BYTES - 40).fill(7);
const recordsPerBatch = Math.max(1, Math.floor(BATCH_BYTES / RECORD_BYTES));
let sequence = 0;
function txnBatches(): Uint8Array {
  const batches = [];
  for (let b = 0; b < BATCHES_PER_TXN; b++) {
    const records = Array.from({ length: recordsPerBatch }, () => ({ value }));
    batches.push(buildBatch({ records, producerId, producerEpoch: 0, baseSequence: sequence, transactional: true }));
    sequence += recordsPerBatch;
  }
  return concatBytes(batches);
}
const plainBatches = () => concatBytes(Array.from({ length: BATCHES_PER_TXN }, () => buildBatch({ records: Array.from({ length: recordsPerBatch }, () => ({ value })) })));

const txnBytes = BATCHES_PER_TXN * recordsPerBatch * RECORD_BYTES;
const transactions = Math.ceil(TOTAL_BYTES / txnBytes);
let aborted = 0;
const fillStarted = performance.now();
for (let t = 0; t < transactions; t++) {
  const answer = await produce(client, TOPIC, [{ partition: TXN_PARTITION, records: txnBatches() }, { partition: PLAIN_PARTITION, records: plainBatches() }], 1);
  for (const p of answer.responses[0].partitionResponses) if (p.errorCode !== 0) throw new Error(`produce ${p.index}: error ${p.errorCode} ${p.errorMessage}`);
  const commit = ABORT_EVERY <= 0 || (t + 1) % ABORT_EVERY !== 0;
  if (!commit) aborted++;
  const marked: any = await client.request(27, 1, { markers: [{ producerId, producerEpoch: 0, transactionResult: commit, coordinatorEpoch: 0, topics: [{ name: TOPIC, partitionIndexes: [TXN_PARTITION] }] }] });
  const code = marked.markers[0].topics[0].partitions[0].errorCode;
  if (code !== 0) throw new Error(`WriteTxnMarkers: error ${code}`);
}
const fillSeconds = (performance.now() - fillStarted) / 1000;

interface Read {
  bytes: number;
  seconds: number;
  fetches: number;
  abortedListed: number;
}

/** Reads a whole partition from 0 to its end under one isolation level. */
async function readPartition(partition: number, isolationLevel: number): Promise<Read> {
  const started = performance.now();
  let offset = 0;
  let bytes = 0;
  let fetches = 0;
  let abortedListed = 0;
  for (;;) {
    const response = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 32 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, rackId: "", forgottenTopicsData: [],
      topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
    });
    fetches++;
    const p = response.responses[0]!.partitions[0]!;
    if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
    const records = p.records ?? new Uint8Array(0);
    if (records.length === 0) break;
    bytes += records.length;
    abortedListed += p.abortedTransactions?.length ?? 0;
    offset = endOffsetOf(records);
    if (offset >= (isolationLevel === 1 ? p.lastStableOffset : p.highWatermark)) break;
  }
  return { bytes, seconds: (performance.now() - started) / 1000, fetches, abortedListed };
}

function endOffsetOf(records: Uint8Array): number {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let at = 0;
  let end = 0;
  while (at + 61 <= records.length) {
    const length = view.getInt32(at + 8);
    if (at + 12 + length > records.length) break;
    end = Number(view.getBigInt64(at)) + view.getInt32(at + 23) + 1;
    at += 12 + length;
  }
  return end;
}

const modes = [
  { name: "plain partition, read_uncommitted (baseline)", partition: PLAIN_PARTITION, isolation: 0 },
  { name: "transactional partition, read_uncommitted", partition: TXN_PARTITION, isolation: 0 },
  { name: "transactional partition, read_committed", partition: TXN_PARTITION, isolation: 1 },
];
const results = new Map(modes.map((m) => [m.name, [] as Read[]]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? modes : [...modes].reverse();
  for (const mode of order) results.get(mode.name)!.push(await readPartition(mode.partition, mode.isolation));
}
client.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (r: Read) => r.bytes / (1 << 20) / r.seconds;
const baselineReads = results.get(modes[0]!.name)!;
const uncommittedReads = results.get(modes[1]!.name)!;
console.log(`filled ${transactions} transactions of ${BATCHES_PER_TXN} batches × ${recordsPerBatch} 1 KiB records (${aborted} aborted) in ${fillSeconds.toFixed(1)} s; ${ROUNDS} rounds, medians`);
console.log("| mode | MiB read | fetches | aborted txns listed | MB/s | ÷ plain, same round | ÷ read_uncommitted, same round |");
console.log("|---|---|---|---|---|---|---|");
for (const mode of modes) {
  const reads = results.get(mode.name)!;
  const vsPlain = median(reads.map((r, i) => mbps(r) / mbps(baselineReads[i]!)));
  const vsUncommitted = median(reads.map((r, i) => mbps(r) / mbps(uncommittedReads[i]!)));
  console.log(`| ${mode.name} | ${(reads[0]!.bytes / (1 << 20)).toFixed(1)} | ${reads[0]!.fetches} | ${reads[0]!.abortedListed} | ${median(reads.map(mbps)).toFixed(0)} | ${vsPlain.toFixed(2)} | ${vsUncommitted.toFixed(2)} |`);
}

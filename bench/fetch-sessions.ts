/**
 * Full vs incremental fetch (KIP-227) over 1,000 caught-up partitions, in one run on one broker.
 * Each round produces one record to the next partition (round robin) and then fetches: "full"
 * sends every partition without a session (epoch -1) and gets every partition back;
 * "incremental" sends only the partition whose position moved and gets only the one with news.
 * A produce-only phase is the baseline the fetch phases' broker CPU is measured against.
 * Run: bun run bench/fetch-sessions.ts [--partitions 1000] [--rounds 400] [--smp 1]
 */
import { parseArgs } from "node:util";
import { encodeRequestFrame, encodeResponseFrame } from "../src/protocol/frame.ts";
import type { FetchResponse } from "../src/protocol/messages/index.ts";
import { Writer } from "../src/protocol/writer.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { processCpuSeconds } from "./lib/broker.ts";
import { startBroker } from "../test/helpers/broker.ts";
import { ApiKey, produce, WireClient } from "../test/helpers/wire.ts";

const { values } = parseArgs({
  options: { partitions: { type: "string", default: "1000" }, rounds: { type: "string", default: "400" }, smp: { type: "string", default: "1" } },
});
const PARTITIONS = Number(values.partitions);
const ROUNDS = Number(values.rounds);
const TOPIC = "sessions";
const VALUE = new Uint8Array(100).fill(1);

await using broker = await startBroker({ smp: Number(values.smp) });
const client = await WireClient.connect(broker.kafkaPort);
const created: any = await client.request(ApiKey.CreateTopics, 7, {
  topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 60_000, validateOnly: false,
});
if (created.topics[0].errorCode !== 0) throw new Error(`create: ${created.topics[0].errorMessage}`);

/** The consumer's position per partition, and which moved since the last request. */
const positions = new Array<number>(PARTITIONS).fill(0);
let round = 0;

async function produceNext(): Promise<void> {
  const partition = round++ % PARTITIONS;
  const answer = await produce(client, TOPIC, [{ partition, records: buildBatch({ records: [{ value: VALUE }] }) }], 1);
  if (answer.responses[0].partitionResponses[0].errorCode !== 0) throw new Error("produce failed");
}

function fetchBody(sessionId: number, sessionEpoch: number, partitions: number[]) {
  return {
    replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 32 << 20, isolationLevel: 0, rackId: "", sessionId, sessionEpoch, forgottenTopicsData: [],
    topics: partitions.length === 0 ? [] : [{ topic: TOPIC, partitions: partitions.map((p) => ({ partition: p, fetchOffset: positions[p], partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })) }],
  };
}

interface Phase {
  name: string;
  cpuMsPerRound: number;
  requestBytes: number;
  responseBytes: number;
  partitionsAnswered: number;
  latencyMs: number;
}

/** Sends one fetch, advances positions of the partitions that brought records, measures its frames. */
async function fetchOnce(body: ReturnType<typeof fetchBody>, stats: { requestBytes: number; responseBytes: number; answered: number; moved: number[] }): Promise<FetchResponse> {
  stats.requestBytes += encodeRequestFrame(ApiKey.Fetch, 12, 0, "bench", body).length;
  const response = await client.request<FetchResponse>(ApiKey.Fetch, 12, body);
  if (response.errorCode !== 0) throw new Error(`fetch error ${response.errorCode}`);
  stats.responseBytes += encodeResponseFrame(ApiKey.Fetch, 12, 0, response, new Writer(1 << 16)).length;
  for (const t of response.responses) {
    for (const p of t.partitions) {
      stats.answered++;
      if (p.errorCode !== 0) throw new Error(`fetch ${p.partitionIndex} error ${p.errorCode}`);
      if ((p.records?.length ?? 0) > 0 && positions[p.partitionIndex] < p.highWatermark) {
        positions[p.partitionIndex] = p.highWatermark;
        stats.moved.push(p.partitionIndex);
      }
    }
  }
  return response;
}

async function phase(name: string, step: (stats: { requestBytes: number; responseBytes: number; answered: number; moved: number[] }) => Promise<void>): Promise<Phase> {
  const stats = { requestBytes: 0, responseBytes: 0, answered: 0, moved: [] as number[] };
  const cpuBefore = processCpuSeconds(broker.pid)!;
  const startMs = performance.now();
  for (let i = 0; i < ROUNDS; i++) await step(stats);
  const elapsedMs = performance.now() - startMs;
  const cpuMs = (processCpuSeconds(broker.pid)! - cpuBefore) * 1000;
  return { name, cpuMsPerRound: cpuMs / ROUNDS, requestBytes: stats.requestBytes / ROUNDS, responseBytes: stats.responseBytes / ROUNDS, partitionsAnswered: stats.answered / ROUNDS, latencyMs: elapsedMs / ROUNDS };
}

const all = Array.from({ length: PARTITIONS }, (_, p) => p);
// Warm up: every partition has one record and the consumer is caught up.
for (let p = 0; p < PARTITIONS; p++) await produceNext();
await fetchOnce(fetchBody(0, -1, all), { requestBytes: 0, responseBytes: 0, answered: 0, moved: [] });

const produceOnly = await phase("produce only (baseline)", async () => produceNext());
const full = await phase("produce + full fetch", async (stats) => {
  await produceNext();
  await fetchOnce(fetchBody(0, -1, all), stats);
});
const opened = await fetchOnce(fetchBody(0, 0, all), { requestBytes: 0, responseBytes: 0, answered: 0, moved: [] });
let epoch = 1;
let moved: number[] = [];
const incremental = await phase("produce + incremental fetch", async (stats) => {
  await produceNext();
  stats.moved = [];
  await fetchOnce(fetchBody(opened.sessionId, epoch++, moved), stats);
  moved = stats.moved;
});
client.close();

const fetchCpu = (p: Phase) => p.cpuMsPerRound - produceOnly.cpuMsPerRound;
console.log(`${PARTITIONS} caught-up partitions, one record produced per round, ${ROUNDS} rounds per phase, --smp ${values.smp}`);
console.log("| phase | request bytes/fetch | response bytes/fetch | partitions answered | broker CPU ms/round | of which fetch | round trip ms |");
console.log("|---|---|---|---|---|---|---|");
for (const p of [produceOnly, full, incremental]) {
  const fetching = p === produceOnly ? "—" : fetchCpu(p).toFixed(3);
  console.log(`| ${p.name} | ${p.requestBytes.toFixed(0)} | ${p.responseBytes.toFixed(0)} | ${p.partitionsAnswered.toFixed(1)} | ${p.cpuMsPerRound.toFixed(3)} | ${fetching} | ${p.latencyMs.toFixed(2)} |`);
}
console.log(`incremental vs full: response bytes ${(full.responseBytes / incremental.responseBytes).toFixed(0)}× fewer, request bytes ${(full.requestBytes / incremental.requestBytes).toFixed(0)}× fewer, fetch CPU ${(fetchCpu(full) / Math.max(fetchCpu(incremental), 1e-3)).toFixed(1)}× less`);

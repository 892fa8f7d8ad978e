/**
 * Consumer-group benchmark against dist/skua:
 *   1. join latency of a 3-member group: three connections each do the v5 two-step JoinGroup
 *      at once, then SyncGroup (leader with the assignments); timed from the first JoinGroup
 *      sent to the last SyncGroup answered. A fresh group each round.
 *   2. OffsetCommit throughput: pipelined OffsetCommit v8 (each answered after fdatasync), over
 *      several connections and groups, 1 and 12 partitions per request.
 * Usage: bun run bench/groups.ts [--smp 2] [--rounds 100] [--seconds 5] [--connections 4] [--depth 16] [--io uring|posix]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/base/clock.ts";
import { systemTimers } from "../src/base/timers.ts";
import { MetadataTable } from "../src/cluster/metadata.ts";
import { defaultProperties } from "../src/cluster/properties.ts";
import { GroupCoordinator } from "../src/group/coordinator.ts";
import { PosixDisk } from "../src/io/posix-disk.ts";
import { ErrorCode } from "../src/protocol/errors.ts";
import { startBroker } from "./lib/broker.ts";
import { LatencyRecorder } from "./lib/stats.ts";
import { WireClient } from "../test/helpers/wire.ts";

const Api = { OffsetCommit: 8, OffsetFetch: 9, JoinGroup: 11, SyncGroup: 14, LeaveGroup: 13, CreateTopics: 19 };
const TOPIC = "bench-groups";
const TOPIC_PARTITIONS = 12;
const GROUPS_FOR_COMMITS = 8;

const { values: flags } = parseArgs({
  options: {
    smp: { type: "string", default: "2" },
    rounds: { type: "string", default: "100" },
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "4" },
    depth: { type: "string", default: "16" },
    io: { type: "string" },
  },
});
const smp = Number(flags.smp);
const rounds = Number(flags.rounds);
const seconds = Number(flags.seconds);
const connections = Number(flags.connections);
const depth = Number(flags.depth);

const fmt = (ms: number) => ms.toFixed(2);

function joinBody(groupId: string, memberId: string) {
  return { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: new Uint8Array(16) }] };
}

/** One 3-member rendezvous; returns its wall time in ms. */
async function joinRound(clients: WireClient[], groupId: string): Promise<number> {
  const startMs = performance.now();
  const firsts = await Promise.all(clients.map((c) => c.request(Api.JoinGroup, 5, joinBody(groupId, ""))));
  const joins = await Promise.all(clients.map((c, i) => c.request(Api.JoinGroup, 5, joinBody(groupId, firsts[i].memberId))));
  if (joins.some((j) => j.errorCode !== 0)) throw new Error(`join failed: ${joins.map((j) => j.errorCode)}`);
  const leader = joins.find((j) => j.memberId === j.leader)!;
  const assignments = leader.members.map((m: { memberId: string }) => ({ memberId: m.memberId, assignment: new Uint8Array(32) }));
  const syncs = await Promise.all(
    clients.map((c, i) => c.request(Api.SyncGroup, 3, { groupId, generationId: joins[i].generationId, memberId: joins[i].memberId, groupInstanceId: null, assignments: joins[i].memberId === leader.memberId ? assignments : [] })),
  );
  if (syncs.some((s) => s.errorCode !== 0)) throw new Error(`sync failed: ${syncs.map((s) => s.errorCode)}`);
  const elapsedMs = performance.now() - startMs;
  await clients[0].request(Api.LeaveGroup, 3, { groupId, members: joins.map((j) => ({ memberId: j.memberId, groupInstanceId: null })) });
  return elapsedMs;
}

async function benchJoins(port: number): Promise<void> {
  const clients = await Promise.all([0, 1, 2].map(() => WireClient.connect(port)));
  const latency = new LatencyRecorder();
  for (let i = 0; i < 5; i++) await joinRound(clients, `warmup-${i}`);
  for (let i = 0; i < rounds; i++) latency.record(await joinRound(clients, `join-${i}`));
  const [p50, p99, max] = latency.percentiles([0.5, 0.99, 1]);
  console.log(`join (3 members, two-step v5 join + sync), ${rounds} groups: p50 ${fmt(p50)} ms  p99 ${fmt(p99)} ms  max ${fmt(max)} ms`);
  for (const c of clients) c.close();
}

function commitBody(groupId: string, partitionsPerRequest: number, offset: number) {
  return {
    groupId, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null,
    topics: [{ name: TOPIC, partitions: Array.from({ length: partitionsPerRequest }, (_, p) => ({ partitionIndex: p, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null })) }],
  };
}

/** Keeps `depth` commits in flight on every connection for `seconds`. */
async function benchCommits(port: number, partitionsPerRequest: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: connections }, () => WireClient.connect(port)));
  const latency = new LatencyRecorder();
  let requests = 0;
  const endMs = performance.now() + seconds * 1000;
  const startMs = performance.now();
  await Promise.all(
    clients.flatMap((client, c) =>
      Array.from({ length: depth }, async (_, slot) => {
        const groupId = `commit-${(c * depth + slot) % GROUPS_FOR_COMMITS}`;
        while (performance.now() < endMs) {
          const sentMs = performance.now();
          const answer = await client.request(Api.OffsetCommit, 8, commitBody(groupId, partitionsPerRequest, requests));
          if (answer.topics[0].partitions[0].errorCode !== 0) throw new Error(`commit failed: ${answer.topics[0].partitions[0].errorCode}`);
          latency.record(performance.now() - sentMs);
          requests++;
        }
      }),
    ),
  );
  const elapsedS = (performance.now() - startMs) / 1000;
  const [p50, p99] = latency.percentiles([0.5, 0.99]);
  console.log(
    `OffsetCommit, ${partitionsPerRequest} partition(s)/request, ${connections} conns x depth ${depth}, ${GROUPS_FOR_COMMITS} groups: ` +
      `${Math.round(requests / elapsedS)} requests/s  ${Math.round((requests * partitionsPerRequest) / elapsedS)} offsets/s  p50 ${fmt(p50)} ms  p99 ${fmt(p99)} ms`,
  );
  for (const c of clients) c.close();
  return requests / elapsedS;
}

/** Baseline 1: the same pipelining with OffsetFetch v7 (request path and routing, no disk). */
async function benchFetchBaseline(port: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: connections }, () => WireClient.connect(port)));
  let requests = 0;
  const startMs = performance.now();
  const endMs = startMs + seconds * 1000;
  await Promise.all(
    clients.flatMap((client, c) =>
      Array.from({ length: depth }, async (_, slot) => {
        const groupId = `commit-${(c * depth + slot) % GROUPS_FOR_COMMITS}`;
        while (performance.now() < endMs) {
          await client.request(Api.OffsetFetch, 7, { groupId, topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: false });
          requests++;
        }
      }),
    ),
  );
  for (const c of clients) c.close();
  return requests / ((performance.now() - startMs) / 1000);
}

/** Baseline 2: a GroupCoordinator in this process on a posix disk (commit path and fdatasync, no network). */
async function benchCoordinatorBaseline(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "skua-groups-bench-"));
  const metadata = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: TOPIC, id: crypto.randomUUID(), shards: new Array(TOPIC_PARTITIONS).fill(0), configs: {} }] });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const coordinator = new GroupCoordinator({ shardId: 0, shardCount: 1, dataDir, disk: new PosixDisk(), props: defaultProperties(), clock: systemClock, timers: systemTimers, log: quiet, metadata: () => metadata });
  await coordinator.start();
  let commits = 0;
  const startMs = performance.now();
  const endMs = startMs + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections * depth }, async (_, k) => {
      while (performance.now() < endMs) {
        await coordinator.commit({ groupId: `commit-${k % GROUPS_FOR_COMMITS}`, generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [{ topic: TOPIC, partition: 0, offset: commits, leaderEpoch: -1, metadata: null }] });
        commits++;
      }
    }),
  );
  const perSecond = commits / ((performance.now() - startMs) / 1000);
  await coordinator.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return perSecond;
}

async function main(): Promise<void> {
  const repoDir = resolve(import.meta.dir, "..");
  Bun.spawnSync(["bash", "scripts/build.sh"], { cwd: repoDir, stdout: "inherit", stderr: "inherit" });
  const ioArgs = flags.io ? ["--io", flags.io] : [];
  await using broker = await startBroker(repoDir, smp, undefined, ["--set", "group_initial_rebalance_delay=0", ...ioArgs]);
  const admin = await WireClient.connect(broker.kafkaPort);
  const created = await admin.request(Api.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: TOPIC_PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  if (created.topics[0].errorCode !== 0) throw new Error(`create topic failed: ${created.topics[0].errorCode}`);
  admin.close();
  console.log(`skua --smp ${smp}${flags.io ? ` --io ${flags.io}` : ""}, ${new Date().toISOString()}`);
  await benchJoins(broker.kafkaPort);
  const fetchPerSecond = await benchFetchBaseline(broker.kafkaPort);
  const commitPerSecond = await benchCommits(broker.kafkaPort, 1);
  await benchCommits(broker.kafkaPort, TOPIC_PARTITIONS);
  const inProcessPerSecond = await benchCoordinatorBaseline();
  console.log(`baseline OffsetFetch v7, same pipelining: ${Math.round(fetchPerSecond)} requests/s; OffsetCommit (1 partition) is ${(commitPerSecond / fetchPerSecond).toFixed(2)}x of it`);
  console.log(`baseline in-process coordinator commits (posix disk, ${connections * depth} concurrent, no network): ${Math.round(inProcessPerSecond)} commits/s; over the wire is ${(commitPerSecond / inProcessPerSecond).toFixed(2)}x of it`);
}

await main();

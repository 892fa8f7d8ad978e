/**
 * Cost of the Raft core (src/raft), in one process on simulated disks (SimDisk, in memory) and
 * virtual time:
 *   bun run bench/raft.ts [--entries 3000] [--groups 1000,10000] [--seconds 3]
 * 1. CPU per committed entry in a 3-node group over a zero-latency network, one proposal in
 *    flight and 32 in flight, against a baseline measured in the same run: one durable append
 *    (append + fdatasync) of the same batch to a PartitionLog on the same kind of disk.
 * 2. Heartbeats of 1,000 and 10,000 idle groups between two nodes: CPU per second (of virtual
 *    time; Redpanda's defaults, heartbeat 150 ms and election timeout 1500 ms) and messages and
 *    bytes per heartbeat interval, with the heartbeats and append replies of all groups to a peer
 *    batched into one network message (src/raft/heartbeat-batcher.ts, as Redpanda's heartbeat
 *    manager does) against one network message per Raft message (the baseline). Messages are
 *    encoded (bench/lib/raft-wire.ts) so bytes are counted and the codec's CPU is included.
 */
import { parseArgs } from "node:util";
import { assert } from "../src/base/assert.ts";
import { SimDisk } from "../src/io/sim-disk.ts";
import { RaftGroup } from "../src/raft/group.ts";
import { HeartbeatBatcher } from "../src/raft/heartbeat-batcher.ts";
import type { RaftTransport } from "../src/raft/types.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { PartitionLog } from "../src/storage/partition-log.ts";
import { NodeTime } from "../test/sim/lib/node-time.ts";
import { Rng } from "../test/sim/lib/rng.ts";
import { Scheduler, settle } from "../test/sim/lib/scheduler.ts";
import { decodeBatch, encodeBatch } from "./lib/raft-wire.ts";

const LOG_CONFIG = { segmentBytes: 256 * 1024, segmentMs: 7 * 24 * 3600 * 1000, maxMessageBytes: 1024 * 1024 };

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function batchOf(n: number): Uint8Array {
  return buildBatch({ records: [{ value: `entry-${n}`.padEnd(100, ".") }], baseTimestamp: 0 });
}

/**
 * Runs scheduler events until `done()` or `untilMs` of virtual time. Promises settle after every
 * `eventsPerSettle` events (not after each, as the simulator does): with thousands of groups the
 * events of one instant are independent, and settling costs a macrotask turn.
 */
async function runUntil(scheduler: Scheduler, done: () => boolean, untilMs: number, eventsPerSettle = 1): Promise<void> {
  while (!done() && scheduler.nowMs() < untilMs) {
    for (let i = 0; i < eventsPerSettle; i++) if (!scheduler.runNext()) break;
    await settle();
    if (scheduler.pending === 0) return;
  }
}

// ---- 1. CPU per committed entry ----

async function appendBaseline(entries: number): Promise<number> {
  const disk = new SimDisk(1);
  await disk.mkdirp("/log");
  const log = await PartitionLog.open({ disk, dir: "/log", config: { ...LOG_CONFIG, retentionMs: -1, retentionBytes: -1 }, clock: { nowMs: () => 0 } });
  const t0 = cpuMs();
  for (let i = 0; i < entries; i++) {
    const r = log.append(batchOf(i), 0);
    await r.written;
    await log.flush();
  }
  return ((cpuMs() - t0) * 1000) / entries;
}

async function raftCommitCost(entries: number, inflight: number): Promise<number> {
  const scheduler = new Scheduler();
  const ids = [1, 2, 3];
  const groups = new Map<number, RaftGroup>();
  const rng = new Rng(7);
  for (const id of ids) {
    const time = new NodeTime(scheduler, `n${id}`, 1, 0);
    const disk = new SimDisk(id);
    await disk.mkdirp("/raft");
    const random = rng.fork();
    groups.set(
      id,
      await RaftGroup.open({
        group: 1,
        self: id,
        disk,
        dir: "/raft",
        clock: time,
        timers: time,
        transport: { send: (m) => queueMicrotask(() => groups.get(m.to)?.receive(m)) },
        random: () => random.float(),
        timings: { electionTimeoutMs: 1500, heartbeatIntervalMs: 150 },
        bootstrap: { voters: ids, learners: [] },
        logConfig: LOG_CONFIG,
      }),
    );
  }
  for (const g of groups.values()) g.start();
  const leaderOf = () => [...groups.values()].find((g) => g.inspect().role === "leader");
  await runUntil(scheduler, () => leaderOf() !== undefined && leaderOf()!.inspect().commitIndex >= 0, 60_000);
  const leader = leaderOf();
  assert(leader !== undefined, "no leader");
  const batches = Array.from({ length: entries }, (_, i) => batchOf(i));
  const t0 = cpuMs();
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve) => {
    const next = () => {
      if (sent === entries) return;
      const b = batches[sent++];
      void leader.propose(b).then((r) => {
        assert(r.ok, "proposal refused");
        if (++acked === entries) resolve();
        else next();
      });
    };
    for (let i = 0; i < inflight; i++) next();
  });
  return ((cpuMs() - t0) * 1000) / entries;
}

// ---- 2. heartbeats of idle groups ----

interface HeartbeatResult {
  cpuMsPerSecond: number;
  messagesPerInterval: number;
  bytesPerInterval: number;
  raftMessagesPerInterval: number;
}

async function idleHeartbeats(groupCount: number, batched: boolean, seconds: number): Promise<HeartbeatResult> {
  const heartbeatMs = 150;
  const scheduler = new Scheduler();
  const rng = new Rng(11);
  const ids = [1, 2];
  const groups = new Map<number, RaftGroup[]>(ids.map((id) => [id, []]));
  const stats = { messages: 0, bytes: 0, raftMessages: 0 };
  const deliver = (from: number, to: number, bytes: Uint8Array) => {
    stats.messages++;
    stats.bytes += bytes.length;
    scheduler.after(0.1, "deliver", () => {
      for (const m of decodeBatch(bytes, from, to)) groups.get(to)![m.group].receive(m);
    });
  };
  const unbatched = (from: number): RaftTransport => ({ send: (m) => deliver(from, m.to, encodeBatch([m])) });
  const batcher = (from: number, time: NodeTime): RaftTransport =>
    new HeartbeatBatcher(from, time, (to, nm) => deliver(from, to, encodeBatch(nm.kind === "one" ? [nm.message] : nm.messages))).transport;
  const openedMs = performance.now();
  for (const id of ids) {
    const time = new NodeTime(scheduler, `n${id}`, 1, 0);
    const disk = new SimDisk(id);
    const network = batched ? batcher(id, time) : unbatched(id);
    const transport: RaftTransport = {
      send: (m) => {
        stats.raftMessages++;
        network.send(m);
      },
    };
    for (let g = 0; g < groupCount; g++) {
      const dir = `/g${g}`;
      await disk.mkdirp(dir);
      const random = rng.fork();
      groups.get(id)!.push(
        await RaftGroup.open({
          group: g,
          self: id,
          disk,
          dir,
          clock: time,
          timers: time,
          transport,
          random: () => random.float(),
          timings: { electionTimeoutMs: 1500, heartbeatIntervalMs: heartbeatMs },
          bootstrap: { voters: ids, learners: [] },
          logConfig: LOG_CONFIG,
        }),
      );
    }
  }
  console.error(`  ${groupCount} groups × 2 nodes opened in ${(performance.now() - openedMs).toFixed(0)} ms wall`);
  for (const list of groups.values()) for (const g of list) g.start();
  const led = () => groups.get(1)!.filter((g, i) => g.inspect().role === "leader" || groups.get(2)![i].inspect().role === "leader").length;
  const perSettle = Math.max(1, Math.floor(groupCount / 10));
  const t = performance.now();
  await runUntil(scheduler, () => led() === groupCount, 120_000, perSettle);
  console.error(`  ${groupCount} groups elected in ${(performance.now() - t).toFixed(0)} ms wall`);
  assert(led() === groupCount, `only ${led()} of ${groupCount} groups elected a leader`);
  await runUntil(scheduler, () => false, scheduler.nowMs() + 3000, perSettle); // settle into the idle pattern
  const start = { ...stats };
  const startMs = scheduler.nowMs();
  const t0 = cpuMs();
  await runUntil(scheduler, () => false, startMs + seconds * 1000, perSettle);
  const cpu = cpuMs() - t0;
  const intervals = (scheduler.nowMs() - startMs) / heartbeatMs;
  assert(led() === groupCount, "a group lost its leader while idle");
  return {
    cpuMsPerSecond: cpu / seconds,
    messagesPerInterval: (stats.messages - start.messages) / intervals,
    bytesPerInterval: (stats.bytes - start.bytes) / intervals,
    raftMessagesPerInterval: (stats.raftMessages - start.raftMessages) / intervals,
  };
}

const { values } = parseArgs({ options: { entries: { type: "string" }, groups: { type: "string" }, seconds: { type: "string" } }, strict: true });
const entries = Number(values.entries ?? 3000);
const groupCounts = (values.groups ?? "1000,10000").split(",").map(Number);
const seconds = Number(values.seconds ?? 3);

console.log(`raft bench: SimDisk (in memory), virtual time, ${entries} entries of one 100-byte record`);
const base = await appendBaseline(entries);
const one = await raftCommitCost(entries, 1);
const many = await raftCommitCost(entries, 32);
console.log("| CPU per committed entry | µs | × baseline |");
console.log("|---|---|---|");
console.log(`| PartitionLog append + fdatasync, one node (baseline) | ${base.toFixed(1)} | 1.0 |`);
console.log(`| 3-node Raft group, 1 proposal in flight | ${one.toFixed(1)} | ${(one / base).toFixed(1)} |`);
console.log(`| 3-node Raft group, 32 proposals in flight | ${many.toFixed(1)} | ${(many / base).toFixed(1)} |`);
console.log("");
console.log(`| idle groups between 2 nodes | heartbeats | CPU ms per second (both nodes) | network messages per 150 ms interval | bytes per interval | Raft messages per interval |`);
console.log("|---|---|---|---|---|---|");
for (const n of groupCounts) {
  for (const batched of [false, true]) {
    const r = await idleHeartbeats(n, batched, seconds);
    console.log(`| ${n} | ${batched ? "batched per peer" : "one message each (baseline)"} | ${r.cpuMsPerSecond.toFixed(1)} | ${r.messagesPerInterval.toFixed(1)} | ${Math.round(r.bytesPerInterval)} | ${r.raftMessagesPerInterval.toFixed(0)} |`);
  }
}

/**
 * Many idle groups between two nodes: with the batcher, the heartbeats and replies of all groups
 * cross as a few network messages per heartbeat interval instead of one per group, and the groups
 * stay stable (no elections).
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { mulberry32 } from "../base/random.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { RaftGroup } from "./group.ts";
import { deliverNodeMessage, HeartbeatBatcher, type NodeMessage } from "./heartbeat-batcher.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import { SharedHeartbeatTicker } from "./heartbeat-ticker.ts";
import { testTimings } from "./test-cluster.ts";

const GROUPS = 200;
const NODES = [1, 2];

for (const light of [false, true]) {
test(`${GROUPS} idle groups on two nodes${light ? ", light heartbeats on a shared ticker" : ""}: a few batched messages per heartbeat interval, no elections`, async () => {
  const clock = new ManualClock(1_000_000);
  const timers = new ManualTimers(clock);
  const random = mulberry32(3);
  const wire: Array<{ to: number; message: NodeMessage }> = [];
  const batchers = new Map(NODES.map((id) => [id, new HeartbeatBatcher(id, timers, (to, message) => wire.push({ to, message }), 1)]));
  const groups = new Map<number, Map<number, RaftGroup>>(NODES.map((id) => [id, new Map()]));
  for (const node of NODES) {
    const disk = new SimDisk(node);
    const heartbeatTicker = light ? new SharedHeartbeatTicker(clock, timers, testTimings.heartbeatIntervalMs) : undefined;
    for (let g = 0; g < GROUPS; g++) {
      const group = await RaftGroup.open({
        group: g,
        self: node,
        disk,
        dir: `/raft/${g}`,
        clock,
        timers,
        transport: batchers.get(node)!.transport,
        random,
        timings: testTimings,
        heartbeatTicker,
        bootstrap: { voters: NODES, learners: [] },
      });
      groups.get(node)!.set(g, group);
      group.start();
    }
  }
  const all = [...groups.values()].flatMap((m) => [...m.values()]);
  const settle = () => Promise.all(all.map((g) => g.idle()));
  const deliverAll = async () => {
    await settle();
    for (let next = wire.shift(); next !== undefined; next = wire.shift()) {
      deliverNodeMessage(next.message, (g) => groups.get(next!.to)!.get(g));
      await settle();
    }
  };
  const run = async (ms: number) => {
    const until = clock.nowMs() + ms;
    await deliverAll();
    // Every timer due at one instant fires before the messages they cause are delivered.
    for (let due = timers.nextDueMs(); due <= until; due = timers.nextDueMs()) {
      while (timers.nextDueMs() === due) timers.fireNext(until);
      await deliverAll();
    }
    clock.set(until);
  };

  await run(10 * testTimings.electionTimeoutMs);
  const leaders = () => all.filter((g) => g.inspect().role === "leader").length;
  expect(leaders()).toBe(GROUPS);
  const terms = all.map((g) => g.inspect().term);

  const sent = () => [...batchers.values()].reduce((n, b) => n + b.sentNodeMessages, 0);
  const carried = () => [...batchers.values()].reduce((n, b) => n + b.sentGroupMessages, 0);
  const [nodeBefore, groupBefore] = [sent(), carried()];
  const intervals = 20;
  const shapes = new Set<string>();
  const tap = wire.push.bind(wire);
  wire.push = (...items) => {
    for (const { message: m } of items) shapes.add(m.kind === "one" ? m.message.kind : m.messages.length > 0 ? "messages" : "packed light");
    return tap(...items);
  };
  await run(intervals * testTimings.heartbeatIntervalMs);
  // Light heartbeats and their answers travel packed, as columns: no message object per group.
  expect([...shapes]).toEqual([light ? "packed light" : "messages"]);
  const nodeMessages = sent() - nodeBefore;
  const groupMessages = carried() - groupBefore;
  // Each interval: every group's heartbeat and its reply (2 × GROUPS group messages) ...
  expect(groupMessages).toBe(intervals * 2 * GROUPS);
  // ... in 4 network messages (beats and replies, each direction).
  expect(nodeMessages).toBe(intervals * 4);
  console.log(`heartbeat batching: ${GROUPS} groups, ${intervals} intervals: ${groupMessages} group messages in ${nodeMessages} network messages`);
  expect(all.map((g) => g.inspect().term)).toEqual(terms);
  expect(leaders()).toBe(GROUPS);
});
}

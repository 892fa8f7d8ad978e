/**
 * Light heartbeats on a shared ticker (Redpanda's heartbeat manager): an idle leader tells
 * caught-up followers only (term, commit index); a follower that does not follow it in that term
 * refuses, and the leader falls back to full heartbeats until the follower answers one.
 */
import { expect, test } from "bun:test";
import { TestCluster, testTimings } from "./test-cluster.ts";
import type { NodeId, RaftMessage } from "./types.ts";

const T = testTimings.electionTimeoutMs;
const H = testTimings.heartbeatIntervalMs;

const between = (log: RaftMessage[], from: NodeId, to: NodeId) => log.filter((m) => m.from === from && m.to === to);

test("an idle leader sends its followers light heartbeats only, which keep it leader and carry the commit index", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], sharedTicker: true });
  const leader = await c.elect();
  const term = c.state(leader).term;
  await c.run(3 * H); // the no-op's commit reaches the followers, who are then caught up
  expect((await c.commit(leader, "v1")).ok).toBe(true);
  const since = c.net.log.length;
  await c.run(20 * T);
  expect(c.leader()).toBe(leader);
  expect(c.state(leader).term).toBe(term);
  for (const f of c.ids.filter((id) => id !== leader)) {
    const sent = between(c.net.log.slice(since), leader, f);
    // The commit of v1 reached the follower on a light heartbeat: nothing heavier was sent after it.
    expect(new Set(sent.map((m) => m.kind))).toEqual(new Set(["lightBeat"]));
    expect(sent.length).toBeGreaterThanOrEqual((20 * T) / H - 1);
    expect(c.state(f).commitIndex).toBe(c.state(leader).commitIndex);
    const replies = between(c.net.log.slice(since), f, leader);
    expect(replies.every((m) => m.kind === "lightBeatReply" && m.accepted)).toBe(true);
  }
  c.checkNoFailures();
});

test("a restarted follower refuses light heartbeats; the leader sends it full ones until it answers, then light ones again", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], sharedTicker: true });
  const leader = await c.elect();
  expect((await c.commit(leader, "v1")).ok).toBe(true);
  await c.run(3 * H);
  const follower = c.ids.find((id) => id !== leader)!;
  await c.crash(follower);
  await c.restart(follower);
  const since = c.net.log.length;
  await c.run(10 * H);
  const toFollower = between(c.net.log.slice(since), leader, follower).map((m) => m.kind);
  const refusedAt = c.net.log.slice(since).findIndex((m) => m.kind === "lightBeatReply" && m.from === follower && !m.accepted);
  expect(refusedAt).toBeGreaterThanOrEqual(0);
  // After the refusal: a full heartbeat, then light ones, accepted.
  expect(toFollower.indexOf("heartbeat")).toBeGreaterThan(toFollower.indexOf("lightBeat"));
  expect(toFollower.at(-1)).toBe("lightBeat");
  const lastReply = between(c.net.log, follower, leader).at(-1)!;
  expect(lastReply.kind === "lightBeatReply" && lastReply.accepted).toBe(true);
  expect(c.leader()).toBe(leader);
  c.checkNoFailures();
});

test("check-quorum holds with light heartbeats: an isolated leader steps down, the others elect a new one", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], sharedTicker: true });
  const leader = await c.elect();
  await c.run(5 * H);
  c.net.isolate(leader);
  await c.run(2 * T + H);
  expect(c.state(leader).role).toBe("follower");
  const others = c.ids.filter((id) => id !== leader);
  await c.run(3 * T);
  expect(others.some((id) => c.state(id).role === "leader")).toBe(true);
  c.checkNoFailures();
});

/** The group state machine on a manual clock: joins, syncs, heartbeats, timeouts and client mistakes. */
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { Group } from "./group.ts";
import type { JoinArgs, JoinResult } from "./types.ts";

const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;
const bytes = (text: string) => new TextEncoder().encode(text);

function joinArgs(overrides: Partial<JoinArgs> = {}): JoinArgs {
  return {
    groupId: "g", memberId: "", groupInstanceId: null, clientId: "c", clientHost: "",
    sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS, protocolType: "consumer",
    protocols: [{ name: "range", metadata: bytes("m") }], requireKnownMemberId: false, ...overrides,
  };
}

function newGroup(delayMs = 0) {
  const clock = new ManualClock(1_000_000);
  const generations: number[] = [];
  const group = new Group("g", clock, { initialRebalanceDelayMs: delayMs }, (g) => generations.push(g.generationId));
  return { clock, group, generations };
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T } = {};
  promise.then((v) => (state.value = v));
  return state;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Joins `count` members one after another into a stable group; returns their ids (first is the leader). */
async function stableGroup(group: Group, count: number): Promise<string[]> {
  const first = await group.join(joinArgs());
  let ids = [first.memberId];
  for (let i = 1; i < count; i++) {
    const joins = [group.join(joinArgs())];
    for (const id of ids) joins.push(group.join(joinArgs({ memberId: id })));
    const results = await Promise.all(joins);
    ids = results.map((r) => r.memberId);
  }
  const leader = ids.find((id) => id === (group.leaderId ?? ""))!;
  const syncs = ids.map((id) =>
    group.sync({ groupId: "g", memberId: id, generationId: group.generationId, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: id === leader ? ids.map((m) => ({ memberId: m, assignment: bytes(`a-${m}`) })) : [] }),
  );
  await Promise.all(syncs);
  expect(group.state).toBe("Stable");
  return [leader, ...ids.filter((id) => id !== leader)];
}

describe("joining", () => {
  test("a first member completes the join alone and becomes leader; sync makes the group Stable", async () => {
    const { group, generations } = newGroup();
    const joined = await group.join(joinArgs());
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    expect(joined.generationId).toBe(1);
    expect(joined.leader).toBe(joined.memberId);
    expect(joined.protocolName).toBe("range");
    expect(joined.members.map((m) => m.memberId)).toEqual([joined.memberId]);
    expect(group.state).toBe("CompletingRebalance");
    const synced = await group.sync({ groupId: "g", memberId: joined.memberId, generationId: 1, groupInstanceId: null, protocolType: "consumer", protocolName: "range", assignments: [{ memberId: joined.memberId, assignment: bytes("x") }] });
    expect(synced.errorCode).toBe(ErrorCode.NONE);
    expect(new TextDecoder().decode(synced.assignment)).toBe("x");
    expect(group.state).toBe("Stable");
    expect(generations).toEqual([1]);
  });

  test("v4+: a member without an id gets MEMBER_ID_REQUIRED and an id, then joins with it", async () => {
    const { group } = newGroup();
    const first = await group.join(joinArgs({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).not.toBe("");
    expect(group.state).toBe("Empty");
    const second = await group.join(joinArgs({ requireKnownMemberId: true, memberId: first.memberId }));
    expect(second.errorCode).toBe(ErrorCode.NONE);
    expect(second.memberId).toBe(first.memberId);
  });

  test("a second member triggers a rebalance that waits for the first to rejoin; only the leader gets the member list", async () => {
    const { group } = newGroup();
    const [a] = await stableGroup(group, 1);
    const joinB = track(group.join(joinArgs()));
    await flush();
    expect(group.state).toBe("PreparingRebalance");
    expect(joinB.value).toBeUndefined();
    expect(group.heartbeat({ groupId: "g", memberId: a, generationId: 1, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoinA = await group.join(joinArgs({ memberId: a }));
    await flush();
    expect(rejoinA.generationId).toBe(2);
    expect(rejoinA.leader).toBe(a);
    expect(rejoinA.members.length).toBe(2);
    expect(joinB.value!.members).toEqual([]);
    expect(joinB.value!.generationId).toBe(2);
  });

  test("the first rebalance of a new group waits group_initial_rebalance_delay for more members", async () => {
    const { group, clock } = newGroup(3000);
    const a = track(group.join(joinArgs()));
    const b = track(group.join(joinArgs()));
    await flush();
    expect(a.value).toBeUndefined();
    clock.advance(2999);
    group.tick();
    await flush();
    expect(a.value).toBeUndefined();
    clock.advance(1);
    group.tick();
    await flush();
    expect(a.value!.generationId).toBe(1);
    expect(b.value!.generationId).toBe(1);
    expect(group.memberCount).toBe(2);
  });

  test("members that do not rejoin within the rebalance timeout are removed", async () => {
    const { group, clock } = newGroup();
    const [a, b] = await stableGroup(group, 2);
    const rejoinA = track(group.join(joinArgs({ memberId: a, protocols: [{ name: "range", metadata: bytes("changed") }] })));
    await flush();
    expect(rejoinA.value).toBeUndefined();
    // b keeps heartbeating but never rejoins
    for (let t = 0; t < REBALANCE_MS; t += 3000) {
      clock.advance(3000);
      group.heartbeat({ groupId: "g", memberId: b, generationId: group.generationId, groupInstanceId: null });
      group.tick();
    }
    await flush();
    expect(rejoinA.value!.errorCode).toBe(ErrorCode.NONE);
    expect(group.hasMember(b)).toBe(false);
    expect(group.memberCount).toBe(1);
  });
});

describe("sessions", () => {
  test("a member that stops heartbeating is removed at its session timeout and the group rebalances", async () => {
    const { group, clock } = newGroup();
    const [a, b] = await stableGroup(group, 2);
    clock.advance(SESSION_MS - 1);
    expect(group.heartbeat({ groupId: "g", memberId: a, generationId: group.generationId, groupInstanceId: null })).toBe(ErrorCode.NONE);
    group.tick();
    expect(group.hasMember(b)).toBe(true);
    expect(group.nextDeadlineMs()).toBe(clock.nowMs() + 1);
    clock.advance(1);
    group.tick();
    expect(group.hasMember(b)).toBe(false);
    expect(group.state).toBe("PreparingRebalance");
    expect(group.heartbeat({ groupId: "g", memberId: b, generationId: group.generationId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoin = await group.join(joinArgs({ memberId: a }));
    expect(rejoin.members.map((m) => m.memberId)).toEqual([a]);
  });

  test("an id handed out with MEMBER_ID_REQUIRED expires when unused", async () => {
    const { group, clock } = newGroup();
    const first = await group.join(joinArgs({ requireKnownMemberId: true }));
    clock.advance(SESSION_MS);
    group.tick();
    const late = await group.join(joinArgs({ requireKnownMemberId: true, memberId: first.memberId }));
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test("the last member leaving empties the group and bumps the generation", async () => {
    const { group } = newGroup();
    const [a] = await stableGroup(group, 1);
    const left = group.leave([{ memberId: a, groupInstanceId: null }]);
    expect(left.members[0].errorCode).toBe(ErrorCode.NONE);
    expect(group.state).toBe("Empty");
    expect(group.generationId).toBe(2);
  });
});

describe("client mistakes get their error code and disturb nothing", () => {
  test("unknown member, wrong generation, wrong protocol type", async () => {
    const { group } = newGroup();
    const [a, b] = await stableGroup(group, 2);
    const generation = group.generationId;
    expect(group.heartbeat({ groupId: "g", memberId: "nobody", generationId: generation, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(group.heartbeat({ groupId: "g", memberId: a, generationId: generation + 5, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await group.sync({ groupId: "g", memberId: b, generationId: generation - 1, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await group.join(joinArgs({ memberId: "nobody" }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await group.join(joinArgs({ protocolType: "connect" }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await group.join(joinArgs({ protocols: [{ name: "roundrobin", metadata: bytes("") }] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(group.checkCommit("nobody", null, generation)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(group.checkCommit(a, null, generation - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(group.leave([{ memberId: "nobody", groupInstanceId: null }]).members[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(group.state).toBe("Stable");
    expect(group.generationId).toBe(generation);
    expect(group.memberCount).toBe(2);
    expect(group.checkCommit(a, null, generation)).toBe(ErrorCode.NONE);
  });

  test("commits during CompletingRebalance get REBALANCE_IN_PROGRESS; a standalone commit to an active group is UNKNOWN_MEMBER_ID", async () => {
    const { group } = newGroup();
    const joined = await group.join(joinArgs());
    expect(group.checkCommit(joined.memberId, null, joined.generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(group.checkCommit("", null, -1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const { group: empty } = newGroup();
    expect(empty.checkCommit("", null, -1)).toBe(ErrorCode.NONE);
  });
});

describe("static membership", () => {
  test("a static member rejoining without its id takes over its slot without a rebalance; the old id is fenced", async () => {
    const { group } = newGroup();
    const first: JoinResult = await group.join(joinArgs({ groupInstanceId: "i-1" }));
    await group.sync({ groupId: "g", memberId: first.memberId, generationId: 1, groupInstanceId: "i-1", protocolType: null, protocolName: null, assignments: [{ memberId: first.memberId, assignment: bytes("p0") }] });
    const again = await group.join(joinArgs({ groupInstanceId: "i-1" }));
    expect(again.errorCode).toBe(ErrorCode.NONE);
    expect(again.memberId).not.toBe(first.memberId);
    expect(again.generationId).toBe(1);
    expect(group.state).toBe("Stable");
    expect(group.heartbeat({ groupId: "g", memberId: first.memberId, generationId: 1, groupInstanceId: "i-1" })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const synced = await group.sync({ groupId: "g", memberId: again.memberId, generationId: 1, groupInstanceId: "i-1", protocolType: null, protocolName: null, assignments: [] });
    expect(new TextDecoder().decode(synced.assignment)).toBe("p0");
    expect(group.leave([{ memberId: "", groupInstanceId: "i-1" }]).members[0].errorCode).toBe(ErrorCode.NONE);
    expect(group.state).toBe("Empty");
  });
});

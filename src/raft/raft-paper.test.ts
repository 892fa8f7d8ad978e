/**
 * The scenario list of etcd/raft's raft_paper_test.go (sections 5.1–5.4 of the Raft paper),
 * ported as scenarios on the real RaftGroup: one node under test, its peers absent (their
 * messages are recorded, not delivered) or real, and messages injected by hand.
 */
import { expect, test } from "bun:test";
import { RaftGroup } from "./group.ts";
import { describe as entriesOf, forceElection, giveLog, inject, OUTSIDER, sentBy, termBatches } from "./scenario-helpers.ts";
import { TestCluster, testTimings } from "./test-cluster.ts";
import type { NodeId, RaftMessage } from "./types.ts";

const T = testTimings.electionTimeoutMs;

/** Node 1 alone in a group whose configuration is `voters`; nothing it sends is delivered. */
async function lone(voters: NodeId[] = [1, 2, 3], start = false, seed = 1): Promise<TestCluster> {
  return TestCluster.create({ ids: [1], config: { voters, learners: [] }, seed }, start);
}

/** Node 1 becomes leader of `voters` at its term + 1 with votes from `grant`. */
async function leaderOf(c: TestCluster, grant: NodeId[]): Promise<void> {
  await forceElection(c, 1);
  const term = c.state(1).term;
  for (const from of grant) await inject(c, { kind: "voteReply", group: 7, from, to: 1, term, granted: true });
}

test("§5.1 a node starts as a follower in term 0", async () => {
  const c = await lone();
  expect(c.state(1)).toMatchObject({ role: "follower", term: 0, votedFor: -1, leaderId: null, commitIndex: -1 });
});

for (const role of ["follower", "candidate", "leader"] as const) {
  test(`§5.1 a ${role} that sees a higher term adopts it (durably) and follows`, async () => {
    const c = await lone();
    if (role !== "follower") await forceElection(c, 1);
    if (role === "leader") await inject(c, { kind: "voteReply", group: 7, from: 2, to: 1, term: 1, granted: true });
    expect(c.state(1).role).toBe(role);
    await inject(c, { kind: "heartbeat", group: 7, from: 2, to: 1, term: 5, prevIndex: -1, prevTerm: -1, commitIndex: -1 });
    expect(c.state(1)).toMatchObject({ role: "follower", term: 5, leaderId: 2 });
    expect(await RaftGroup.readHardState(c.disks.get(1)!, "/raft/1")).toEqual({ term: 5, votedFor: -1 });
  });
}

test("§5.1 a message of a stale term is refused with the current term and changes nothing", async () => {
  const c = await lone();
  await giveLog(c, 1, [1, 2], 2);
  const before = await c.logOf(1);
  const mark = c.net.log.length;
  await inject(c, { kind: "append", group: 7, from: 3, to: 1, term: 1, prevIndex: 1, prevTerm: 2, commitIndex: 1, entries: termBatches([1], 2) });
  expect(await c.logOf(1)).toEqual(before);
  expect(c.state(1)).toMatchObject({ term: 2, commitIndex: -1, leaderId: OUTSIDER });
  expect(sentBy(c, 1, "appendReply", mark)).toMatchObject([{ to: 3, term: 2, success: false }]);
});

test("§5.2 a follower's election timeout starts a pre-vote, then an election: term + 1, vote for itself, RequestVote to all", async () => {
  const c = await lone([1, 2, 3], true);
  await c.run(2 * T);
  const preVotes = sentBy(c, 1, "preVote");
  expect(preVotes.map((m) => [m.to, m.term])).toEqual([
    [2, 1],
    [3, 1],
  ]);
  expect(c.state(1)).toMatchObject({ role: "preCandidate", term: 0 }); // pre-vote changes no term
  await inject(c, { kind: "preVoteReply", group: 7, from: 2, to: 1, term: 1, granted: true });
  expect(c.state(1)).toMatchObject({ role: "candidate", term: 1, votedFor: 1 });
  expect(await RaftGroup.readHardState(c.disks.get(1)!, "/raft/1")).toEqual({ term: 1, votedFor: 1 });
  expect(sentBy(c, 1, "vote").map((m) => [m.to, m.term, m.lastIndex, m.lastTerm])).toEqual([
    [2, 1, -1, -1],
    [3, 1, -1, -1],
  ]);
});

test("§5.2 a candidate whose election times out starts a new one in a higher term", async () => {
  const c = await lone([1, 2, 3], true);
  await forceElection(c, 1);
  expect(c.state(1)).toMatchObject({ role: "candidate", term: 1 });
  await c.run(2 * T); // no answers: pre-vote for term 2
  await inject(c, { kind: "preVoteReply", group: 7, from: 3, to: 1, term: 2, granted: true });
  expect(c.state(1)).toMatchObject({ role: "candidate", term: 2, votedFor: 1 });
});

/** etcd's TestLeaderElectionInOneRoundRPC: (cluster size, votes granted, votes refused) → role. */
const electionTable: Array<[number, NodeId[], NodeId[], string]> = [
  [1, [], [], "leader"],
  [3, [2, 3], [], "leader"],
  [3, [2], [], "leader"],
  [5, [2, 3, 4, 5], [], "leader"],
  [5, [2, 3, 4], [], "leader"],
  [5, [2, 3], [], "leader"],
  [3, [], [2, 3], "candidate"], // loses
  [5, [2], [3, 4, 5], "candidate"],
  [5, [2], [], "candidate"], // split / no answer: stays candidate
  [5, [], [], "candidate"],
];
for (const [size, granted, refused, role] of electionTable) {
  test(`§5.2 one round of RequestVote: ${size} voters, granted by [${granted}], refused by [${refused}] → ${role}`, async () => {
    const c = await lone(Array.from({ length: size }, (_, i) => i + 1));
    await forceElection(c, 1);
    for (const from of refused) await inject(c, { kind: "voteReply", group: 7, from, to: 1, term: 1, granted: false });
    for (const from of granted) await inject(c, { kind: "voteReply", group: 7, from, to: 1, term: 1, granted: true });
    expect(c.state(1)).toMatchObject({ role, term: 1 });
  });
}

test("§5.2 a follower votes at most once per term, first come first served, and repeats its vote", async () => {
  const c = await lone();
  const ask = (from: NodeId) => inject(c, { kind: "vote", group: 7, from, to: 1, term: 1, lastIndex: -1, lastTerm: -1, transfer: false });
  await ask(2);
  await ask(3);
  await ask(2);
  expect(sentBy(c, 1, "voteReply").map((m) => [m.to, m.granted])).toEqual([
    [2, true],
    [3, false],
    [2, true],
  ]);
  expect(await RaftGroup.readHardState(c.disks.get(1)!, "/raft/1")).toEqual({ term: 1, votedFor: 2 });
});

test("§5.2 a candidate that hears AppendEntries from a leader of its term falls back to follower", async () => {
  const c = await lone();
  await forceElection(c, 1);
  await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 1, prevIndex: -1, prevTerm: -1, commitIndex: -1, entries: termBatches([1]) });
  expect(c.state(1)).toMatchObject({ role: "follower", term: 1, leaderId: 2, lastIndex: 0 });
});

test("§5.2 election timeouts are randomized in [T, 2T)", async () => {
  const elapsedMs = new Set<number>();
  for (let seed = 1; seed <= 30; seed++) {
    const c = await lone([1, 2, 3], true, seed);
    let elapsed = 0;
    while (!c.net.log.some((m) => m.kind === "preVote")) {
      await c.run(1);
      elapsed++;
    }
    expect(elapsed).toBeGreaterThanOrEqual(T);
    expect(elapsed).toBeLessThanOrEqual(2 * T);
    elapsedMs.add(elapsed);
  }
  expect(elapsedMs.size).toBeGreaterThan(10);
});

test("§5.2 followers' timeouts rarely collide: most first elections end in term 1 with one leader", async () => {
  let firstTry = 0;
  const runs = 30;
  for (let seed = 1; seed <= runs; seed++) {
    const c = await TestCluster.create({ ids: [1, 2, 3, 4, 5], seed });
    const leader = await c.elect();
    if (c.state(leader).term === 1) firstTry++;
  }
  expect(firstTry).toBeGreaterThan(runs * 0.8);
});

test("§5.2 the leader sends a heartbeat to every peer each heartbeat interval", async () => {
  const c = await lone([1, 2, 3]);
  await leaderOf(c, [2]);
  const mark = c.net.log.length;
  await c.run(testTimings.heartbeatIntervalMs * 5);
  const beats = sentBy(c, 1, "heartbeat", mark).concat([]);
  const appends = sentBy(c, 1, "append", mark);
  // Peers that never answer are probed with appends (they are behind); either way one message per peer per interval.
  expect(beats.length + appends.length).toBe(10);
  expect(new Set([...beats, ...appends].map((m) => m.to))).toEqual(new Set([2, 3]));
});

test("§5.3 the leader appends a proposal to its log and sends it to every follower after the previous entry", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  await c.run(50);
  const mark = c.net.log.length;
  const before = c.state(leader);
  void c.propose(leader, "p");
  await c.deliverAll();
  const sent = sentBy(c, leader, "append", mark);
  expect(sent.map((m) => m.to).sort()).toEqual(c.ids.filter((i) => i !== leader).sort());
  for (const m of sent) {
    expect([m.prevIndex, m.prevTerm]).toEqual([before.lastIndex, before.lastTerm]);
    expect(entriesOf(m.entries)).toEqual([`${before.lastIndex + 1}:${before.term}`]);
  }
});

test("§5.3 the leader commits an entry once a majority holds it and tells the followers, which then commit it", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  const r = await c.commit(leader, "x");
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  expect(c.state(leader).commitIndex).toBe(r.index);
  await c.run(testTimings.heartbeatIntervalMs + 1);
  for (const id of c.ids) {
    expect(c.state(id).commitIndex).toBe(r.index);
    expect(c.commits.get(id)!.at(-1)).toBe(r.index);
  }
});

/** etcd's TestLeaderAcknowledgeCommit: which followers answer → committed? */
const ackTable: Array<[number, NodeId[], boolean]> = [
  [1, [], true],
  [3, [], false],
  [3, [2], true],
  [3, [2, 3], true],
  [5, [], false],
  [5, [2], false],
  [5, [2, 3], true],
  [5, [2, 3, 4, 5], true],
];
for (const [size, acks, committed] of ackTable) {
  test(`§5.3 ${size} voters, acknowledged by [${acks}] → committed: ${committed}`, async () => {
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    const c = await TestCluster.create({ ids }, false);
    await forceElection(c, 1);
    await c.run(10);
    expect(c.state(1).role).toBe("leader");
    c.net.filter = (m) => (m.kind === "appendReply" && m.to === 1 && !acks.includes(m.from) ? "drop" : "deliver");
    const result = c.propose(1, "x");
    let settled = false;
    void result.then(() => (settled = true));
    await c.deliverAll();
    const index = c.state(1).lastIndex;
    expect(c.state(1).commitIndex >= index).toBe(committed);
    expect(settled).toBe(committed);
  });
}

test("§5.3 committing an entry of the current term commits every entry before it, older terms included", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] }, false);
  for (const id of c.ids) await giveLog(c, id, [1, 1, 2], 2);
  await forceElection(c, 1);
  await c.deliverAll();
  expect(c.state(1)).toMatchObject({ role: "leader", term: 3 });
  // The no-op of term 3 at index 3 commits indexes 0..2 of terms 1 and 2 with it.
  expect(c.state(1).commitIndex).toBe(3);
  expect(c.commits.get(1)).toEqual([3]);
});

test("§5.3 a follower commits up to min(leader's commit index, last new entry) and reports it", async () => {
  const c = await lone();
  await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 1, prevIndex: -1, prevTerm: -1, commitIndex: 5, entries: termBatches([1, 1]) });
  expect(c.state(1).commitIndex).toBe(1);
  await inject(c, { kind: "heartbeat", group: 7, from: 2, to: 1, term: 1, prevIndex: 0, prevTerm: 1, commitIndex: 5 });
  expect(c.state(1).commitIndex).toBe(1); // a heartbeat proves only up to its prevIndex
  await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 1, prevIndex: 1, prevTerm: 1, commitIndex: 2, entries: termBatches([1, 1], 2) });
  expect(c.state(1).commitIndex).toBe(2);
  expect(c.commits.get(1)).toEqual([1, 2]);
});

/** etcd's TestFollowerCheckMsgApp, on the log [1, 2] (indexes 0, 1): (prevIndex, prevTerm) → reply. */
const checkTable: Array<[number, number, { success: boolean; matchIndex?: number; conflictTerm?: number; conflictIndex?: number }]> = [
  [-1, -1, { success: true, matchIndex: -1 }],
  [0, 1, { success: true, matchIndex: 0 }],
  [1, 2, { success: true, matchIndex: 1 }],
  [0, 2, { success: false, conflictTerm: 1, conflictIndex: 0 }], // term mismatch: the follower's term there and its first index
  [1, 3, { success: false, conflictTerm: 2, conflictIndex: 1 }],
  [2, 2, { success: false, conflictTerm: -1, conflictIndex: 2 }], // past the end: the follower's log end
];
for (const [prevIndex, prevTerm, reply] of checkTable) {
  test(`§5.3 follower's log-matching check on [1, 2]: prev (${prevIndex}, ${prevTerm}) → success ${reply.success}`, async () => {
    const c = await lone();
    await giveLog(c, 1, [1, 2], 2);
    const mark = c.net.log.length;
    await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 2, prevIndex, prevTerm, commitIndex: -1, entries: new Uint8Array(0) });
    expect(sentBy(c, 1, "appendReply", mark)).toMatchObject([reply]);
  });
}

/** etcd's TestFollowerAppendEntries: the follower's log [1, 2], an append → its log after. */
const appendTable: Array<[number, number, number[], string[]]> = [
  [1, 2, [3], ["0:1", "1:2", "2:3"]],
  [0, 1, [3, 4], ["0:1", "1:3", "2:4"]], // conflict at 1: truncate, then append
  [-1, -1, [1], ["0:1", "1:2"]], // already held: nothing is truncated
  [-1, -1, [3], ["0:3"]],
];
for (const [prevIndex, prevTerm, terms, after] of appendTable) {
  test(`§5.3 follower append after (${prevIndex}, ${prevTerm}) of terms [${terms}] → [${after}]`, async () => {
    const c = await lone();
    await giveLog(c, 1, [1, 2], 2);
    await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 4, prevIndex, prevTerm, commitIndex: -1, entries: termBatches(terms, prevIndex + 1) });
    expect(await c.logOf(1)).toEqual(after);
  });
}

test("§5.3 a follower never truncates below its commit index (stale append after commit keeps the log)", async () => {
  const c = await lone();
  await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 1, prevIndex: -1, prevTerm: -1, commitIndex: 1, entries: termBatches([1, 1]) });
  // A delayed duplicate of an earlier, shorter append: entries already held are skipped, nothing is cut.
  await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 1, prevIndex: -1, prevTerm: -1, commitIndex: 0, entries: termBatches([1]) });
  expect(await c.logOf(1)).toEqual(["0:1", "1:1"]);
  expect(c.state(1).commitIndex).toBe(1);
});

test("§5.4.1 RequestVote carries the candidate's last log index and term", async () => {
  const c = await lone();
  await giveLog(c, 1, [1, 1, 3], 3);
  await forceElection(c, 1);
  expect(sentBy(c, 1, "vote").map((m) => [m.term, m.lastIndex, m.lastTerm])).toEqual([
    [4, 2, 3],
    [4, 2, 3],
  ]);
});

/** etcd's TestVoter: the voter's log [1, 1] (or [1, 2]); the candidate's (lastIndex, lastTerm) → granted. */
const voterTable: Array<[number[], number, number, boolean]> = [
  [[1, 1], 1, 1, true], // same
  [[1, 1], 2, 1, true], // longer, same term
  [[1, 1], 0, 1, false], // shorter
  [[1, 1], 0, 2, true], // higher last term
  [[1, 2], 0, 1, false], // lower last term, however long
  [[1, 2], 5, 1, false],
  [[1, 2], 1, 2, true],
];
for (const [log, lastIndex, lastTerm, granted] of voterTable) {
  test(`§5.4.1 voter with [${log}] asked by a candidate with last (${lastIndex}, ${lastTerm}) → ${granted}`, async () => {
    const c = await lone();
    await giveLog(c, 1, log, 2);
    c.clock.advance(2 * T); // the outsider "leader" is long gone: no stickiness
    await inject(c, { kind: "vote", group: 7, from: 2, to: 1, term: 3, lastIndex, lastTerm, transfer: false });
    expect(sentBy(c, 1, "voteReply").map((m) => m.granted)).toEqual([granted]);
  });
}

test("§5.4.2 the leader commits only entries of its current term by counting replicas", async () => {
  // Node 1 leads term 3 holding entries of terms 1 and 2 (index 1); its own no-op of term 3 is index 2.
  const c = await TestCluster.create({ ids: [1, 2, 3], appendBytesMax: 1 }, false);
  for (const id of c.ids) await giveLog(c, id, [1], 2);
  await inject(c, { kind: "append", group: 7, from: OUTSIDER, to: 1, term: 2, prevIndex: 0, prevTerm: 1, commitIndex: -1, entries: termBatches([2], 1) });
  // Followers receive the term-2 entry but never the no-op of term 3 (appends they would refuse still get through).
  const wouldTakeTerm3 = (m: RaftMessage) => m.kind === "append" && describe(m).some((e) => e.endsWith(":3")) && c.state(m.to).lastIndex >= m.prevIndex;
  c.net.filter = (m) => (m.from === 1 && wouldTakeTerm3(m) ? "drop" : "deliver");
  await forceElection(c, 1);
  await c.run(3 * testTimings.heartbeatIntervalMs);
  expect(c.state(1).role).toBe("leader");
  expect(await c.logOf(2)).toEqual(["0:1", "1:2"]); // a majority holds index 1 (term 2)
  expect(c.state(1).commitIndex).toBe(-1); // but it is not committed by counting
  c.net.filter = () => "deliver";
  await c.run(3 * testTimings.heartbeatIntervalMs);
  expect(c.state(1).commitIndex).toBe(2); // once the term-3 entry is on a majority, both commit
});

function describe(m: { entries: Uint8Array }): string[] {
  return entriesOf(m.entries);
}

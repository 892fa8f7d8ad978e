/**
 * The thesis features beyond the paper's core: pre-vote and leader stickiness, check-quorum,
 * leadership transfer, membership through learners, prefix truncation and InstallSnapshot,
 * durability of (term, vote) and of acknowledged entries across crashes, determinism.
 */
import { afterEach, expect, test } from "bun:test";
import { RaftGroup } from "./group.ts";
import { plantedBugs, resetPlantedBugs } from "./planted-bugs.ts";
import { inject, termBatches } from "./scenario-helpers.ts";
import { TestCluster, testTimings } from "./test-cluster.ts";
import type { NodeId, ProposeResult, RaftMessage } from "./types.ts";

afterEach(resetPlantedBugs);
const T = testTimings.electionTimeoutMs;

test("pre-vote: a node cut off for many timeouts does not raise its term and does not disturb the leader when it returns", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  const term = c.state(leader).term;
  const other = c.ids.find((i) => i !== leader)!;
  c.net.isolate(other);
  await c.run(20 * T);
  expect(c.state(other).term).toBe(term); // pre-votes were never granted: no term was spent
  c.net.heal();
  await c.run(5 * T);
  expect(c.leader()).toBe(leader);
  expect(c.state(leader).term).toBe(term);
});

test("leader stickiness: a follower that hears its leader refuses a disruptive RequestVote without adopting its term", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  const follower = c.ids.find((i) => i !== leader)!;
  const term = c.state(follower).term;
  await inject(c, { kind: "vote", group: 7, from: 42, to: follower, term: term + 5, lastIndex: 1000, lastTerm: term + 4, transfer: false });
  expect(c.state(follower).term).toBe(term);
  expect(c.net.log.filter((m) => m.kind === "voteReply" && m.from === follower && m.to === 42).map((m) => (m as { granted: boolean }).granted)).toEqual([false]);
});

test("check-quorum: an isolated leader steps down within two election timeouts and its pending proposals fail", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  await c.run(50);
  c.net.isolate(leader);
  const pending = c.propose(leader, "lost");
  await c.run(2 * T + 1);
  expect(c.state(leader).role).toBe("follower");
  expect(await pending).toEqual({ ok: false, error: "notLeader" });
  expect(await c.propose(leader, "refused")).toEqual({ ok: false, error: "notLeader" });
  // The majority side elects its own leader meanwhile.
  const others = c.ids.filter((i) => i !== leader);
  expect(others.some((i) => c.state(i).role === "leader")).toBe(true);
});

test("check-quorum off (planted bug): an isolated leader stays leader indefinitely", async () => {
  plantedBugs.forgetCheckQuorum = true;
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  c.net.isolate(leader);
  await c.run(10 * T);
  expect(c.state(leader).role).toBe("leader");
});

test("leadership transfer: the target catches up, gets TimeoutNow, wins at once; proposals are refused meanwhile", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  await c.commit(leader, "a");
  const target = c.ids.find((i) => i !== leader)!;
  // Hold the target's answers so the transfer stays open while we propose.
  c.net.filter = (m) => (m.from === target && m.kind === "appendReply" ? "hold" : "deliver");
  void c.propose(leader, "b");
  await c.deliverAll();
  expect(await c.group(leader).transferLeadership(target)).toEqual({ ok: true });
  expect(await c.propose(leader, "during")).toEqual({ ok: false, error: "transferring" });
  c.net.filter = () => "deliver";
  c.net.releaseHeld();
  await c.run(10);
  expect(c.leader()).toBe(target);
  expect(c.net.log.some((m) => m.kind === "timeoutNow" && m.to === target)).toBe(true);
  expect((await c.commit(target, "after")).ok).toBe(true);
  expect(await c.valuesOf(leader)).toEqual(["a", "b", "after"]);
});

test("leadership transfer to a target that never answers is abandoned after an election timeout", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  const target = c.ids.find((i) => i !== leader)!;
  c.net.isolate(target);
  expect(await c.group(leader).transferLeadership(target)).toEqual({ ok: true });
  expect(c.state(leader).transferringTo).toBe(target);
  await c.run(T + 1);
  expect(c.state(leader)).toMatchObject({ role: "leader", transferringTo: null });
  expect((await c.commit(leader, "ok")).ok).toBe(true);
  expect(await c.group(leader).transferLeadership(leader)).toEqual({ ok: false, error: "invalidTransferTarget" });
});

test("a node that may not campaign (maintenance) votes but never leads, not even when handed leadership; alone in its group it leads", async () => {
  let blocked = 1;
  const c = await TestCluster.create({ ids: [1, 2, 3], mayCampaign: (id) => id !== blocked });
  for (let round = 0; round < 3; round++) {
    const leader = await c.elect();
    expect(leader).not.toBe(1);
    await c.crash(leader); // the other two elect: node 1's vote counts
    await c.run(4 * T);
    expect(c.leader()).not.toBeNull();
    expect(c.leader()).not.toBe(1);
    await c.restart(leader);
    await c.run(T); // caught up again, so either other node could win
  }
  const leader = await c.elect();
  expect(await c.group(leader).transferLeadership(1)).toEqual({ ok: true }); // TimeoutNow is ignored: the transfer lapses
  await c.run(2 * T);
  expect(c.leader()).toBe(leader);
  blocked = -1; // out of maintenance: it may lead again
  expect(await c.group(leader).transferLeadership(1)).toEqual({ ok: true });
  await c.run(T);
  expect(c.leader()).toBe(1);
  c.checkNoFailures();

  const alone = await TestCluster.create({ ids: [1], mayCampaign: () => false });
  expect(await alone.elect()).toBe(1);
});

test("a node that may not campaign still does once no leader appeared for a while: it may hold the only log a leader could have", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], mayCampaign: (id) => id !== 1 });
  const leader = await c.elect();
  const lagging = c.ids.find((id) => id !== leader && id !== 1)!;
  c.net.isolate(lagging);
  expect((await c.commit(leader, "x")).ok).toBe(true); // on the leader and node 1 only
  await c.crash(leader);
  c.net.heal();
  await c.run(2 * T);
  expect(c.leader()).toBeNull(); // the lagging node cannot win node 1's vote, and node 1 waits
  await c.run(4 * T);
  expect(c.leader()).toBe(1);
  expect(await c.valuesOf(1)).toEqual(["x"]);
});

test("membership: a learner catches up without voting, is promoted, then a voter is removed; one change at a time", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3, 4], config: { voters: [1, 2, 3], learners: [] } });
  const leader = await c.elect();
  for (const v of ["a", "b", "c"]) await c.commit(leader, v);
  const g = c.group(leader);
  const adding = g.addLearner(4);
  expect(await g.addLearner(4)).toEqual({ ok: false, error: "configChangeInProgress" });
  await c.run(50);
  expect((await adding).ok).toBe(true);
  expect(c.state(leader).config).toEqual({ voters: [1, 2, 3], learners: [4] });
  expect(await c.valuesOf(4)).toEqual(["a", "b", "c"]);
  expect(c.state(4).config.learners).toEqual([4]);
  expect(await g.promoteLearner(5)).toEqual({ ok: false, error: "invalidConfigChange" });
  const promoted = g.promoteLearner(4);
  await c.run(50);
  expect((await promoted).ok).toBe(true);
  expect(c.state(leader).config).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  const victim = [1, 2, 3].find((i) => i !== leader)!;
  const removing = g.removeNode(victim);
  await c.run(50);
  expect((await removing).ok).toBe(true);
  expect(c.state(leader).config.voters).toEqual([1, 2, 3, 4].filter((i) => i !== victim));
  expect(await g.removeNode(leader)).toEqual({ ok: false, error: "invalidConfigChange" }); // transfer first
  expect((await c.commit(leader, "d")).ok).toBe(true);
});

test("membership: a learner does not campaign and does not count for commit", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], config: { voters: [1, 2], learners: [3] } });
  const leader = await c.elect();
  expect(leader).not.toBe(3);
  const voter = leader === 1 ? 2 : 1;
  c.net.isolate(voter);
  const r = c.propose(leader, "x");
  await c.run(50);
  expect(c.state(3).lastIndex).toBe(c.state(leader).lastIndex); // the learner has it...
  expect(c.state(leader).commitIndex).toBeLessThan(c.state(leader).lastIndex); // ...but it does not commit
  c.net.heal();
  await c.run(50);
  expect((await r).ok).toBe(true);
  c.net.isolate(leader);
  c.net.isolate(voter);
  await c.run(20 * T);
  expect(c.net.log.some((m) => m.from === 3 && (m.kind === "preVote" || m.kind === "vote"))).toBe(false);
});

test("membership: removing a voter is refused when the rest in touch would not be a majority", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  await c.commit(leader, "a");
  const [x, y] = c.ids.filter((i) => i !== leader) as [NodeId, NodeId];
  c.net.isolate(y);
  await c.run(T + 1); // y is now out of touch
  // Removing x leaves {leader, y}: needs both, but y is unreachable.
  expect(await c.group(leader).removeNode(x)).toEqual({ ok: false, error: "wouldLoseQuorum" });
});

test("prefix truncation and InstallSnapshot: a new learner behind the log start gets the log from the start", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3, 4], config: { voters: [1, 2, 3], learners: [] } });
  const leader = await c.elect();
  for (let i = 0; i < 6; i++) await c.commit(leader, `v${i}`);
  const entries = await c.group(leader).inspectLog();
  const cut = entries[4]!.baseOffset; // keep the last entries from here
  await c.group(leader).truncatePrefix(cut);
  expect(c.state(leader).logStartOffset).toBe(cut);
  expect(c.state(leader).snapshotTerm).toBe(entries[3]!.term);
  const added = c.group(leader).addLearner(4);
  await c.run(100);
  await added;
  expect(c.net.log.some((m) => m.kind === "installSnapshot" && m.to === 4)).toBe(true);
  expect(c.state(4)).toMatchObject({ logStartOffset: cut, lastIndex: c.state(leader).lastIndex, commitIndex: c.state(leader).commitIndex });
  expect(await c.logOf(4)).toEqual(await c.logOf(leader));
  // The snapshot (start offset, term, configuration) survives a restart of the learner.
  await c.crash(4);
  await c.restart(4);
  expect(c.state(4)).toMatchObject({ logStartOffset: cut, snapshotTerm: entries[3]!.term });
});

test("durability: the vote is on disk before the reply is sent; with the planted bug it is not", async () => {
  for (const bug of [false, true]) {
    plantedBugs.voteBeforeFsync = bug;
    const c = await TestCluster.create({ ids: [1], config: { voters: [1, 2, 3], learners: [] } }, false);
    const disk = c.disks.get(1)!;
    // What a crash at the moment the reply leaves would keep: the durable bytes of raft-state.
    let durableAtReply = null as { term: number; votedFor: number } | null;
    const send = c.net.send.bind(c.net);
    c.net.send = (m: RaftMessage) => {
      if (m.kind === "voteReply") durableAtReply = durableHardState(disk);
      send(m);
    };
    await inject(c, { kind: "vote", group: 7, from: 2, to: 1, term: 1, lastIndex: -1, lastTerm: -1, transfer: false });
    expect(durableAtReply).toEqual(bug ? { term: 1, votedFor: -1 } : { term: 1, votedFor: 2 });
  }
});

/** The (term, votedFor) that would survive a crash right now: decode the durable bytes of raft-state. */
function durableHardState(disk: unknown): { term: number; votedFor: number } {
  const node = (disk as { files: Map<string, { durable: Uint8Array }> }).files.get("/raft/1/raft-state")!;
  const bytes = node.durable;
  let best = { seq: 0, term: 0, votedFor: -1 };
  for (const at of [0, 32]) {
    if (bytes.length < at + 20) continue;
    const v = new DataView(bytes.buffer, bytes.byteOffset + at, 20);
    const seq = Number(v.getBigInt64(0));
    if (seq > best.seq) best = { seq, term: v.getInt32(8), votedFor: v.getInt32(12) };
  }
  return { term: best.term, votedFor: best.votedFor };
}

test("durability: crash and restart every node; terms, votes and every acknowledged entry survive", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3], seed: 5 });
  const acked: string[] = [];
  for (let round = 0; round < 4; round++) {
    const leader = await c.elect();
    for (let i = 0; i < 3; i++) {
      const v = `r${round}.${i}`;
      if ((await c.commit(leader, v)).ok) acked.push(v);
    }
    const before = new Map(c.ids.map((id) => [id, c.state(id)]));
    const victim = c.ids[round % 3]!;
    await c.crash(victim);
    await c.restart(victim);
    const after = c.state(victim);
    expect(after.term).toBeGreaterThanOrEqual(before.get(victim)!.term);
    if (after.term === before.get(victim)!.term) expect(after.votedFor).toBe(before.get(victim)!.votedFor);
    await c.run(3 * T);
  }
  await c.run(5 * T);
  for (const id of c.ids) expect(await c.valuesOf(id)).toEqual(acked);
});

test("determinism: the same seed and inputs give the same messages, in the same order", async () => {
  const trace = async () => {
    const c = await TestCluster.create({ ids: [1, 2, 3], seed: 9 });
    const leader = await c.elect();
    for (let i = 0; i < 5; i++) await c.commit(leader, `x${i}`);
    await c.crash(leader);
    await c.restart(leader);
    await c.run(5 * T);
    return c.net.log.map((m) => JSON.stringify(m, (_, v) => (v instanceof Uint8Array ? Array.from(v).join(".") : v)));
  };
  const [a, b] = [await trace(), await trace()];
  expect(a.length).toBeGreaterThan(50);
  expect(b).toEqual(a);
});

test("the durable hard state can be read without opening the group", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  const s = c.state(leader);
  expect(await RaftGroup.readHardState(c.disks.get(leader)!, `/raft/${leader}`)).toEqual({ term: s.term, votedFor: leader });
});

test("a stale InstallSnapshot (its start at or below the follower's commit index) leaves the log alone", async () => {
  const c = await TestCluster.create({ ids: [1], config: { voters: [1, 2, 3], learners: [] } }, false);
  await inject(c, { kind: "append", group: 7, from: 2, to: 1, term: 1, prevIndex: -1, prevTerm: -1, commitIndex: 5, entries: termBatches([1, 1, 1, 1, 1, 1]) });
  await c.group(1).truncatePrefix(4);
  const before = await c.logOf(1);
  const mark = c.net.log.length;
  await inject(c, { kind: "installSnapshot", group: 7, from: 2, to: 1, term: 1, startOffset: 2, prevTerm: 1, config: { voters: [1, 2, 3], learners: [] } });
  expect(await c.logOf(1)).toEqual(before);
  expect(c.state(1)).toMatchObject({ logStartOffset: 4, commitIndex: 5 });
  expect(c.net.log.slice(mark)).toMatchObject([{ kind: "appendReply", success: true, matchIndex: 1 }]);
  c.checkNoFailures();
});

test("pipelined appends are sent once: answers to the first ones in the window do not send the rest again", async () => {
  const c = await TestCluster.create({ ids: [1, 2, 3] });
  const leader = await c.elect();
  await c.commit(leader, "first");
  // The followers' answers wait while the leader sends a window of appends, as on a real link.
  c.net.filter = (m) => (m.kind === "appendReply" && m.to === leader ? "hold" : "deliver");
  const entryAppends = () => c.net.log.filter((m) => m.kind === "append" && m.entries.length > 0).length;
  const before = entryAppends();
  const proposals: Promise<ProposeResult>[] = [];
  for (const value of ["a", "b", "c", "d", "e", "f"]) {
    proposals.push(c.propose(leader, value));
    await c.deliverAll(); // one append run per proposal
  }
  const sentInWindow = entryAppends();
  expect(sentInWindow - before).toBe(2 * 6); // each proposal to each follower, once
  c.net.filter = () => "deliver";
  c.net.releaseHeld();
  await c.deliverAll();
  expect(entryAppends()).toBe(sentInWindow); // every entry had reached both followers: nothing to send again
  expect((await Promise.all(proposals)).every((r) => r.ok)).toBe(true);
  c.checkNoFailures();
});

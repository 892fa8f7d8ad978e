/**
 * A short randomized run per seed on the in-test harness (the full simulator lives in test/sim):
 * messages dropped, duplicated and reordered, nodes isolated, crashed and restarted, proposals
 * throughout, and now and then a leadership transfer, a prefix truncation or a membership change
 * (node 5 removed, added back as a learner, promoted). After every step: at most one leader per term, and no two nodes hold different
 * committed entries at one index; at the end, every acknowledged entry is on every node.
 * Seeds are fixed; SKUA_SEED=<n> runs one.
 */
import { expect, test } from "bun:test";
import { mulberry32 } from "../base/random.ts";
import { TestCluster, testTimings } from "./test-cluster.ts";
import type { NodeId, RaftMessage } from "./types.ts";

const SEEDS = process.env.SKUA_SEED ? [Number(process.env.SKUA_SEED)] : [1, 2, 3, 4, 5, 6];
const STEPS = Number(process.env.SKUA_STEPS ?? 150);

for (const seed of SEEDS) {
  test(`chaos seed ${seed}: one leader per term, committed entries agree, acknowledged entries kept`, async () => {
    const random = mulberry32(seed * 7919);
    const c = await TestCluster.create({ ids: [1, 2, 3, 4, 5], seed, appendBytesMax: 200 + Math.floor(random() * 2000) });
    c.net.filter = (m: RaftMessage) => {
      const r = random();
      if (r < 0.08) return "drop";
      if (r < 0.14) return "hold"; // delivered later, out of order
      if (r < 0.18) c.net.queue.push(m); // a duplicate, after the others
      return "deliver";
    };
    const leaders = new Map<number, NodeId>(); // term -> leader
    const committed = new Map<number, number>(); // index -> crc of the committed entry there
    const acked: Array<{ value: string; index: number }> = [];
    const down = new Set<NodeId>();
    let tag = 0;

    const check = async () => {
      for (const id of c.ids) {
        const s = c.state(id);
        if (s.role === "leader") {
          const other = leaders.get(s.term);
          expect(other === undefined || other === id).toBe(true);
          leaders.set(s.term, id);
        }
        for (const e of await c.group(id).inspectLog()) {
          if (e.index > s.commitIndex) break;
          const known = committed.get(e.index);
          if (known !== undefined) expect([e.index, e.crc, id]).toEqual([e.index, known, id]);
          committed.set(e.index, e.crc);
        }
      }
    };

    for (let step = 0; step < STEPS; step++) {
      const r = random();
      const live = c.ids;
      if (r < 0.3) {
        const leader = live.find((id) => c.state(id).role === "leader");
        if (leader !== undefined) {
          const value = `s${seed}.${tag++}`;
          void c.propose(leader, value).then((res) => res.ok && acked.push({ value, index: res.index }));
        }
      } else if (r < 0.34 && down.size < 2) {
        const victim = live[Math.floor(random() * live.length)]!;
        await c.crash(victim);
        down.add(victim);
      } else if (r < 0.4 && down.size > 0) {
        const back = [...down][0]!;
        down.delete(back);
        await c.restart(back);
      } else if (r < 0.43) {
        c.net.isolate(1 + Math.floor(random() * 5));
      } else if (r < 0.5) {
        c.net.heal();
      } else if (r < 0.6) {
        c.net.releaseHeld();
      } else if (r < 0.63) {
        await admin(c, random);
      }
      await c.run(Math.floor(random() * testTimings.electionTimeoutMs));
      await check();
    }
    // Heal everything and let the cluster converge.
    for (const id of down) await c.restart(id);
    c.net.heal();
    c.net.filter = () => "deliver";
    c.net.releaseHeld();
    const leader = await c.elect(20_000);
    await c.commit(leader, "final");
    await c.run(10 * testTimings.heartbeatIntervalMs);
    await check();
    // Every acknowledged entry is on every member at its index, unless prefix truncation removed it there.
    const { voters, learners } = c.state(leader).config;
    for (const id of [...voters, ...learners]) {
      const values = await c.valuesByIndex(id);
      const start = c.state(id).logStartOffset;
      for (const a of acked) if (a.index >= start) expect([a.index, values.get(a.index)]).toEqual([a.index, a.value]);
    }
    console.log(`chaos seed=${seed} acked=${acked.length} terms=${leaders.size} committed=${committed.size} messages=${c.net.log.length}`);
    expect(acked.length).toBeGreaterThan(5);
    c.checkNoFailures();
  });
}

/** One administrative action on the current leader, chosen at random; refusals are fine. */
async function admin(c: TestCluster, random: () => number): Promise<void> {
  const leader = c.ids.find((id) => c.state(id).role === "leader");
  if (leader === undefined) return;
  const g = c.group(leader);
  const s = c.state(leader);
  const pick = random();
  if (pick < 0.3) {
    const others = s.config.voters.filter((v) => v !== leader);
    if (others.length > 0) void g.transferLeadership(others[Math.floor(random() * others.length)]!);
  } else if (pick < 0.6) {
    const committed = (await g.inspectLog()).filter((e) => e.index <= s.commitIndex);
    if (committed.length > 2) await g.truncatePrefix(committed[Math.floor(committed.length / 2)]!.index + 1);
  } else if (leader !== 5) {
    if (s.config.voters.includes(5)) void g.removeNode(5);
    else if (s.config.learners.includes(5)) void g.promoteLearner(5);
    else void g.addLearner(5);
  }
}

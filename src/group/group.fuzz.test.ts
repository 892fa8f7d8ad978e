/**
 * Seeded random operation sequences against one group on a manual clock: joins (new, known,
 * two-step, static), syncs, heartbeats, commits checks, leaves and time passing, with
 * wrong ids and generations mixed in. Checked after every step: nothing throws, the
 * generation never goes back, a Stable or CompletingRebalance group has a leader among its
 * members. At the end, once everyone stops and sessions run out, every request has been
 * answered and the group is Empty. Reproduce a failure with SEED=<printed seed>.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { Group } from "./group.ts";
import { mulberry32 } from "../base/random.ts";

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
const RUNS = 40;
const STEPS = 300;
const SESSION_MS = 6000;

test(`random operation sequences keep the group consistent (SEED=${SEED})`, async () => {
  for (let run = 0; run < RUNS; run++) {
    const random = mulberry32(SEED + run);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const clock = new ManualClock(1_000_000);
    const group = new Group("g", clock, { initialRebalanceDelayMs: pick([0, 500]) });
    const known: string[] = ["stranger"];
    let unanswered = 0;
    const answered = (p: Promise<{ errorCode: number; memberId?: string }>) => {
      unanswered++;
      p.then((r) => {
        unanswered--;
        if (r.memberId) known.push(r.memberId);
      });
    };
    let lastGeneration = 0;
    for (let step = 0; step < STEPS; step++) {
      const memberId = random() < 0.3 && group.leaderId !== null ? group.leaderId : pick(known);
      const generationId = group.generationId + pick([0, 0, 0, -1, 1]);
      const instance = pick([null, null, null, "i-1", "i-2"]);
      const protocols = [{ name: pick(["range", "range", "roundrobin"]), metadata: new Uint8Array([pick([1, 2])]) }];
      switch (pick(["join-new", "join-known", "sync", "heartbeat", "commit", "leave", "time", "time"])) {
        case "join-new": answered(group.join({ groupId: "g", memberId: "", groupInstanceId: instance, clientId: "c", clientHost: "", sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: pick([1000, 5000]), protocolType: "consumer", protocols, requireKnownMemberId: random() < 0.5 })); break;
        case "join-known": answered(group.join({ groupId: "g", memberId, groupInstanceId: instance, clientId: "c", clientHost: "", sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: 5000, protocolType: "consumer", protocols, requireKnownMemberId: true })); break;
        case "sync": answered(group.sync({ groupId: "g", memberId, generationId, groupInstanceId: instance, protocolType: null, protocolName: null, assignments: known.map((m) => ({ memberId: m, assignment: new Uint8Array([1]) })) })); break;
        case "heartbeat": group.heartbeat({ groupId: "g", memberId, generationId, groupInstanceId: instance }); break;
        case "commit": group.checkCommit(memberId, instance, generationId); break;
        case "leave": group.leave([{ memberId: pick([memberId, ""]), groupInstanceId: instance }]); break;
        case "time": clock.advance(Math.floor(random() * 3000)); group.tick(); break;
      }
      await Promise.resolve();
      expect(group.generationId).toBeGreaterThanOrEqual(lastGeneration);
      lastGeneration = group.generationId;
      if (group.state === "Stable" || group.state === "CompletingRebalance") expect(group.hasMember(group.leaderId ?? "")).toBe(true);
      if (group.state === "Empty") expect(group.memberCount).toBe(0);
    }
    for (let i = 0; i < 20 && (group.memberCount > 0 || group.state !== "Empty"); i++) {
      clock.advance(SESSION_MS);
      group.tick();
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect([run, group.state, group.memberCount, unanswered]).toEqual([run, "Empty", 0, 0]);
  }
});

/**
 * Liveness, measured in the simulator (calm network, no random faults; each scenario's one fault
 * is the only one):
 *   bun run test/sim/liveness.ts [--seeds 200] [--nodes 3|5]
 * - leader crash: time from the leader's crash to a new leader, in election timeouts, and the
 *   terms used (new term - old term), with the rest of the group connected;
 * - partial / one-way partition: a follower cut off from the leader only (both ways, or only
 *   leader→follower) for 50 election timeouts: terms used and leader changes (pre-vote and
 *   leader stickiness keep both at 0);
 * - isolated leader: time until it steps down (check-quorum), acknowledgements it gave after
 *   being cut off, and time until the majority side has a new leader; also with check-quorum
 *   switched off (the planted bug) to show the difference.
 */
import { parseArgs } from "node:util";
import { plantedBugs, resetPlantedBugs } from "../../src/raft/planted-bugs.ts";
import { Cluster, defaultTimings } from "./lib/cluster.ts";

const E = defaultTimings.electionTimeoutMs;
/** How long a scenario's fault lasts, in election timeouts. */
const WINDOW_E = 50;

interface Sample {
  value: number;
  terms: number;
  /** Isolated leader: election timeouts until the majority side had a leader. */
  extra?: number;
  /** Isolated leader: acknowledgements the client got from it after the cut. */
  acks?: number;
}

function cluster(seed: number, nodes: number): Cluster {
  return new Cluster({ seed, steps: Number.MAX_SAFE_INTEGER, nodes, faults: false, ...defaultTimings });
}

function role(c: Cluster, id: number): string | null {
  return c.group(id)?.inspect().role ?? null;
}

function maxTerm(c: Cluster): number {
  let t = 0;
  for (const id of c.upIds()) t = Math.max(t, c.group(id)?.inspect().term ?? 0);
  return t;
}

/** Starts the group and waits for a leader that has held for 3 election timeouts. */
async function stableLeader(c: Cluster): Promise<number> {
  c.begin();
  let leader: number | null = null;
  let sinceMs = 0;
  const ok = await c.runUntil(() => {
    const now = c.leader();
    if (now !== leader) {
      leader = now;
      sinceMs = c.scheduler.nowMs();
    }
    return leader !== null && c.scheduler.nowMs() - sinceMs >= 3 * E;
  }, 100 * E);
  if (!ok || leader === null) throw new Error(`seed ${c.opts.seed}: no stable leader (${c.violation?.message ?? "timeout"})`);
  return leader;
}

async function leaderCrash(seed: number, nodes: number): Promise<Sample> {
  const c = cluster(seed, nodes);
  const old = await stableLeader(c);
  const term = maxTerm(c);
  const t0 = c.scheduler.nowMs();
  c.crash(old);
  const ok = await c.runUntil(() => c.leader() !== null, t0 + WINDOW_E * E);
  assertClean(c, ok, "no new leader after the crash");
  return { value: (c.scheduler.nowMs() - t0) / E, terms: maxTerm(c) - term };
}

async function partialPartition(seed: number, nodes: number, oneWay: boolean): Promise<Sample> {
  const c = cluster(seed, nodes);
  const leader = await stableLeader(c);
  const follower = c.ids.find((id) => id !== leader) as number;
  const term = maxTerm(c);
  c.network.setCut(leader, follower, true);
  if (!oneWay) c.network.setCut(follower, leader, true);
  let changes = 0;
  let last = leader;
  await c.runUntil(() => {
    const now = c.leader();
    if (now !== null && now !== last) {
      changes++;
      last = now;
    }
    return false;
  }, c.scheduler.nowMs() + WINDOW_E * E);
  assertClean(c, true, "");
  return { value: changes, terms: maxTerm(c) - term };
}

/** value: election timeouts until the cut-off leader stops claiming leadership; extra: until the majority side has a leader. */
async function isolatedLeader(seed: number, nodes: number, checkQuorum: boolean): Promise<Sample> {
  resetPlantedBugs();
  plantedBugs.forgetCheckQuorum = !checkQuorum;
  try {
    const c = cluster(seed, nodes);
    const leader = await stableLeader(c);
    const term = maxTerm(c);
    const t0 = c.scheduler.nowMs();
    c.network.split([leader]);
    let steppedDownMs = Number.POSITIVE_INFINITY;
    let newLeaderMs = Number.POSITIVE_INFINITY;
    await c.runUntil(() => {
      const now = c.scheduler.nowMs();
      if (newLeaderMs === Number.POSITIVE_INFINITY && c.ids.some((id) => id !== leader && role(c, id) === "leader")) newLeaderMs = now;
      if (steppedDownMs === Number.POSITIVE_INFINITY && role(c, leader) !== "leader") steppedDownMs = now;
      return Number.isFinite(steppedDownMs) && Number.isFinite(newLeaderMs);
    }, t0 + WINDOW_E * E);
    // With check-quorum off, the stale-leader checker stops the run: that is the finding.
    if (checkQuorum) assertClean(c, Number.isFinite(steppedDownMs) && Number.isFinite(newLeaderMs), "isolated leader did not step down, or no new leader");
    const lateAcks = c.acks.filter((a) => a.node === leader && a.atMs > t0).length;
    return { value: (steppedDownMs - t0) / E, terms: maxTerm(c) - term, extra: (newLeaderMs - t0) / E, acks: lateAcks };
  } finally {
    resetPlantedBugs();
  }
}

function assertClean(c: Cluster, ok: boolean, what: string): void {
  if (c.violation) throw new Error(`seed ${c.opts.seed}: ${c.violation.message}`);
  if (!ok) throw new Error(`seed ${c.opts.seed}: ${what}`);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : "never";
}

function row(name: string, nodes: number, unit: string, samples: Sample[]): string {
  const v = samples.map((s) => s.value).sort((a, b) => a - b);
  const t = samples.map((s) => s.terms).sort((a, b) => a - b);
  const x = samples.map((s) => s.extra ?? Number.NaN).sort((a, b) => a - b);
  const acks = samples.reduce((sum, s) => sum + (s.acks ?? 0), 0);
  const isolated = samples[0]?.extra !== undefined;
  const newLeader = isolated ? `${fmt(quantile(x, 0.5))} / ${fmt(quantile(x, 0.99))}` : "";
  return `| ${name} | ${nodes} | ${samples.length} | ${unit} | ${fmt(quantile(v, 0.5))} | ${fmt(quantile(v, 0.99))} | ${fmt(v[v.length - 1])} | ${quantile(t, 0.5)} / ${t[t.length - 1]} | ${newLeader} | ${isolated ? acks : ""} |`;
}

const { values } = parseArgs({ options: { seeds: { type: "string" }, nodes: { type: "string" } }, strict: true });
const seeds = Number(values.seeds ?? 200);
const sizes = values.nodes ? [Number(values.nodes)] : [3, 5];
const startMs = performance.now();

console.log(`raft liveness: ${seeds} seeds per row, election timeout ${E} ms (virtual), heartbeat ${defaultTimings.heartbeatIntervalMs} ms, faults only as named`);
console.log("| scenario | nodes | runs | measured | median | p99 | max | terms used (median / max) | majority side's new leader after (median / p99 E) | acks from the cut-off leader after the cut |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const nodes of sizes) {
  const scenarios: Array<[string, string, (seed: number) => Promise<Sample>]> = [
    ["leader crash → new leader", "election timeouts", (s) => leaderCrash(s, nodes)],
    ["follower cut from leader, both ways, 50 E", "leader changes", (s) => partialPartition(s, nodes, false)],
    ["follower cut from leader, one way, 50 E", "leader changes", (s) => partialPartition(s, nodes, true)],
    ["isolated leader stops claiming leadership (check-quorum)", "election timeouts", (s) => isolatedLeader(s, nodes, true)],
    ["same, check-quorum off (planted bug; the stale-leader checker stops the run)", "election timeouts", (s) => isolatedLeader(s, nodes, false)],
  ];
  for (const [name, unit, run] of scenarios) {
    const samples: Sample[] = [];
    for (let seed = 1; seed <= seeds; seed++) samples.push(await run(seed));
    console.log(row(name, nodes, unit, samples));
  }
}
console.log(`(${((performance.now() - startMs) / 1000).toFixed(0)} s wall)`);

/**
 * The nemesis: a fault schedule drawn from one seed (the same seed gives the same schedule, which
 * the run prints), one fault per cycle, never more than a minority of the nodes affected, and the
 * code that applies and heals each fault on a Cluster. Kinds:
 *   kill     kill -9, start again on the same data after the fault's duration
 *   pause    SIGSTOP for longer than an election timeout, then SIGCONT
 *   isolate  every link of the node down (peers and clients), then up (netns only)
 *   restart  clean stop (SIGTERM), start again
 *   cut      a partial partition: one node cannot reach one other, both reach the rest (netns only)
 */
import type { Cluster } from "../helpers/cluster.ts";

export type FaultKind = "kill" | "pause" | "isolate" | "restart" | "cut";

export interface Fault {
  cycle: number;
  kind: FaultKind;
  /** Node ids affected (for "cut", the two ends). */
  nodes: number[];
  /** How long the fault lasts before it is healed. */
  durationMs: number;
  /** Quiet time after healing, before the next fault. */
  quietMs: number;
}

export interface ScheduleOptions {
  seed: number;
  cycles: number;
  nodeIds: number[];
  kinds: FaultKind[];
  electionTimeoutMs: number;
}

/** mulberry32: small, seeded, good enough to pick faults. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function schedule(options: ScheduleOptions): Fault[] {
  const next = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const minority = Math.floor((options.nodeIds.length - 1) / 2);
  if (minority < 1) throw new Error("a nemesis needs at least 3 nodes (a minority of one)");
  const between = (lowMs: number, highMs: number) => Math.round(lowMs + next() * (highMs - lowMs));
  const faults: Fault[] = [];
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const kind = pick(options.kinds);
    const shuffled = [...options.nodeIds];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const count = kind === "cut" ? 2 : 1 + Math.floor(next() * minority);
    const nodes = shuffled.slice(0, count).sort((a, b) => a - b);
    const timeout = options.electionTimeoutMs;
    // Long enough that the cluster notices: an election on the rest, a follower falling behind.
    const durationMs = kind === "pause" ? between(3 * timeout, 5 * timeout) : between(2 * timeout, 4 * timeout);
    faults.push({ cycle, kind, nodes, durationMs, quietMs: between(timeout, 2 * timeout) });
  }
  return faults;
}

export function describeFault(fault: Fault): string {
  const what = fault.kind === "cut" ? `cut ${fault.nodes[0]}<->${fault.nodes[1]}` : `${fault.kind} ${fault.nodes.join(",")}`;
  return `cycle ${fault.cycle}: ${what} for ${fault.durationMs} ms, quiet ${fault.quietMs} ms`;
}

/** Applies the fault (returns once it is in effect). */
export async function inject(cluster: Cluster, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case "kill": await Promise.all(fault.nodes.map((id) => cluster.kill9(id))); return;
    case "restart": await Promise.all(fault.nodes.map((id) => cluster.stop(id))); return;
    case "pause": for (const id of fault.nodes) cluster.pause(id); return;
    case "isolate": for (const id of fault.nodes) cluster.isolate(id); return;
    case "cut": cluster.cut(fault.nodes[0]!, fault.nodes[1]!); return;
  }
}

/** Undoes the fault (a killed or stopped node is started again and waited for). */
export async function heal(cluster: Cluster, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case "kill":
    case "restart": await Promise.all(fault.nodes.map((id) => cluster.start(id))); return;
    case "pause": for (const id of fault.nodes) cluster.resume(id); return;
    case "isolate": for (const id of fault.nodes) cluster.reconnect(id); return;
    case "cut": cluster.healNetwork(); return;
  }
}

/**
 * The fault schedule. Each seed draws its own profile (how lossy the network, how often nodes
 * crash, how slow and faulty the disks, how far clocks drift: swarm testing, so one seed stresses
 * one mix), then a process injects faults at random times: partitions (symmetric, one-way,
 * leader isolated, flapping), crashes with restarts, disk fault and slow-disk windows, network
 * weather, crashes right after a node grants a vote (before a vote is durable, if the code
 * is wrong about that) or soon after it becomes leader, and (half the seeds) Kafka compaction.
 */
import type { SimFaults } from "../../../src/io/sim-disk.ts";
import type { DiskLatency } from "./node-disk.ts";
import type { NetworkFaults } from "./network.ts";
import type { Rng } from "./rng.ts";

export interface Profile {
  network: NetworkFaults;
  /** Mean virtual ms between fault actions. */
  faultEveryMs: number;
  /** Relative weights of the actions. */
  weights: Record<FaultAction, number>;
  /** Disk latency outside slow windows. */
  diskLatency: DiskLatency;
  /** Per node clock rate (1 = true time). */
  clockRates: number[];
  /** Chance that a node crashes right after sending a vote grant. */
  crashAfterVoteProbability: number;
  /** Chance that a node crashes within two heartbeats of becoming leader (Figure 8's windows). */
  crashNewLeaderProbability: number;
  /** Chance that a crash goes ahead even though it leaves less than a majority up. */
  crashBelowMajorityProbability: number;
  /** The groups' appendBytesMax: 1 sends one batch per AppendEntries, so entries commit in more rounds. */
  appendBytesMax: number;
  /** Leaders beat on one shared ticker per node with light heartbeats (as the broker runs), else a timer per group and full heartbeats. */
  sharedHeartbeats: boolean;
  /** Mean virtual ms between Kafka compaction passes (each on a random node, below its commit index); 0: the seed does not compact. */
  compactRecordsEveryMs: number;
}

/** Faults, plus operator actions that exercise rarer paths: prefix truncation (then InstallSnapshot), leadership transfer, a node in maintenance (it does not campaign). */
export type FaultAction = "partition" | "oneWay" | "isolateLeader" | "flap" | "crash" | "crashLeader" | "diskErrors" | "slowDisk" | "weather" | "compact" | "transfer" | "maintenance";

const ACTIONS: FaultAction[] = ["partition", "oneWay", "isolateLeader", "flap", "crash", "crashLeader", "diskErrors", "slowDisk", "weather", "compact", "transfer", "maintenance"];

/** Faults the disk injects during a disk-error window. */
export const diskErrorWindow: Partial<SimFaults> = { writeFailProbability: 0.05, shortWriteProbability: 0.02, fsyncFailProbability: 0.05 };

export function drawProfile(rng: Rng, nodeCount: number, electionTimeoutMs: number): Profile {
  const delayMsMax = 0.5 + rng.float() * (electionTimeoutMs / 4);
  const weights = {} as Record<FaultAction, number>;
  for (const action of ACTIONS) weights[action] = rng.chance(0.2) ? 0 : rng.float();
  const drift = rng.pick([0, 0.001, 0.01, 0.05]);
  const clockRates = Array.from({ length: nodeCount }, () => 1 + (rng.float() * 2 - 1) * drift);
  return {
    network: {
      dropProbability: rng.pick([0, 0.01, 0.05, 0.15]),
      duplicateProbability: rng.pick([0, 0.01, 0.05]),
      delayMsMin: 0.1,
      delayMsMax,
    },
    faultEveryMs: electionTimeoutMs * (1 + rng.float() * 6),
    weights,
    diskLatency: { writeMs: rng.pick([0, 0.05, 0.2]), syncMs: rng.pick([0.1, 0.5, 2]) },
    clockRates,
    crashAfterVoteProbability: rng.pick([0, 0.05, 0.3]),
    crashNewLeaderProbability: rng.pick([0, 0.1, 0.3]),
    crashBelowMajorityProbability: 0.2,
    appendBytesMax: rng.pick([1, 512, 1024 * 1024]),
    sharedHeartbeats: rng.chance(0.75),
    // Drawn last, so the fields above are what they were before compaction joined the mix.
    compactRecordsEveryMs: rng.chance(0.5) ? 0 : electionTimeoutMs * (0.5 + rng.float() * 4),
  };
}

export function pickAction(rng: Rng, weights: Record<FaultAction, number>): FaultAction | null {
  let total = 0;
  for (const action of ACTIONS) total += weights[action];
  if (total <= 0) return null;
  let roll = rng.float() * total;
  for (const action of ACTIONS) {
    roll -= weights[action];
    if (roll < 0) return action;
  }
  return ACTIONS[ACTIONS.length - 1];
}

/**
 * Carries out leadership transfers for the groups this shard leads (cluster/leader-balancer.ts
 * decides): every `tickMs`, while this node is in maintenance mode, it hands every leadership it
 * holds to another in-sync replica (also one it won in an election meanwhile); every
 * `leader_balancer_idle_timeout`, with `enable_leader_balancer`, it takes its part of the
 * balancing transfers. Every shard of every node decides on the same view (the metadata and its
 * LeaderTable, which hears every group's leader) and starts only transfers of groups led here,
 * so each transfer is started once. A group whose leader changed within
 * `leader_balancer_mute_timeout` is left alone; a transfer asked is not asked again for an
 * election timeout (it finishes or the Raft group gives it up by then).
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import { leadershipView, planLeaderBalance, planMaintenanceDrain, type LeaderTransfer } from "../cluster/leader-balancer.ts";
import { CONTROLLER_GROUP, type MetadataTable } from "../cluster/metadata.ts";
import type { RaftInspect, TransferResult } from "../raft/types.ts";
import type { LeaderTable } from "./leaders.ts";
import type { ReplicatedPartition } from "./replicated-partition.ts";

/** Balancing transfers decided per round, cluster-wide (each shard starts its own among them). */
export const BALANCE_TRANSFERS_PER_ROUND_MAX = 32;
/** Drain transfers one shard starts per tick. */
export const DRAIN_TRANSFERS_PER_TICK_MAX = 16;

/** This node's member of the controller group (shard 0). */
export interface ControllerGroupHandle {
  inspect(): RaftInspect;
  transferLeadership(to: number): Promise<TransferResult>;
}

export interface LeaderDriverOptions {
  nodeId: number;
  table(): MetadataTable;
  leaders: LeaderTable;
  /** This shard's replica of a group, if it has one. */
  hosted(group: number): ReplicatedPartition | undefined;
  /** Whether this shard's link to the node is up. */
  reachable(node: number): boolean;
  balance: { enabled: boolean; idleMs: number; muteMs: number };
  electionTimeoutMs: number;
  tickMs: number;
  clock: Clock;
  timers: Timers;
  log: Logger;
}

export class LeaderDriver {
  /** When each group's leader was last seen to change (its first sighting counts as a change). */
  private readonly leaderSince = new Map<number, { leader: number | null; sinceMs: number }>();
  /** Transfers started here, by group: not asked again until the election timeout passed. */
  private readonly askedAtMs = new Map<number, number>();
  private nextBalanceMs = 0;
  private controller: ControllerGroupHandle | null = null;
  private cancel: CancelTimer = () => {};
  private stopped = false;

  constructor(private readonly o: LeaderDriverOptions) {}

  start(): void {
    this.nextBalanceMs = this.o.clock.nowMs() + this.o.balance.idleMs;
    const tick = () => {
      this.tick();
      if (!this.stopped) this.cancel = this.o.timers.after(this.o.tickMs, tick);
    };
    this.cancel = this.o.timers.after(this.o.tickMs, tick);
  }

  attachController(group: ControllerGroupHandle): void {
    this.controller = group;
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private tick(): void {
    const nowMs = this.o.clock.nowMs();
    const table = this.o.table();
    for (const [group, atMs] of this.askedAtMs) if (nowMs - atMs >= this.o.electionTimeoutMs) this.askedAtMs.delete(group);
    const draining = table.inMaintenance(this.o.nodeId);
    const balancing = this.o.balance.enabled && nowMs >= this.nextBalanceMs;
    if (!draining && !balancing) return;
    const view = leadershipView(table, (group) => this.o.leaders.get(group), (node) => node === this.o.nodeId || this.o.reachable(node));
    if (draining) {
      const mine = planMaintenanceDrain(view, Number.MAX_SAFE_INTEGER).filter((t) => this.ours(t)).slice(0, DRAIN_TRANSFERS_PER_TICK_MAX);
      for (const t of mine) this.transfer(t, "maintenance", nowMs);
      this.handOffController(view.nodes.filter((n) => n.eligible).map((n) => n.id), nowMs);
    }
    if (!balancing) return;
    this.nextBalanceMs = nowMs + this.o.balance.idleMs;
    this.noteLeaders(nowMs);
    for (const group of this.leaderSince.keys()) if (this.o.leaders.get(group) === undefined) this.leaderSince.delete(group); // deleted groups
    const muted = new Set<number>(this.askedAtMs.keys());
    for (const [group, seen] of this.leaderSince) if (nowMs - seen.sinceMs < this.o.balance.muteMs) muted.add(group);
    for (const t of planLeaderBalance(view, muted, BALANCE_TRANSFERS_PER_ROUND_MAX)) if (this.ours(t)) this.transfer(t, "leader balancer", nowMs);
  }

  /**
   * Notes leader changes from the leader table (every group this shard knows of), once a round:
   * a change is seen up to a round late, so it is muted up to that much longer. Every tick would
   * cost a pass over all groups each 200 ms.
   */
  private noteLeaders(nowMs: number): void {
    for (const [group, info] of this.o.leaders.entries()) {
      const seen = this.leaderSince.get(group);
      if (!seen || seen.leader !== info.leader) this.leaderSince.set(group, { leader: info.leader, sinceMs: nowMs });
    }
  }

  /** The controller's leadership, when this node holds it, to the eligible voter furthest along (the transfer catches it up first). */
  private handOffController(eligible: number[], nowMs: number): void {
    const raft = this.controller?.inspect();
    if (!raft || raft.role !== "leader" || this.askedAtMs.has(CONTROLLER_GROUP)) return;
    const match = (id: number) => raft.peers.find((p) => p.id === id)?.matchIndex ?? -1;
    const to = raft.config.voters.filter((v) => v !== this.o.nodeId && eligible.includes(v)).sort((a, b) => match(b) - match(a) || a - b)[0];
    if (to === undefined) return;
    this.askedAtMs.set(CONTROLLER_GROUP, nowMs);
    this.controller!.transferLeadership(to).then(
      (result) => this.o.log.info(result.ok ? "leadership transfer" : "leadership transfer not started", { group: CONTROLLER_GROUP, to, why: "maintenance", ...(!result.ok && { error: result.error }) }),
      (error: unknown) => {
        rethrowIfBroken(error);
        this.o.log.warn("leadership transfer failed", { group: CONTROLLER_GROUP, to, error: String(error) });
      },
    );
  }

  /** A transfer this shard can start: its replica here leads the group and it was not asked lately. */
  private ours(t: LeaderTransfer): boolean {
    if (t.from !== this.o.nodeId || this.askedAtMs.has(t.group)) return false;
    return this.o.hosted(t.group)?.isLeader === true;
  }

  private transfer(t: LeaderTransfer, why: string, nowMs: number): void {
    const replica = this.o.hosted(t.group)!;
    this.askedAtMs.set(t.group, nowMs);
    const name = `${replica.ref.topic}/${replica.ref.partition}`;
    replica.transferLeadership(t.to).then(
      (result) => {
        if (result.ok) this.o.log.info("leadership transfer", { partition: name, to: t.to, why });
        else this.o.log.info("leadership transfer not started", { partition: name, to: t.to, why, error: result.error });
      },
      (error: unknown) => {
        rethrowIfBroken(error);
        this.o.log.warn("leadership transfer failed", { partition: name, to: t.to, error: String(error) });
      },
    );
  }
}

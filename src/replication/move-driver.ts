/**
 * Carries out the replica moves of the partitions this shard leads: every `tickMs`, each
 * replica here whose assignment has a target and whose group this node leads takes its next
 * step (`move-steps.ts`), at most one in flight per partition; once the group's committed voters
 * are the target's nodes it asks the controller to finish the move. Nothing here is remembered:
 * the controller's record and the group's log say where a move is, so after a leader change or
 * a restart the new leader goes on from there.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import type { PartitionAssignment, Replica } from "../cluster/metadata.ts";
import type { PartitionRef } from "../kafka/ops.ts";
import type { ProposeResult, TransferResult } from "../raft/types.ts";
import { nextMoveStep, type MoveStep } from "./move-steps.ts";
import type { ReplicatedPartition } from "./replicated-partition.ts";

export interface FinishMoveRequest extends PartitionRef {
  group: number;
  target: Replica[];
}

export interface MoveDriverOptions {
  /** The replicas here whose assignment has a move, with that assignment. */
  moving(): Iterable<{ replica: ReplicatedPartition; assignment: PartitionAssignment }>;
  finish(request: FinishMoveRequest): Promise<{ finished: boolean }>;
  timers: Timers;
  log: Logger;
  tickMs: number;
}

export class MoveDriver {
  /** Groups with a step in flight. */
  private readonly busy = new Set<number>();
  /** The last step logged per group, so a wait is told once, not every tick. */
  private readonly lastLogged = new Map<number, string>();
  private cancel: CancelTimer = () => {};
  private stopped = false;

  constructor(private readonly o: MoveDriverOptions) {}

  start(): void {
    const tick = () => {
      this.tick();
      if (!this.stopped) this.cancel = this.o.timers.after(this.o.tickMs, tick);
    };
    this.cancel = this.o.timers.after(this.o.tickMs, tick);
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private tick(): void {
    const seen = new Set<number>();
    for (const { replica, assignment } of this.o.moving()) {
      seen.add(assignment.group);
      if (this.busy.has(assignment.group) || !assignment.target || replica.groupId !== assignment.group) continue;
      const step = nextMoveStep(replica.group.inspect(), assignment.target.map((r) => r.node));
      if (step.kind === "wait" && step.why === "not the leader") continue;
      this.note(replica, assignment.group, step);
      if (step.kind === "wait") continue;
      this.busy.add(assignment.group);
      void this.run(replica, assignment, step)
        .catch((error: unknown) => {
          rethrowIfBroken(error);
          this.o.log.warn("a replica move step failed; retrying", { partition: name(replica.ref), step: step.kind, error: String(error) });
        })
        .finally(() => this.busy.delete(assignment.group));
    }
    for (const group of this.lastLogged.keys()) if (!seen.has(group)) this.lastLogged.delete(group);
  }

  private async run(replica: ReplicatedPartition, assignment: PartitionAssignment, step: Exclude<MoveStep, { kind: "wait" }>): Promise<void> {
    const group = replica.group;
    let result: ProposeResult | TransferResult | { ok: boolean };
    if (step.kind === "finish") {
      const { finished } = await this.o.finish({ ...replica.ref, group: assignment.group, target: assignment.target! });
      if (finished) this.o.log.info("replica move finished", { partition: name(replica.ref), replicas: assignment.target!.map((r) => r.node).join(",") });
      return;
    }
    if (step.kind === "addLearner") result = await group.addLearner(step.node);
    else if (step.kind === "promote") result = await group.promoteLearner(step.node);
    else if (step.kind === "remove") result = await group.removeNode(step.node);
    else result = await group.transferLeadership(step.node);
    // A refused change (lost leadership, learner behind, quorum at risk) is decided again next tick.
    if (!result.ok && "error" in result) this.o.log.info("replica move step not taken yet", { partition: name(replica.ref), step: step.kind, node: step.node, why: result.error });
  }

  private note(replica: ReplicatedPartition, group: number, step: MoveStep): void {
    const text = step.kind === "wait" ? `wait: ${step.why.replace(/\(.*\)/, "")}` : step.kind === "finish" ? "finish" : `${step.kind} ${step.node}`;
    if (this.lastLogged.get(group) === text) return;
    this.lastLogged.set(group, text);
    this.o.log.info("replica move", { partition: name(replica.ref), step: text });
  }
}

const name = (ref: PartitionRef) => `${ref.topic}/${ref.partition}`;

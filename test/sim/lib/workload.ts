/**
 * The client: proposes record batches with unique payloads to whichever node it believes leads,
 * a few at a time, and reports each acknowledgement (the entry committed) to the checkers. It
 * learns the leader the way a Kafka client does, by asking a node (here: its inspect() view).
 */
import { buildBatch } from "../../../src/storage/batch-builder.ts";
import { crc } from "../../../src/storage/record-batch.ts";
import type { ProposeResult, RaftGroupApi } from "../../../src/raft/types.ts";
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";

export interface WorkloadOptions {
  /** Mean virtual ms between proposals. */
  proposeEveryMs: number;
  /** Proposals in flight at most. */
  inflightMax: number;
  /** A proposal without an answer after this long is given up (the node may have died). */
  timeoutMs: number;
  /** Records per batch at most (each batch has 1..this). */
  recordsMax: number;
  /** Records carry one of this many keys (so compaction removes some); 0: no keys. */
  keys: number;
}

export interface WorkloadHost {
  readonly nodeIds: readonly number[];
  /** The open group on node `id`, or null while it is down. */
  group(id: number): RaftGroupApi | null;
  acked(index: number, term: number, checksum: number, node: number): void;
  note(line: string): void;
}

export class Workload {
  private nextProposal = 0;
  private inflight = 0;
  private leaderGuess: number | null = null;
  proposed = 0;
  acknowledged = 0;
  refused = 0;
  timedOut = 0;
  stopped = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
    private readonly host: WorkloadHost,
    private readonly opts: WorkloadOptions,
    private readonly tag: string,
  ) {}

  start(): void {
    this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const delayMs = this.opts.proposeEveryMs * (0.2 + 1.6 * this.rng.float());
    this.scheduler.after(delayMs, "client tick", () => {
      this.tick();
      this.scheduleNext();
    });
  }

  private tick(): void {
    if (this.inflight >= this.opts.inflightMax) return;
    const target = this.leaderGuess ?? this.rng.pick(this.host.nodeIds);
    const group = this.host.group(target);
    if (!group) {
      this.leaderGuess = null;
      return;
    }
    const hint = group.inspect();
    if (hint.role !== "leader") {
      this.leaderGuess = hint.leaderId !== null && hint.leaderId !== target ? hint.leaderId : null;
      return;
    }
    this.propose(target, group);
  }

  private propose(target: number, group: RaftGroupApi): void {
    const proposal = this.nextProposal++;
    const batch = this.batch(proposal);
    const checksum = crc(batch);
    this.proposed++;
    this.inflight++;
    this.host.note(`client propose p${proposal} -> n${target} crc=${checksum.toString(16)}`);
    let settled = false;
    const timeout = this.scheduler.after(this.opts.timeoutMs, "client timeout", () => {
      if (settled) return;
      settled = true;
      this.inflight--;
      this.timedOut++;
      this.leaderGuess = null;
      this.host.note(`client p${proposal} timed out`);
    });
    void group.propose(batch).then((result: ProposeResult) => {
      if (settled) return;
      settled = true;
      this.scheduler.cancel(timeout);
      this.inflight--;
      if (result.ok) {
        this.acknowledged++;
        this.leaderGuess = target;
        this.host.note(`client p${proposal} acked index=${result.index} term=${result.term}`);
        this.host.acked(result.index, result.term, checksum, target);
      } else {
        this.refused++;
        this.leaderGuess = null;
        this.host.note(`client p${proposal} refused ${result.error}`);
      }
    });
  }

  private batch(proposal: number): Uint8Array {
    const count = this.rng.int(1, this.opts.recordsMax);
    const records = [];
    const key = (i: number) => (this.opts.keys > 0 ? `k${(proposal + i) % this.opts.keys}` : undefined);
    for (let i = 0; i < count; i++) records.push({ key: key(i), value: `${this.tag}/p${proposal}/r${i}` });
    return buildBatch({ records, baseTimestamp: 0 });
  }
}

/**
 * The simulated network between nodes: every message is delivered after a random delay (so
 * messages reorder), or dropped, or delivered twice; directed links can be cut (partitions,
 * one-way or both ways). A message to a node that is down is lost.
 */
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";

export type NodeId = number;

export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  delayMsMin: number;
  delayMsMax: number;
}

export const calmNetwork: NetworkFaults = { dropProbability: 0, duplicateProbability: 0, delayMsMin: 1, delayMsMax: 1 };

export interface NetworkObserver<M> {
  /** A message left `from` (before any drop). */
  sent?(from: NodeId, to: NodeId, msg: M): void;
  /** A message reached `to`'s handler. */
  delivered?(from: NodeId, to: NodeId, msg: M): void;
}

export class SimNetwork<M> {
  private readonly handlers = new Map<NodeId, (from: NodeId, msg: M) => void>();
  private readonly cut = new Set<string>();
  private readonly observers: NetworkObserver<M>[] = [];
  faults: NetworkFaults;
  sentCount = 0;
  deliveredCount = 0;
  droppedCount = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
    readonly nodes: readonly NodeId[],
    faults: NetworkFaults,
    private readonly describe: (msg: M) => string,
  ) {
    this.faults = { ...faults };
  }

  observe(observer: NetworkObserver<M>): void {
    this.observers.push(observer);
  }

  /** The node is up and takes messages with `handler`. */
  attach(id: NodeId, handler: (from: NodeId, msg: M) => void): void {
    this.handlers.set(id, handler);
  }

  /** The node went down: messages to it are lost until it attaches again. */
  detach(id: NodeId): void {
    this.handlers.delete(id);
  }

  send(from: NodeId, to: NodeId, msg: M): void {
    this.sentCount++;
    for (const o of this.observers) o.sent?.(from, to, msg);
    if (this.isCut(from, to) || this.rng.chance(this.faults.dropProbability)) {
      this.droppedCount++;
      return;
    }
    this.schedule(from, to, msg);
    if (this.rng.chance(this.faults.duplicateProbability)) this.schedule(from, to, msg);
  }

  private schedule(from: NodeId, to: NodeId, msg: M): void {
    const { delayMsMin, delayMsMax } = this.faults;
    const delayMs = delayMsMin + this.rng.float() * (delayMsMax - delayMsMin);
    this.scheduler.after(delayMs, `deliver n${from}->n${to} ${this.describe(msg)}`, () => {
      const handler = this.handlers.get(to);
      if (!handler || this.isCut(from, to)) {
        this.droppedCount++;
        return;
      }
      this.deliveredCount++;
      for (const o of this.observers) o.delivered?.(from, to, msg);
      handler(from, msg);
    });
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(linkKey(from, to));
  }

  setCut(from: NodeId, to: NodeId, isCut: boolean): void {
    if (isCut) this.cut.add(linkKey(from, to));
    else this.cut.delete(linkKey(from, to));
  }

  /** Cuts every link between the two sides, both ways. */
  split(side: readonly NodeId[]): void {
    for (const a of side) for (const b of this.nodes) if (!side.includes(b)) {
      this.setCut(a, b, true);
      this.setCut(b, a, true);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** The links cut now, as "a>b" strings, for the trace. */
  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /** Nodes `id` can exchange messages with both ways right now, itself included. */
  connectedTo(id: NodeId): NodeId[] {
    return this.nodes.filter((n) => n === id || (!this.isCut(id, n) && !this.isCut(n, id)));
  }
}

const linkKey = (from: NodeId, to: NodeId) => `${from}>${to}`;

/**
 * Runs the fault schedule against a cluster: at random times (mean `profile.faultEveryMs`) one
 * action from the seed's weights; partitions and fault windows end after a few election timeouts;
 * crashed nodes come back after a random pause. Every action is traced and counted.
 */
import { noFaults } from "../../../src/io/sim-disk.ts";
import type { Cluster } from "./cluster.ts";
import { diskErrorWindow, pickAction, type FaultAction } from "./faults.ts";
import type { Rng } from "./rng.ts";

export class FaultInjector {
  injected = 0;
  /** Bumped by every partition; a heal scheduled by an older one does nothing. */
  private partitionEpoch = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly rng: Rng,
    private readonly electionTimeoutMs: number,
  ) {}

  start(): void {
    this.scheduleNext();
  }

  /** Faults counted so far: actions plus the disks' own injected errors. */
  total(): number {
    let disk = 0;
    for (const id of this.cluster.ids) disk += this.cluster.simDisk(id).faultsInjected;
    return this.injected + disk;
  }

  private scheduleNext(): void {
    const delayMs = this.cluster.profile.faultEveryMs * (0.2 + 1.6 * this.rng.float());
    this.cluster.scheduler.after(delayMs, "fault tick", () => {
      const action = pickAction(this.rng, this.cluster.profile.weights);
      if (action) this.act(action);
      this.scheduleNext();
    });
  }

  /** Virtual ms a fault window lasts: 1 to 10 election timeouts. */
  private windowMs(): number {
    return this.electionTimeoutMs * (1 + this.rng.float() * 9);
  }

  private act(action: FaultAction): void {
    const c = this.cluster;
    const ids = c.ids;
    switch (action) {
      case "partition": {
        const side = this.rng.shuffled(ids).slice(0, this.rng.int(1, Math.floor(ids.length / 2)));
        this.partition(`split ${side.map((n) => `n${n}`).join(",")} | rest`, () => c.network.split(side));
        return;
      }
      case "oneWay": {
        const [a, b] = this.rng.shuffled(ids);
        this.partition(`one-way n${a}->n${b} cut`, () => c.network.setCut(a, b, true));
        return;
      }
      case "isolateLeader": {
        const leader = c.leader();
        if (leader === null) return;
        this.partition(`isolate leader n${leader}`, () => c.network.split([leader]));
        return;
      }
      case "flap":
        this.flap();
        return;
      case "crash":
        this.crash(this.rng.pick(ids));
        return;
      case "crashLeader": {
        const leader = c.leader();
        if (leader !== null) this.crash(leader);
        return;
      }
      case "diskErrors":
        this.diskErrors(this.rng.pick(ids));
        return;
      case "slowDisk":
        this.slowDisk(this.rng.pick(ids));
        return;
      case "weather":
        this.weather();
        return;
      case "compact":
        this.compact(this.rng.pick(ids));
        return;
      case "transfer":
        this.transfer();
        return;
      case "maintenance":
        this.maintenance(this.rng.pick(ids));
        return;
    }
  }

  private partition(what: string, cut: () => void): void {
    const c = this.cluster;
    const epoch = ++this.partitionEpoch;
    c.network.heal();
    cut();
    this.injected++;
    c.note(`fault partition ${what}`);
    c.scheduler.after(this.windowMs(), "fault heal", () => {
      if (epoch !== this.partitionEpoch) return;
      c.network.heal();
      c.note("fault heal");
    });
  }

  /** A link that goes down and up every few heartbeats for a while. */
  private flap(): void {
    const c = this.cluster;
    const [a, b] = this.rng.shuffled(c.ids);
    const epoch = ++this.partitionEpoch;
    c.network.heal();
    this.injected++;
    c.note(`fault flap n${a}<->n${b}`);
    const toggles = this.rng.int(4, 20);
    for (let i = 0; i < toggles; i++) {
      c.scheduler.after((i + 1) * this.electionTimeoutMs * (0.2 + this.rng.float()), "fault flap", () => {
        if (epoch !== this.partitionEpoch) return;
        const cut = !c.network.isCut(a, b);
        c.network.setCut(a, b, cut);
        c.network.setCut(b, a, cut);
      });
    }
  }

  /** Crashes `id` unless that would leave less than a majority up; it restarts after a pause. */
  crash(id: number): void {
    const c = this.cluster;
    const majority = Math.floor(c.ids.length / 2) + 1;
    if (c.upIds().length - 1 < majority && !this.rng.chance(c.profile.crashBelowMajorityProbability)) return;
    if (!c.upIds().includes(id)) return;
    this.injected++;
    c.crash(id);
    c.scheduler.after(this.rng.float() * 3 * this.electionTimeoutMs, `restart n${id}`, () => c.startNode(id));
  }

  /** Called when `voter` sends a vote grant: maybe crash it before anything else happens. */
  afterVoteGrant(voter: number): void {
    const c = this.cluster;
    if (!this.rng.chance(c.profile.crashAfterVoteProbability)) return;
    c.scheduler.after(0, `fault crash-after-vote n${voter}`, () => this.crash(voter));
  }

  /** Called when `leader` was seen to become leader: maybe crash it within two heartbeats. */
  afterElected(leader: number, heartbeatIntervalMs: number): void {
    const c = this.cluster;
    if (!this.rng.chance(c.profile.crashNewLeaderProbability)) return;
    c.scheduler.after(this.rng.float() * 2 * heartbeatIntervalMs, `fault crash-new-leader n${leader}`, () => this.crash(leader));
  }

  private diskErrors(id: number): void {
    const c = this.cluster;
    const disk = c.simDisk(id);
    disk.faults = { ...noFaults, ...diskErrorWindow };
    this.injected++;
    c.note(`fault disk-errors n${id}`);
    c.scheduler.after(this.windowMs(), "fault disk-errors end", () => {
      disk.faults = { ...noFaults };
    });
  }

  private slowDisk(id: number): void {
    const c = this.cluster;
    const slow = { writeMs: this.rng.pick([1, 5]), syncMs: this.rng.pick([5, 20, 50]) };
    c.setLatency(id, slow);
    this.injected++;
    c.note(`fault slow-disk n${id} write=${slow.writeMs}ms sync=${slow.syncMs}ms`);
    c.scheduler.after(this.windowMs(), "fault slow-disk end", () => c.setLatency(id, { ...c.profile.diskLatency }));
  }

  /** Prefix truncation on `id` at a batch start at or below its commit index + 1 (followers behind it then need InstallSnapshot). */
  private compact(id: number): void {
    const c = this.cluster;
    const group = c.group(id);
    if (!group) return;
    const info = group.inspect();
    const entries = c.storedEntries(id).filter((e) => e.index <= info.commitIndex);
    if (entries.length === 0) return;
    const offset = this.rng.pick(entries).index + 1;
    if (offset <= info.logStartOffset) return;
    this.injected++;
    c.note(`fault compact n${id} log start -> ${offset}`);
    void group.truncatePrefix(offset).catch(() => {}); // a failure stops the group and reaches onFailure
  }

  private transfer(): void {
    const c = this.cluster;
    const leader = c.leader();
    if (leader === null) return;
    const to = this.rng.pick(c.ids.filter((id) => id !== leader));
    this.injected++;
    c.note(`fault transfer leadership n${leader} -> n${to}`);
    void c.group(leader)?.transferLeadership(to);
  }

  /** One node at a time in maintenance mode for a window: it votes but does not campaign. */
  private maintenance(id: number): void {
    const c = this.cluster;
    if (c.ids.some((n) => !c.mayLead(n))) return;
    this.injected++;
    c.setMayLead(id, false);
    c.note(`fault maintenance n${id} on`);
    c.scheduler.after(this.windowMs(), "maintenance off", () => {
      c.setMayLead(id, true);
      c.note(`fault maintenance n${id} off`);
    });
  }

  private weather(): void {
    const c = this.cluster;
    const base = c.profile.network;
    c.network.faults = { ...base, dropProbability: this.rng.pick([0.2, 0.5]), duplicateProbability: this.rng.pick([0.05, 0.2]), delayMsMax: base.delayMsMax * this.rng.pick([1, 4]) };
    this.injected++;
    c.note(`fault weather drop=${c.network.faults.dropProbability} dup=${c.network.faults.duplicateProbability}`);
    c.scheduler.after(this.windowMs(), "fault weather end", () => {
      c.network.faults = { ...base };
    });
  }
}

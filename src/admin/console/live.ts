/**
 * The console's live feed: while at least one page listens, samples every shard once a second
 * (stats and partitions, over the supervisor's control messages) and the consumer groups'
 * committed offsets (over the Kafka API), turns counters into rates, keeps a bounded history
 * for the charts and hands each tick to the listeners. Nobody listening: no sampling.
 */
import { logger } from "../../base/log.ts";
import type { CommittedOffset, ListedGroup } from "../../client/groups.ts";
import type { PartitionDetails } from "../../shard/control.ts";
import type { ShardStatsSnapshot } from "../../shard/stats.ts";
import { partitionRates, Ring, shardRates, type RatePoint, type Sample } from "./rates.ts";

export const SAMPLE_INTERVAL_MS = 1000;
/** Points kept per chart: five minutes at one a second. */
const HISTORY_POINTS = 300;
/** Partitions listed per shard in a tick; the rest are counted, not listed. */
const PARTITIONS_LISTED_PER_SHARD_MAX = 1000;
/** Groups whose lag is sampled each tick (the first ones by name). */
const GROUPS_SAMPLED_MAX = 20;
export const LISTENERS_MAX = 32;

const log = logger("console");

export interface LiveSource {
  shardStats(): Promise<ShardStatsSnapshot[]>;
  partitions(): Promise<PartitionDetails[]>;
  listGroups(): Promise<ListedGroup[]>;
  committedOffsets(group: string): Promise<CommittedOffset[]>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  highWatermark: number;
  lag: number;
}

export interface GroupLag {
  group: string;
  state: string;
  lag: number;
  partitions: PartitionLag[];
}

/** A group's total and per-partition (`topic/partition`) lag at one moment. */
export interface LagPoint {
  atMs: number;
  lag: number;
  partitions: Record<string, number>;
}

export interface LiveTick {
  atMs: number;
  shards: Array<ReturnType<typeof shardView>>;
  /** Null on the first sample after a pause: no earlier one to take rates against. */
  rates: RatePoint | null;
  groups: GroupLag[];
  groupsNotSampled: number;
  groupsError: string | null;
}

export interface LiveHistory {
  rates: RatePoint[];
  lag: Record<string, LagPoint[]>;
}

type Listener = (tick: LiveTick) => void;

export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private readonly rates = new Ring<RatePoint>(HISTORY_POINTS);
  private readonly lag = new Map<string, Ring<LagPoint>>();
  private previous: Sample | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly source: LiveSource,
    private readonly nowMs: () => number = Date.now,
  ) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Adds a listener (false when LISTENERS_MAX already listen); sampling starts with the first. */
  listen(listener: Listener): boolean {
    if (this.listeners.size >= LISTENERS_MAX) return false;
    this.listeners.add(listener);
    if (this.timer === null) {
      this.timer = setInterval(() => void this.tick(), SAMPLE_INTERVAL_MS);
      void this.tick();
    }
    return true;
  }

  unlisten(listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size > 0 || this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    this.previous = null; // rates after a pause start afresh rather than averaging over it
  }

  /** Stops sampling and forgets the listeners (the broker is stopping). */
  close(): void {
    this.listeners.clear();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  history(): LiveHistory {
    return { rates: this.rates.toArray(), lag: Object.fromEntries([...this.lag].map(([group, ring]) => [group, ring.toArray()])) };
  }

  /** Takes one sample and sends it to every listener; while one runs, callers share it (ticks never overlap). */
  tick(): Promise<void> {
    this.inFlight ??= this.sampleAndSend().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async sampleAndSend(): Promise<void> {
    try {
      const tick = await this.sample();
      for (const listener of this.listeners) listener(tick);
    } catch (error) {
      log.warn("console sample failed", { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async sample(): Promise<LiveTick> {
    const [shards, partitions] = await Promise.all([this.source.shardStats(), this.source.partitions()]);
    const sample: Sample = { atMs: this.nowMs(), shards, partitions };
    const rates = shardRates(this.previous, sample);
    const perPartition = partitionRates(this.previous, sample);
    const comparable = this.previous !== null;
    if (comparable) this.rates.push(rates);
    this.previous = sample;
    const groups = await this.sampleGroups(partitions, sample.atMs);
    return {
      atMs: sample.atMs,
      shards: shards.map((s) => shardView(s, rates, partitions, perPartition)),
      rates: comparable ? rates : null,
      ...groups,
    };
  }

  private async sampleGroups(partitions: PartitionDetails[], atMs: number): Promise<Pick<LiveTick, "groups" | "groupsNotSampled" | "groupsError">> {
    try {
      const listed = await this.source.listGroups();
      const sampled = listed.slice(0, GROUPS_SAMPLED_MAX);
      const highWatermarks = new Map(partitions.map((p) => [`${p.topic}/${p.partition}`, p.highWatermark]));
      const groups = await Promise.all(sampled.map(async (g) => groupLag(g, await this.source.committedOffsets(g.group), highWatermarks)));
      for (const g of groups) this.remember(g, atMs);
      return { groups, groupsNotSampled: listed.length - sampled.length, groupsError: null };
    } catch (error) {
      return { groups: [], groupsNotSampled: 0, groupsError: error instanceof Error ? error.message : String(error) };
    }
  }

  private remember(group: GroupLag, atMs: number): void {
    let ring = this.lag.get(group.group);
    if (ring === undefined) {
      // Bounded like the sampled groups: a new group beyond the bound replaces the oldest remembered.
      if (this.lag.size >= GROUPS_SAMPLED_MAX) this.lag.delete(this.lag.keys().next().value!);
      this.lag.set(group.group, (ring = new Ring<LagPoint>(HISTORY_POINTS)));
    }
    ring.push({ atMs, lag: group.lag, partitions: Object.fromEntries(group.partitions.map((p) => [`${p.topic}/${p.partition}`, p.lag])) });
  }
}

/** Lag = high watermark − committed offset, for every partition the group committed on. */
export function groupLag(group: ListedGroup, committed: CommittedOffset[], highWatermarks: Map<string, number>): GroupLag {
  const partitions = committed.map((c) => {
    const highWatermark = highWatermarks.get(`${c.topic}/${c.partition}`) ?? 0;
    const lag = c.offset < 0 ? highWatermark : Math.max(0, highWatermark - c.offset);
    return { topic: c.topic, partition: c.partition, committed: c.offset, highWatermark, lag };
  });
  return { group: group.group, state: group.state, lag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}

function shardView(s: ShardStatsSnapshot, rates: RatePoint, partitions: PartitionDetails[], perPartition: Map<string, number>) {
  const rate = rates.shards.find((r) => r.shard === s.shardId);
  const owned = partitions.filter((p) => p.shard === s.shardId);
  return {
    shard: s.shardId,
    coreRequested: s.coreRequested,
    coreActual: s.coreActual,
    pinned: s.pinned,
    backend: s.backend,
    connections: s.connections,
    sizeBytes: s.sizeBytes,
    requests: s.requests,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    crossShardQueueDepth: s.crossShardQueueDepth,
    requestsPerSec: rate?.requestsPerSec ?? 0,
    bytesInPerSec: rate?.bytesInPerSec ?? 0,
    bytesOutPerSec: rate?.bytesOutPerSec ?? 0,
    partitionCount: owned.length,
    partitions: owned.slice(0, PARTITIONS_LISTED_PER_SHARD_MAX).map((p) => ({
      topic: p.topic,
      partition: p.partition,
      highWatermark: p.highWatermark,
      sizeBytes: p.sizeBytes,
      recordsPerSec: perPartition.get(`${p.topic}/${p.partition}`) ?? 0,
    })),
  };
}

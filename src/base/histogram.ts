/** A fixed-bucket latency histogram, cheap to record into and to merge across shards. */
export const LATENCY_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export interface HistogramSnapshot {
  /** Count per bucket (not cumulative); the last entry counts values above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram {
  private readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  private sum = 0;
  private count = 0;

  record(valueMs: number): void {
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_MS.length && valueMs > LATENCY_BUCKETS_MS[bucket]) bucket++;
    this.counts[bucket]++;
    this.sum += valueMs;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

export function mergeHistograms(snapshots: HistogramSnapshot[]): HistogramSnapshot {
  const merged: HistogramSnapshot = { counts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), sum: 0, count: 0 };
  for (const s of snapshots) {
    s.counts.forEach((c, i) => (merged.counts[i] += c));
    merged.sum += s.sum;
    merged.count += s.count;
  }
  return merged;
}

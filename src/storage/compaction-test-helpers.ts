/** Helpers for compaction tests: keyed batches, and the log read back as records. */
import { buildBatch, type BuildRecord } from "./batch-builder.ts";
import type { PartitionLog } from "./partition-log.ts";
import * as rb from "./record-batch.ts";
import { forEachRecord } from "./records.ts";

const decoder = new TextDecoder();

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
}

/** One batch of `[key, value]` records (value null: a tombstone). */
export function keyedBatch(pairs: Array<[string | null, string | null]>, opts: { baseTimestamp?: number; compression?: 0 | 1; producerId?: number; baseSequence?: number } = {}): Uint8Array {
  const records: BuildRecord[] = pairs.map(([key, value], i) => ({ key, value, timestampDelta: i }));
  return buildBatch({ records, baseTimestamp: opts.baseTimestamp ?? 1000, compression: opts.compression, producerId: opts.producerId, producerEpoch: opts.producerId === undefined ? -1 : 0, baseSequence: opts.baseSequence });
}

/** Every batch and record from the log start to the high watermark, checking each batch as recovery does. */
export async function readLog(log: PartitionLog, from = log.logStartOffset): Promise<{ records: ReadRecord[]; batches: Uint8Array[] }> {
  const records: ReadRecord[] = [];
  const batches: Uint8Array[] = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20);
    if (!r.ok) throw new Error(`read ${offset}: out of range`);
    if (r.bytes.length === 0) throw new Error(`read ${offset}: nothing below the high watermark ${log.highWatermark}`);
    rb.scanBatches(r.bytes, 0, (at, size) => {
      const problem = rb.checkBatch(r.bytes, at, r.bytes.length, 1 << 30, true);
      if (problem !== null) throw new Error(`batch at ${rb.baseOffset(r.bytes, at)}: ${problem}`);
      batches.push(r.bytes.slice(at, at + size));
      forEachRecord(r.bytes, at, (rec) => {
        if (rec.offset >= offset) records.push({ offset: rec.offset, key: text(rec.key), value: text(rec.value) });
      });
      offset = rb.lastOffset(r.bytes, at) + 1;
    });
  }
  return { records, batches };
}

const text = (b: Uint8Array | null) => (b === null ? null : decoder.decode(b));

/** The latest value of each key, in key order (tombstones as null). */
export function latestByKey(records: ReadRecord[]): Map<string, string | null> {
  const latest = new Map<string, string | null>();
  for (const r of records) if (r.key !== null) latest.set(r.key, r.value);
  return new Map([...latest].sort(([a], [b]) => (a < b ? -1 : 1)));
}

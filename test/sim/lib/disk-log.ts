/**
 * Reads a node's Raft log straight from its SimDisk, as the checkers see it: every whole batch
 * in the segment files, in order, from the log start on. It bypasses the node's I/O path (no
 * latency, no ordering behind the node's own pending operations), so a checker never waits on
 * the code under test. Entries are (last offset, partitionLeaderEpoch, CRC). A compaction swap
 * under way is read as the log's open would finish it: a committed `.log.swap` replaces the
 * segments whose base lies inside its offsets.
 */
import type { SimDisk } from "../../../src/io/sim-disk.ts";
import { decodeLogStart, LOG_START_FILE } from "../../../src/raft/snapshot.ts";
import * as rb from "../../../src/storage/record-batch.ts";
import type { EntryView } from "./log-mirror.ts";

const SEGMENT_NAME = /^(\d{20})\.log(\.swap)?$/;

/** One stored batch as the disk holds it. */
export interface StoredBatch extends EntryView {
  base: number;
  bytes: Uint8Array;
}

/**
 * Where a group's log starts as its open would find it: at least where the group says, and at the
 * durable start record when that is ahead (it is written before the segments below it are deleted
 * and before the group's own view moves, so a log read in between starts there).
 */
export function diskLogStart(disk: SimDisk, groupDir: string, groupStart: number): number {
  const bytes = disk.peek(`${groupDir}/${LOG_START_FILE}`);
  const record = bytes ? decodeLogStart(bytes) : null;
  return Math.max(groupStart, record?.startOffset ?? 0);
}

export function readDiskLog(disk: SimDisk, logDir: string, logStartOffset: number): EntryView[] {
  return readDiskBatches(disk, logDir, logStartOffset).map(({ index, term, checksum }) => ({ index, term, checksum }));
}

export function readDiskBatches(disk: SimDisk, logDir: string, logStartOffset: number): StoredBatch[] {
  const files: Array<{ base: number; batches: StoredBatch[]; swap: boolean }> = [];
  for (const name of disk.peekList(logDir)) {
    const m = SEGMENT_NAME.exec(name);
    const bytes = m ? disk.peek(`${logDir}/${name}`) : null;
    if (m && bytes) files.push({ base: Number(m[1]), batches: scanSegment(bytes), swap: m[2] !== undefined });
  }
  const swaps = files.filter((f) => f.swap);
  const superseded = (f: { base: number; swap: boolean }) =>
    !f.swap && swaps.some((s) => f.base >= s.base && f.base <= (s.batches[s.batches.length - 1]?.index ?? s.base));
  const out: StoredBatch[] = [];
  for (const file of files.filter((f) => !superseded(f)).sort((a, b) => a.base - b.base)) {
    for (const batch of file.batches) {
      const last = out.length > 0 ? out[out.length - 1]!.index : -1;
      if (batch.base >= logStartOffset && batch.index > last) out.push(batch);
    }
  }
  return out;
}

function scanSegment(bytes: Uint8Array): StoredBatch[] {
  const out: StoredBatch[] = [];
  let at = 0;
  while (bytes.length - at >= rb.BATCH_HEADER_BYTES) {
    const length = rb.batchLength(bytes, at);
    if (length < rb.BATCH_LENGTH_MIN || at + length + rb.LOG_OVERHEAD_BYTES > bytes.length) break; // zero padding or a torn tail
    const size = length + rb.LOG_OVERHEAD_BYTES;
    out.push({ base: rb.baseOffset(bytes, at), index: rb.lastOffset(bytes, at), term: rb.partitionLeaderEpoch(bytes, at), checksum: rb.crc(bytes, at), bytes: bytes.subarray(at, at + size) });
    at += size;
  }
  return out;
}

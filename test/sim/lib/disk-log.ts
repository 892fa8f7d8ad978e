/**
 * Reads a node's Raft log straight from its SimDisk, as the checkers see it: every whole batch
 * in the segment files, in order, from the log start on. It bypasses the node's I/O path (no
 * latency, no ordering behind the node's own pending operations), so a checker never waits on
 * the code under test. Entries are (last offset, partitionLeaderEpoch, CRC).
 */
import type { SimDisk } from "../../../src/io/sim-disk.ts";
import * as rb from "../../../src/storage/record-batch.ts";
import type { EntryView } from "./log-mirror.ts";

const SEGMENT_NAME = /^(\d{20})\.log$/;

export function readDiskLog(disk: SimDisk, logDir: string, logStartOffset: number): EntryView[] {
  const names = disk.peekList(logDir).filter((n) => SEGMENT_NAME.test(n)).sort();
  const out: EntryView[] = [];
  for (const name of names) {
    const bytes = disk.peek(`${logDir}/${name}`);
    if (bytes) scanSegment(bytes, logStartOffset, out);
  }
  return out;
}

function scanSegment(bytes: Uint8Array, logStartOffset: number, out: EntryView[]): void {
  let at = 0;
  while (bytes.length - at >= rb.BATCH_HEADER_BYTES) {
    const length = rb.batchLength(bytes, at);
    if (length < rb.BATCH_LENGTH_MIN || at + length + rb.LOG_OVERHEAD_BYTES > bytes.length) return; // zero padding or a torn tail
    const index = rb.lastOffset(bytes, at);
    const last = out.length > 0 ? out[out.length - 1].index : -1;
    if (rb.baseOffset(bytes, at) >= logStartOffset && index > last) out.push({ index, term: rb.partitionLeaderEpoch(bytes, at), checksum: rb.crc(bytes, at) });
    at += length + rb.LOG_OVERHEAD_BYTES;
  }
}

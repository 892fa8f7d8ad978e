/**
 * Reads a partition's batches straight from a replica's segment files, independently of
 * src/storage: every `*.log` file under the partition's directory (a replicated partition may
 * keep its log in a subfolder), ordered by the base offset its name starts with, parsed as magic-v2
 * batch headers back to back. A zero length is the clean end of a file (zero padding the disk
 * backends may leave). Used after a clean stop to compare replicas byte-for-byte by offsets and CRC.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DiskBatch } from "./history.ts";

const BATCH_HEADER_BYTES = 61;
const LOG_OVERHEAD_BYTES = 12; // baseOffset int64 + batchLength int32

function segmentFiles(dir: string): Array<{ path: string; base: bigint }> {
  const out: Array<{ path: string; base: bigint }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...segmentFiles(path));
    else {
      const match = /^(\d+)[^/]*\.log$/.exec(name);
      if (match !== null) out.push({ path, base: BigInt(match[1]!) });
    }
  }
  return out.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
}

export function partitionDir(dataDir: string, topic: string, partition: number): string {
  return join(dataDir, "kafka", topic, String(partition));
}

/** The batches of one partition on one node's disk, or null if that node has no directory for it. */
export function readDiskBatches(dataDir: string, topic: string, partition: number): DiskBatch[] | null {
  const dir = partitionDir(dataDir, topic, partition);
  if (!existsSync(dir)) return null;
  const batches: DiskBatch[] = [];
  for (const { path } of segmentFiles(dir)) {
    const bytes = readFileSync(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + BATCH_HEADER_BYTES <= bytes.length) {
      const batchLength = view.getInt32(at + 8);
      if (batchLength === 0) break;
      if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES || at + LOG_OVERHEAD_BYTES + batchLength > bytes.length) {
        throw new Error(`${path}: batch at byte ${at} has length ${batchLength}, file has ${bytes.length} bytes`);
      }
      const magic = view.getInt8(at + 16);
      if (magic !== 2) throw new Error(`${path}: batch at byte ${at} has magic ${magic}`);
      const baseOffset = Number(view.getBigInt64(at));
      batches.push({ baseOffset, lastOffset: baseOffset + view.getInt32(at + 23), crc: view.getUint32(at + 17) });
      at += LOG_OVERHEAD_BYTES + batchLength;
    }
  }
  return batches;
}

/**
 * Replacing segments with their compacted rewrite, atomically, as Kafka's log cleaner does:
 *
 * 1. the rewrite goes to `<base>.log.cleaned` with `<base>.index.cleaned`,
 *    `<base>.timeindex.cleaned` and `<base>.txnindex.cleaned` beside it, each fdatasync'ed;
 * 2. `<base>.log.cleaned` is renamed to `<base>.log.swap` and the directory synced: the commit point;
 * 3. the other segments the rewrite covers are deleted, `<base>`'s old index files removed, and
 *    `<base>.log.swap` renamed over `<base>.log`;
 * 4. the new index files are renamed into place.
 *
 * At open, `finishSwaps` ends what a crash interrupted: a `.swap` is committed, so the covered
 * segments go and it takes its name; every `.cleaned` file is an unfinished rewrite and is removed.
 * A segment left without index files is rescanned by the normal open (and one without its
 * `.txnindex` gets it rebuilt from the whole log, see producer-snapshot.ts).
 */
import type { Disk } from "../io/disk.ts";
import { limits } from "../base/limits.ts";
import * as rb from "./record-batch.ts";
import { segmentFileStem } from "./segment.ts";

const SWAP_RE = /^(\d{20})\.log\.swap$/;
const LOG_RE = /^(\d{20})\.log$/;

export const cleanedPaths = (dir: string, baseOffset: number) => {
  const stem = `${dir}/${segmentFileStem(baseOffset)}`;
  return { log: `${stem}.log.cleaned`, index: `${stem}.index.cleaned`, timeIndex: `${stem}.timeindex.cleaned`, txnIndex: `${stem}.txnindex.cleaned`, swap: `${stem}.log.swap` };
};

const segmentPaths = (dir: string, baseOffset: number) => {
  const stem = `${dir}/${segmentFileStem(baseOffset)}`;
  return { log: `${stem}.log`, index: `${stem}.index`, timeIndex: `${stem}.timeindex`, txnIndex: `${stem}.txnindex` };
};

/** Steps 2–4 for a rewrite of the segments `bases` (rising) into one segment named by the first. */
export async function commitSwap(disk: Disk, dir: string, bases: number[], step: () => void = () => {}): Promise<void> {
  const cleaned = cleanedPaths(dir, bases[0]!);
  await disk.rename(cleaned.log, cleaned.swap);
  await disk.syncDir(dir);
  step();
  for (const base of bases.slice(1)) await removeSegmentFiles(disk, dir, base);
  await installSwap(disk, dir, bases[0]!);
  step();
  const final = segmentPaths(dir, bases[0]!);
  await disk.rename(cleaned.index, final.index);
  await disk.rename(cleaned.timeIndex, final.timeIndex);
  await disk.rename(cleaned.txnIndex, final.txnIndex);
  await disk.syncDir(dir);
}

/** Drops an unfinished rewrite (before its commit point). */
export async function discardCleaned(disk: Disk, dir: string, baseOffset: number): Promise<void> {
  const cleaned = cleanedPaths(dir, baseOffset);
  for (const path of [cleaned.log, cleaned.index, cleaned.timeIndex, cleaned.txnIndex]) await disk.remove(path);
}

async function installSwap(disk: Disk, dir: string, base: number): Promise<void> {
  const final = segmentPaths(dir, base);
  await disk.remove(final.index);
  await disk.remove(final.timeIndex);
  await disk.remove(final.txnIndex);
  await disk.rename(cleanedPaths(dir, base).swap, final.log);
  await disk.syncDir(dir);
}

async function removeSegmentFiles(disk: Disk, dir: string, base: number): Promise<void> {
  const paths = segmentPaths(dir, base);
  await disk.remove(paths.log);
  await disk.remove(paths.index);
  await disk.remove(paths.timeIndex);
  await disk.remove(paths.txnIndex);
}

/** At open, before segments are listed: finishes committed swaps, removes unfinished rewrites. Returns what it did. */
export async function finishSwaps(disk: Disk, dir: string): Promise<string[]> {
  const done: string[] = [];
  const names = await disk.list(dir);
  for (const name of names) {
    const m = SWAP_RE.exec(name);
    if (!m) continue;
    const base = Number(m[1]);
    const lastOffset = await lastOffsetOf(disk, `${dir}/${name}`);
    for (const other of names) {
      const o = LOG_RE.exec(other);
      if (o && Number(o[1]) > base && Number(o[1]) <= lastOffset) await removeSegmentFiles(disk, dir, Number(o[1]));
    }
    await installSwap(disk, dir, base);
    done.push(`finished the compaction swap of segment ${base}`);
  }
  for (const name of await disk.list(dir)) {
    if (!name.endsWith(".cleaned")) continue;
    await disk.remove(`${dir}/${name}`);
    done.push(`removed the unfinished compaction file ${name}`);
  }
  return done;
}

/** Offset of the last record a (whole, synced) swap file covers; -1 when empty. */
async function lastOffsetOf(disk: Disk, path: string): Promise<number> {
  const file = await disk.open(path, { create: false });
  try {
    const size = await file.size();
    let position = 0;
    let last = -1;
    let chunkBytes = limits.recoveryReadChunkBytes;
    while (position < size) {
      const buf = await file.read(position, Math.min(chunkBytes, size - position));
      const end = rb.scanBatches(buf, 0, (at) => void (last = rb.lastOffset(buf, at)));
      if (end === 0) {
        if (buf.length < rb.LOG_OVERHEAD_BYTES || rb.batchLength(buf, 0) < rb.BATCH_LENGTH_MIN) break;
        chunkBytes = Math.max(chunkBytes * 2, rb.batchSizeBytes(buf, 0));
      }
      position += end;
    }
    return last;
  } finally {
    await file.close();
  }
}

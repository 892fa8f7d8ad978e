/**
 * Producer state across a clean close, so reopening a large log does not rescan all of it:
 * `<partition dir>/producer_state.snapshot` = [u32 length][u32 crc32c][JSON], written when the
 * log closes, holding the state as of the log end offset. At open a valid snapshot is loaded
 * and only the batches after its offset are scanned; it is removed once loaded, so a crash
 * later falls back to a full scan instead of trusting state the log may no longer match.
 *
 * Version 2 (`version: 2` in the JSON) adds per producer its coordinator epoch, last timestamp
 * and open transaction's first offset; a version-1 snapshot (no `version`) loads with none
 * (skua wrote no transactional batches then). The full scan also rebuilds the segments'
 * aborted-transaction indexes, so a snapshot is used only when every segment read its
 * `.txnindex` (the active one's is written at the same clean close, before the snapshot).
 */
import { crc32c } from "../base/crc32c.ts";
import type { Disk } from "../io/disk.ts";
import type { PartitionLog } from "./partition-log.ts";
import { ProducerState, type ProducerSnapshotEntry } from "./producer-state.ts";
import type { AbortedTxn } from "./txn-index.ts";

const SNAPSHOT_FILE = "producer_state.snapshot";
const HEADER_BYTES = 8;
const SNAPSHOT_VERSION = 2;

interface SnapshotBody {
  /** Absent in version 1. */
  version?: number;
  endOffset: number;
  producers: ProducerSnapshotEntry[];
}

export function encodeSnapshot(state: ProducerState, endOffset: number): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify({ version: SNAPSHOT_VERSION, endOffset, producers: state.snapshot() } satisfies SnapshotBody));
  const bytes = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, body.length);
  view.setUint32(4, crc32c(body));
  bytes.set(body, HEADER_BYTES);
  return bytes;
}

/** The snapshot's state and offset, or null when the bytes are torn, corrupt or not ours. */
export function decodeSnapshot(bytes: Uint8Array): { state: ProducerState; endOffset: number } | null {
  if (bytes.length < HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0);
  if (HEADER_BYTES + length !== bytes.length) return null;
  const body = bytes.subarray(HEADER_BYTES);
  if (crc32c(body) !== view.getUint32(4)) return null;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as SnapshotBody;
    if (!Number.isSafeInteger(parsed.endOffset) || !Array.isArray(parsed.producers)) return null;
    if (parsed.version !== undefined && parsed.version !== SNAPSHOT_VERSION) return null;
    return { state: ProducerState.fromSnapshot(parsed.producers), endOffset: parsed.endOffset };
  } catch {
    return null;
  }
}

/**
 * The state of an opened log: from its snapshot plus the batches after it, else from every batch.
 * The abort markers the scan meets become the aborted-transaction index of their segments.
 * `markersVisible: false` (a Raft replica, whose log end may not be committed): the transactions
 * the scanned markers ended hold the LSO until the high watermark passes them, and a cut of one
 * of those markers reopens its transaction.
 */
export async function loadProducerState(disk: Disk, log: PartitionLog, options: { markersVisible?: boolean } = {}): Promise<ProducerState> {
  const path = `${log.dir}/${SNAPSHOT_FILE}`;
  const snapshot = (await disk.exists(path)) ? decodeSnapshot(await readWhole(disk, path)) : null;
  if (snapshot) await disk.remove(path);
  // A log cut shorter than the snapshot (recovery) or trimmed past it (retention) does not match it.
  const usable = snapshot !== null && snapshot.endOffset <= log.logEndOffset && snapshot.endOffset >= log.logStartOffset && log.txnIndexesLoaded;
  const state = usable ? snapshot.state : new ProducerState();
  const fromOffset = usable ? snapshot.endOffset : 0;
  const aborted: AbortedTxn[] = [];
  const replayOptions = { visible: options.markersVisible ?? true };
  await log.scanBatchHeaders((bytes, at) => {
    const ended = state.replay(bytes, at, replayOptions);
    if (ended?.aborted) aborted.push({ producerId: ended.producerId, firstOffset: ended.firstOffset, lastOffset: ended.lastOffset, lastStableOffset: ended.lastStableOffset });
  }, fromOffset);
  await log.restoreAbortedTxns(aborted, fromOffset);
  return state;
}

/**
 * Writes the snapshot of a log that has just closed cleanly: `state` as of `endOffset` (the log's
 * end unless the state has not seen its last batches; the next open scans from there).
 */
export async function saveProducerState(disk: Disk, log: PartitionLog, state: ProducerState, endOffset = log.logEndOffset): Promise<void> {
  const file = await disk.open(`${log.dir}/${SNAPSHOT_FILE}`, { create: true });
  try {
    await file.truncate(0);
    await file.write(0, encodeSnapshot(state, endOffset));
    await file.datasync();
  } finally {
    await file.close();
  }
}

async function readWhole(disk: Disk, path: string): Promise<Uint8Array> {
  const file = await disk.open(path, { create: false });
  try {
    return await file.read(0, await file.size());
  } finally {
    await file.close();
  }
}

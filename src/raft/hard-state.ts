/**
 * The durable (term, votedFor) record, file `raft-state`: two 32-byte slots, each
 * [i64 sequence][i32 term][i32 votedFor][u32 crc32c of the 16 bytes before], the newest valid slot
 * wins. A save writes the older slot and fdatasyncs, so a torn write loses only the save in flight
 * (which nothing acted on yet) and never the one before it. The file is open only while it is
 * read or saved (saves are rare: a new term or a vote), so an idle group holds no descriptor for it:
 * a node of 10,000 groups needs one per group (the active segment), not two.
 */
import { assert } from "../base/assert.ts";
import { getInt64, setInt64 } from "../base/bytes.ts";
import { crc32c } from "../base/crc32c.ts";
import type { Disk } from "../io/disk.ts";
import { NO_VOTE, type HardState } from "./types.ts";

const FILE_NAME = "raft-state";
const SLOT_BYTES = 32;
const BODY_BYTES = 16;

export class HardStateFile {
  private constructor(
    private readonly disk: Disk,
    private readonly path: string,
    private sequence: number,
    private state: HardState,
  ) {}

  static async open(disk: Disk, dir: string): Promise<HardStateFile> {
    await disk.mkdirp(dir);
    const path = `${dir}/${FILE_NAME}`;
    const file = await disk.open(path, { create: true });
    let best: { sequence: number; state: HardState } = { sequence: 0, state: { term: 0, votedFor: NO_VOTE } };
    try {
      const bytes = await file.read(0, 2 * SLOT_BYTES);
      for (let slot = 0; slot < 2; slot++) {
        const decoded = decodeSlot(bytes, slot * SLOT_BYTES);
        if (decoded !== null && decoded.sequence > best.sequence) best = decoded;
      }
      // A crashed process may have left its last save in the page cache only: sync before acting on it.
      await file.datasync();
    } finally {
      await file.close();
    }
    return new HardStateFile(disk, path, best.sequence, best.state);
  }

  /** Reads the durable record without keeping the file open (for checkers). */
  static async read(disk: Disk, dir: string): Promise<HardState> {
    const store = await HardStateFile.open(disk, dir);
    const state = store.current;
    await store.close();
    return state;
  }

  get current(): HardState {
    return { ...this.state };
  }

  /** Writes and fdatasyncs; the term never goes backwards and a vote never changes within a term. */
  async save(state: HardState): Promise<void> {
    const old = this.state;
    assert(state.term > old.term || (state.term === old.term && (old.votedFor === NO_VOTE || old.votedFor === state.votedFor)), `hard state ${JSON.stringify(old)} -> ${JSON.stringify(state)}`);
    const sequence = this.sequence + 1;
    const slot = new Uint8Array(SLOT_BYTES);
    const view = new DataView(slot.buffer);
    setInt64(view, 0, sequence);
    view.setInt32(8, state.term);
    view.setInt32(12, state.votedFor);
    view.setUint32(BODY_BYTES, crc32c(slot.subarray(0, BODY_BYTES)));
    const file = await this.disk.open(this.path, { create: true });
    try {
      await file.write((sequence % 2) * SLOT_BYTES, slot);
      await file.datasync();
    } finally {
      await file.close();
    }
    this.sequence = sequence;
    this.state = { ...state };
  }

  /** Nothing stays open between saves. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function decodeSlot(bytes: Uint8Array, at: number): { sequence: number; state: HardState } | null {
  if (bytes.length < at + SLOT_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, SLOT_BYTES);
  if (crc32c(bytes.subarray(at, at + BODY_BYTES)) !== view.getUint32(BODY_BYTES)) return null;
  const sequence = getInt64(view, 0);
  if (sequence <= 0) return null;
  return { sequence, state: { term: view.getInt32(8), votedFor: view.getInt32(12) } };
}

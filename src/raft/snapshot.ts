/**
 * The durable log-start record, file `raft-snapshot`: since the state machine is the log itself, a
 * snapshot is the offset the log starts at, the term of the entry before it and the configuration
 * in force there. [i64 startOffset][i32 prevTerm][u32 voters][i32...][u32 learners][i32...][u32 crc32c],
 * replaced atomically (temp file, fdatasync, rename, directory sync).
 */
import { assert } from "../base/assert.ts";
import { getInt64, setInt64 } from "../base/bytes.ts";
import { crc32c } from "../base/crc32c.ts";
import { replaceFileAtomically } from "../io/atomic-file.ts";
import type { Disk } from "../io/disk.ts";
import { CONFIG_MEMBERS_MAX, checkConfig } from "./config.ts";
import type { Index, RaftConfig, Term } from "./types.ts";

export const LOG_START_FILE = "raft-snapshot";

export interface LogStartRecord {
  startOffset: Index;
  prevTerm: Term;
  config: RaftConfig;
}

export async function readLogStart(disk: Disk, dir: string): Promise<LogStartRecord | null> {
  const path = `${dir}/${LOG_START_FILE}`;
  if (!(await disk.exists(path))) return null;
  const file = await disk.open(path, { create: false });
  try {
    const bytes = await file.read(0, await file.size());
    const record = decodeLogStart(bytes);
    assert(record !== null, `${path} is corrupt`); // written atomically: a bad one is not a torn write
    return record;
  } finally {
    await file.close();
  }
}

export async function writeLogStart(disk: Disk, dir: string, record: LogStartRecord): Promise<void> {
  await replaceFileAtomically(disk, dir, LOG_START_FILE, encode(record));
}

function encode(record: LogStartRecord): Uint8Array {
  checkConfig(record.config);
  const { voters, learners } = record.config;
  const bytes = new Uint8Array(12 + 8 + 4 * (voters.length + learners.length) + 4);
  const view = new DataView(bytes.buffer);
  setInt64(view, 0, record.startOffset);
  view.setInt32(8, record.prevTerm);
  let at = 12;
  for (const list of [voters, learners]) {
    view.setUint32(at, list.length);
    at += 4;
    for (const id of list) view.setInt32((at += 4) - 4, id);
  }
  view.setUint32(at, crc32c(bytes.subarray(0, at)));
  return bytes;
}

/** The record in `bytes`, or null if they do not hold a whole one. */
export function decodeLogStart(bytes: Uint8Array): LogStartRecord | null {
  if (bytes.length < 24) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32c(bytes.subarray(0, bytes.length - 4)) !== view.getUint32(bytes.length - 4)) return null;
  let at = 12;
  const lists: number[][] = [];
  for (let l = 0; l < 2; l++) {
    const count = view.getUint32(at);
    if (count > CONFIG_MEMBERS_MAX || at + 4 + 4 * count > bytes.length - 4) return null;
    at += 4;
    const ids: number[] = [];
    for (let i = 0; i < count; i++, at += 4) ids.push(view.getInt32(at));
    lists.push(ids);
  }
  return { startOffset: getInt64(view, 0), prevTerm: view.getInt32(8), config: { voters: lists[0]!, learners: lists[1]! } };
}

/**
 * A partition's log start offset when DeleteRecords moved it inside a segment: kept in
 * `<dir>/start-offset` as [int64 offset][uint32 crc32c], replaced atomically (write a temp
 * file, sync it, rename, sync the directory). Without the file, the log starts at its first segment.
 */
import { join } from "node:path";
import { crc32c } from "../base/crc32c.ts";
import { replaceFileAtomically } from "../io/atomic-file.ts";
import type { Disk } from "../io/disk.ts";

const FILE_NAME = "start-offset";
const FILE_BYTES = 12;

export async function readStartOffset(disk: Disk, dir: string, warn: (message: string) => void): Promise<number> {
  const path = join(dir, FILE_NAME);
  if (!(await disk.exists(path))) return 0;
  const file = await disk.open(path, { create: false });
  try {
    const bytes = await file.read(0, FILE_BYTES);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length === FILE_BYTES && crc32c(bytes.subarray(0, 8)) === view.getUint32(8)) return Number(view.getBigInt64(0));
    warn(`${path} is torn or corrupt; the log starts at its first segment`);
    return 0;
  } finally {
    await file.close();
  }
}

export async function writeStartOffset(disk: Disk, dir: string, offset: number): Promise<void> {
  const bytes = new Uint8Array(FILE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, BigInt(offset));
  view.setUint32(8, crc32c(bytes.subarray(0, 8)));
  await replaceFileAtomically(disk, dir, FILE_NAME, bytes);
}

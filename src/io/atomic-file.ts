/**
 * Replaces a small file atomically through a Disk: write `<name>.tmp`, fdatasync it, rename it
 * over `<name>`, fsync the directory. A crash leaves the old file or the new one, never a mix.
 */
import type { Disk } from "./disk.ts";

export async function replaceFileAtomically(disk: Disk, dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const temp = `${dir}/${name}.tmp`;
  await disk.remove(temp);
  const file = await disk.open(temp, { create: true });
  try {
    await file.write(0, bytes);
    await file.datasync();
  } finally {
    await file.close();
  }
  await disk.rename(temp, `${dir}/${name}`);
  await disk.syncDir(dir);
}

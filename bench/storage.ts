/**
 * mitata: sequential appends through the Disk interface, io_uring backend vs posix backend in the
 * same run, for 4 KiB, 64 KiB and 1 MiB writes, each without and with an fdatasync after every
 * write (acks=1 vs acks=-1 with nothing to group). Each summary's baseline is posix; time per
 * iteration is the latency of one append, and size / time is its throughput.
 *   bun run bench/storage.ts [filter-regex]      # files go to $TMPDIR (ext4 here, so O_DIRECT)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { bench, group, run, summary } from "mitata";
import type { Disk, DiskFile } from "../src/io/disk.ts";
import { PosixDisk } from "../src/io/posix-disk.ts";
import { UringDisk } from "../src/io/uring-disk.ts";
import { formatBytes, KiB, MiB } from "./payload.ts";

const FILE_BYTES_MAX = 256 * MiB; // wrap around (truncate) so a long run does not fill the disk
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-bench-storage-"));
const uring = UringDisk.open();
const disks: Array<[string, Disk]> = [["posix", new PosixDisk()], ["uring", uring]];

/** An appender: each call writes `size` bytes at the file's end (optionally fdatasync'ed). */
async function appender(disk: Disk, name: string, sizeBytes: number, sync: boolean): Promise<() => Promise<void>> {
  const file: DiskFile = await disk.open(path.join(dir, name), { create: true });
  const data = new Uint8Array(sizeBytes).fill(0x5a);
  let position = 0;
  return async () => {
    if (position + sizeBytes > FILE_BYTES_MAX) {
      await file.truncate(0);
      position = 0;
    }
    await file.write(position, data);
    position += sizeBytes;
    if (sync) await file.datasync();
  };
}

for (const sync of [false, true]) {
  for (const sizeBytes of [4 * KiB, 64 * KiB, MiB]) {
    const label = `append ${formatBytes(sizeBytes)}${sync ? " + fdatasync" : ""}`;
    const appends = await Promise.all(disks.map(([name, disk]) => appender(disk, `${name}-${sizeBytes}-${sync}`, sizeBytes, sync)));
    group(label, () => {
      summary(() => {
        disks.forEach(([name], i) => {
          const b = bench(`${name} ${label}`, appends[i]!);
          if (name === "posix") b.baseline(true);
        });
      });
    });
  }
}

const filter = process.argv[2];
console.log("baseline in every group: posix (node:fs positional write [+ fdatasync]); uring = O_DIRECT through the shard ring");
await run({ colors: process.stdout.isTTY === true, filter: filter === undefined ? undefined : new RegExp(filter, "i") });
fs.rmSync(dir, { recursive: true, force: true });
uring.close();

import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { diskContract } from "./disk.contract.ts";
import { UringDisk } from "./uring-disk.ts";
import { type Ring, RingOp, UringUnavailableError } from "../native/uring.ts";
import { AlignedBufferPool, ReadBufferPool } from "./aligned-pool.ts";
import { UringFile } from "./uring-file.ts";

// One ring for the whole file, as one shard has one ring.
const disk = UringDisk.open(64);
afterAll(() => disk.close());

diskContract("uring", () => disk);

describe("uring disk specifics", () => {
  test("on disk the end is padded to 4 KiB until close; a later append rewrites the shared block", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-uring-"));
    const p = path.join(dir, "f");
    const f = await disk.open(p, { create: true });
    await f.write(0, new Uint8Array(100).fill(7));
    await f.write(100, new Uint8Array(5000).fill(8));
    expect(await f.size()).toBe(5100);
    const read = await f.read(98, 4);
    expect([...read]).toEqual([7, 7, 8, 8]);
    await f.datasync();
    expect(fs.statSync(p).size).toBe(8192);
    await f.write(5100, new Uint8Array(4000).fill(9)); // shares the block written by the datasync
    await f.datasync();
    expect(fs.statSync(p).size).toBe(12288);
    await f.close();
    expect(fs.statSync(p).size).toBe(9100);
    const onDisk = fs.readFileSync(p);
    expect([onDisk[99], onDisk[100], onDisk[5099], onDisk[5100], onDisk[9099]]).toEqual([7, 8, 8, 9, 9]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("appends reach the disk without a datasync", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-uring-"));
    const p = path.join(dir, "f");
    const f = await disk.open(p, { create: true });
    await f.write(0, new Uint8Array(10).fill(5));
    const deadlineMs = Date.now() + 5000;
    while (fs.statSync(p).size === 0 && Date.now() < deadlineMs) await Bun.sleep(5);
    expect(fs.statSync(p).size).toBe(4096);
    expect([...fs.readFileSync(p).subarray(0, 11)]).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 0]);
    await f.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("two writes of one block land in order even when the device would take the later first", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-uring-"));
    const p = path.join(dir, "f");
    // The real ring, except that large writes reach it 50 ms late: a small write issued after
    // one of them would otherwise land first and then be overwritten by the older block.
    const slowLargeWrites: Pick<Ring, "run" | "writeThenDatasync"> = {
      run: async (op, fd, buffer, length, offset) => {
        if (op === RingOp.write && length > 64 * 1024) await Bun.sleep(50);
        return disk.ring.run(op, fd, buffer, length, offset);
      },
      writeThenDatasync: async (fd, buffer, length, offset) => {
        if (length > 64 * 1024) await Bun.sleep(50);
        return disk.ring.writeThenDatasync(fd, buffer, length, offset);
      },
    };
    const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DIRECT);
    const f = new UringFile(p, fd, 0, true, slowLargeWrites, new AlignedBufferPool(), new ReadBufferPool());
    const first = new Uint8Array(200_000).fill(1);
    await f.write(0, first);
    const firstSync = f.datasync(); // the large write, with a partial last block
    await f.write(first.length, new Uint8Array(3000).fill(2)); // completes that block
    await Promise.all([firstSync, f.datasync()]);
    await f.close();
    const onDisk = fs.readFileSync(p);
    expect(onDisk.length).toBe(203_000);
    expect([onDisk[199_999], onDisk[200_000], onDisk[202_999]]).toEqual([1, 2, 2]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a failed background write fails the file: datasync and later writes throw, nothing is called durable", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-uring-"));
    const p = path.join(dir, "f");
    let failWrites = false;
    const EIO = -5;
    const failingRing: Pick<Ring, "run" | "writeThenDatasync"> = {
      run: (op, fd, buffer, length, offset) => (failWrites && op === RingOp.write ? Promise.resolve(EIO) : disk.ring.run(op, fd, buffer, length, offset)),
      writeThenDatasync: (fd, buffer, length, offset) => (failWrites ? Promise.resolve([EIO, -125]) : disk.ring.writeThenDatasync(fd, buffer, length, offset)),
    };
    const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DIRECT);
    const f = new UringFile(p, fd, 0, true, failingRing, new AlignedBufferPool(), new ReadBufferPool());
    await f.write(0, new Uint8Array(5000).fill(1));
    await f.datasync();
    failWrites = true;
    await f.write(5000, new Uint8Array(100).fill(2)); // accepted into memory
    await expect(f.datasync()).rejects.toThrow(/EIO/);
    await expect(f.write(5100, new Uint8Array(10))).rejects.toThrow(/EIO/);
    await expect(f.datasync()).rejects.toThrow(/EIO/);
    await f.close(); // the failure was reported above; close still releases the file
    const onDisk = fs.readFileSync(p);
    expect(onDisk.subarray(0, 5000).every((b) => b === 1)).toBe(true);
    expect(onDisk.subarray(5000).every((b) => b === 0)).toBe(true); // only padding past the synced end
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("writtenThrough waits for the chunk's write, rejects after a failed one, and a truncate makes the file whole again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-uring-"));
    const p = path.join(dir, "f");
    let failWrites = false;
    let writesStarted = 0;
    const ENOSPC = -28;
    const gate = Promise.withResolvers<void>();
    const ring: Pick<Ring, "run" | "writeThenDatasync"> = {
      run: async (op, fd, buffer, length, offset) => {
        if (op !== RingOp.write) return disk.ring.run(op, fd, buffer, length, offset);
        writesStarted++;
        await gate.promise; // the device is slow: the append returns long before the write is done
        return failWrites ? ENOSPC : disk.ring.run(op, fd, buffer, length, offset);
      },
      writeThenDatasync: (fd, buffer, length, offset) => disk.ring.writeThenDatasync(fd, buffer, length, offset),
    };
    const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DIRECT);
    const f = new UringFile(p, fd, 0, true, ring, new AlignedBufferPool(), new ReadBufferPool());
    await f.write(0, new Uint8Array(5000).fill(1)); // accepted into memory
    let through = false;
    const first = f.writtenThrough(5000).then(() => (through = true));
    await Bun.sleep(5);
    expect(writesStarted).toBe(1);
    expect(through).toBe(false);
    gate.resolve();
    await first;
    await f.write(5000, new Uint8Array(100).fill(2));
    failWrites = true;
    await expect(f.writtenThrough(5100)).rejects.toThrow(/ENOSPC/);
    await expect(f.write(5100, new Uint8Array(10))).rejects.toThrow(/ENOSPC/);
    failWrites = false;
    await f.truncate(5000); // the cut back to what was written clears the failure
    await f.write(5000, new Uint8Array(50).fill(3));
    await f.writtenThrough(5050);
    await f.datasync();
    await f.close();
    const onDisk = fs.readFileSync(p);
    expect(onDisk.length).toBe(5050);
    expect([onDisk[4999], onDisk[5000], onDisk[5049]]).toEqual([1, 3, 3]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a missing shim is reported as unavailable, not a crash", () => {
    expect(() => UringDisk.open(8, "/nonexistent/libskua_uring.so")).toThrow(UringUnavailableError);
  });
});

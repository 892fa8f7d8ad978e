import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { mulberry32 } from "../base/random.ts";
import type { Disk } from "./disk.ts";

/** The model run is a fixed amount of CPU-bound work: on 2 cores shared with other test runs it can take several times its ~2 s. */
const MODEL_TEST_TIMEOUT_MS = 30_000;

/** The contract every Disk backend must meet. Each backend's test file calls this once. */
export function diskContract(name: string, makeDisk: () => Disk): void {
  describe(`Disk contract: ${name}`, () => {
    let dir = "";
    let disk: Disk;
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-disk-"));
      disk = makeDisk();
      await disk.mkdirp(dir); // a no-op on real disks; the simulated one starts empty
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("open without create fails on a missing file", async () => {
      await expect(disk.open(path.join(dir, "nope"), { create: false })).rejects.toThrow();
    });

    test("write then read back, size grows", async () => {
      const f = await disk.open(path.join(dir, "a"), { create: true });
      expect(await f.size()).toBe(0);
      await f.write(0, new Uint8Array([1, 2, 3]));
      await f.write(3, new Uint8Array([4, 5]));
      expect(await f.size()).toBe(5);
      expect([...(await f.read(0, 5))]).toEqual([1, 2, 3, 4, 5]);
      expect([...(await f.read(2, 2))]).toEqual([3, 4]);
      await f.close();
    });

    test("read at EOF returns fewer bytes", async () => {
      const f = await disk.open(path.join(dir, "a"), { create: true });
      await f.write(0, new Uint8Array([9, 8, 7]));
      expect([...(await f.read(1, 100))]).toEqual([8, 7]);
      expect((await f.read(10, 4)).length).toBe(0);
      await f.close();
    });

    test("overwrite in place and write past end", async () => {
      const f = await disk.open(path.join(dir, "a"), { create: true });
      await f.write(0, new Uint8Array([1, 1, 1, 1]));
      await f.write(1, new Uint8Array([2, 2]));
      await f.write(6, new Uint8Array([3]));
      expect([...(await f.read(0, 7))]).toEqual([1, 2, 2, 1, 0, 0, 3]);
      await f.close();
    });

    test("writtenThrough settles for written bytes; truncate then takes writes from the cut", async () => {
      const f = await disk.open(path.join(dir, "w"), { create: true });
      await f.write(0, new Uint8Array(10_000).fill(5));
      await f.writtenThrough(10_000);
      await f.truncate(4000);
      expect(await f.size()).toBe(4000);
      await f.write(4000, new Uint8Array([6, 7]));
      await f.writtenThrough(4002);
      expect([...(await f.read(3999, 10))]).toEqual([5, 6, 7]);
      await f.close();
    });

    test("large write round trip", async () => {
      const f = await disk.open(path.join(dir, "big"), { create: true });
      const data = Uint8Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 7) & 0xff);
      await f.write(0, data);
      await f.datasync();
      expect(Buffer.compare(await f.read(0, data.length), data)).toBe(0);
      await f.close();
    });

    test("truncate shrinks and keeps the prefix", async () => {
      const f = await disk.open(path.join(dir, "a"), { create: true });
      await f.write(0, new Uint8Array([1, 2, 3, 4, 5]));
      await f.truncate(2);
      expect(await f.size()).toBe(2);
      expect([...(await f.read(0, 10))]).toEqual([1, 2]);
      await f.close();
    });

    test("reopen sees persisted bytes; create does not truncate", async () => {
      const p = path.join(dir, "a");
      const f = await disk.open(p, { create: true });
      await f.write(0, new Uint8Array([5, 6]));
      await f.close();
      const g = await disk.open(p, { create: true });
      expect([...(await g.read(0, 2))]).toEqual([5, 6]);
      await g.close();
    });

    test("mkdirp, list, exists, rename, remove, syncDir", async () => {
      const sub = path.join(dir, "x", "y");
      await disk.mkdirp(sub);
      await disk.mkdirp(sub); // idempotent
      expect(await disk.list(path.join(dir, "missing"))).toEqual([]);
      const f = await disk.open(path.join(sub, "f1"), { create: true });
      await f.close();
      await disk.rename(path.join(sub, "f1"), path.join(sub, "f2"));
      await disk.syncDir(sub);
      expect(await disk.list(sub)).toEqual(["f2"]);
      expect(await disk.exists(path.join(sub, "f2"))).toBe(true);
      expect(await disk.exists(path.join(sub, "f1"))).toBe(false);
      await disk.remove(path.join(sub, "f2"));
      await disk.remove(path.join(sub, "f2")); // ok if missing
      expect(await disk.list(sub)).toEqual([]);
      await disk.remove(path.join(dir, "x"));
      expect(await disk.exists(path.join(dir, "x"))).toBe(false);
    });

    test("concurrent positional writes do not interfere", async () => {
      const f = await disk.open(path.join(dir, "a"), { create: true });
      const writes = [];
      for (let i = 0; i < 64; i++) writes.push(f.write(i * 100, new Uint8Array(100).fill(i)));
      await Promise.all(writes);
      const all = await f.read(0, 6400);
      for (let i = 0; i < 64; i++) expect(all[i * 100 + 50]).toBe(i);
      await f.close();
    });

    test("random appends, overwrites, truncates, syncs and reads match a model", async () => {
      const seed = process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : Date.now() >>> 0;
      console.log(`disk contract (${name}) model seed=${seed}`);
      const random = mulberry32(seed);
      const int = (n: number) => Math.floor(random() * n);
      const p = path.join(dir, "model");
      let f = await disk.open(p, { create: true });
      let model = new Uint8Array(0);
      const appending: Promise<void>[] = [];
      const resized = (size: number) => {
        const next = new Uint8Array(size);
        next.set(model.subarray(0, Math.min(size, model.length)));
        return next;
      };
      for (let step = 0; step < 300; step++) {
        const op = int(100);
        if (op < 55) {
          // Appends of every size class: inside one block, across blocks, across write chunks.
          const data = Uint8Array.from({ length: 1 + int([300, 9000, 1_500_000][int(3)]!) }, () => int(256));
          const at = model.length;
          appending.push(f.write(at, data)); // consecutive appends may be in flight together
          model = resized(at + data.length);
          model.set(data, at);
          continue;
        }
        await Promise.all(appending.splice(0));
        if (op < 65 && model.length > 0) {
          const at = int(model.length);
          const data = Uint8Array.from({ length: 1 + int(6000) }, () => int(256));
          await f.write(at, data);
          model = resized(Math.max(model.length, at + data.length));
          model.set(data, at);
        } else if (op < 70) {
          const size = int(model.length + 1);
          await f.truncate(size);
          model = resized(size);
        } else if (op < 80) {
          await f.datasync();
        } else if (op < 83) {
          await f.close();
          f = await disk.open(p, { create: false });
        } else {
          const at = int(model.length + 10);
          const length = int(2_000_000);
          const got = await f.read(at, length);
          const want = model.subarray(Math.min(at, model.length), Math.min(at + length, model.length));
          expect(Buffer.compare(got, want), `step ${step}: read ${length} at ${at} of ${model.length}`).toBe(0);
        }
        expect(await f.size()).toBe(model.length);
      }
      await Promise.all(appending);
      await f.close();
      const g = await disk.open(p, { create: false });
      expect(await g.size()).toBe(model.length);
      expect(Buffer.compare(await g.read(0, model.length), model)).toBe(0);
      await g.close();
    }, MODEL_TEST_TIMEOUT_MS);
  });
}

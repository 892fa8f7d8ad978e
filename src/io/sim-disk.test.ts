import { describe, expect, test } from "bun:test";
import { diskContract } from "./disk.contract.ts";
import { SimDisk } from "./sim-disk.ts";

diskContract("sim", () => new SimDisk(1));

const seed = process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : Date.now() >>> 0;

describe(`sim disk faults (seed ${seed}; rerun with SKUA_SEED=${seed})`, () => {
  test("failed writes change nothing; short writes land a prefix; both throw", async () => {
    console.log(`sim-disk seed=${seed}`);
    const disk = new SimDisk(seed, { writeFailProbability: 0.3, shortWriteProbability: 0.3 });
    await disk.mkdirp("/d");
    const f = await disk.open("/d/f", { create: true });
    let failures = 0;
    for (let i = 0; i < 100; i++) {
      const before = await f.size();
      try {
        await f.write(before, new Uint8Array(10).fill(1));
        expect(await f.size()).toBe(before + 10);
      } catch (e) {
        failures++;
        expect(String(e)).toContain("EIO");
        expect(await f.size()).toBeLessThan(before + 10);
      }
    }
    expect(failures).toBe(disk.faultsInjected);
    expect(failures).toBeGreaterThan(0);
  });

  test("ENOSPC once capacity is reached", async () => {
    const disk = new SimDisk(seed, { capacityBytes: 100 });
    await disk.mkdirp("/d");
    const f = await disk.open("/d/f", { create: true });
    await f.write(0, new Uint8Array(100));
    await expect(f.write(100, new Uint8Array(1))).rejects.toThrow("ENOSPC");
    await f.write(0, new Uint8Array(50)); // overwrites need no space
  });

  test("fsync errors throw and make nothing durable", async () => {
    const disk = new SimDisk(seed, { fsyncFailProbability: 1 });
    await disk.mkdirp("/d");
    const f = await disk.open("/d/f", { create: true });
    await f.write(0, new Uint8Array([1, 2, 3]));
    await expect(f.datasync()).rejects.toThrow("EIO");
  });

  test("a crash keeps synced bytes and a prefix of later writes, maybe torn at any byte", async () => {
    for (let round = 0; round < 50; round++) {
      const disk = new SimDisk(seed + round);
      await disk.mkdirp("/d");
      const f = await disk.open("/d/f", { create: true });
      const synced = new Uint8Array(64).fill(7);
      await f.write(0, synced);
      await f.datasync();
      const later = new Uint8Array(64).fill(9);
      await f.write(64, later);
      disk.crash();
      const g = await disk.open("/d/f", { create: false });
      const size = await g.size();
      expect(size).toBeGreaterThanOrEqual(64);
      expect(size).toBeLessThanOrEqual(128);
      const bytes = await g.read(0, size);
      expect([...bytes.subarray(0, 64)]).toEqual([...synced]);
      expect(bytes.subarray(64).every((b) => b === 9)).toBe(true);
    }
  });
});

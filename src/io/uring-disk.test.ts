import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { diskContract } from "./disk.contract.ts";
import { UringDisk } from "./uring-disk.ts";
import { UringUnavailableError } from "../native/uring.ts";

// One ring for the whole file, as one shard has one ring.
const disk = UringDisk.open(64);
afterAll(() => disk.close());

diskContract("uring", () => disk);

describe("uring disk specifics", () => {
  test("a file with an unaligned end is padded to 4 KiB on disk until close, and exact after", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-uring-"));
    const p = path.join(dir, "f");
    const f = await disk.open(p, { create: true });
    await f.write(0, new Uint8Array(100).fill(7));
    await f.write(100, new Uint8Array(5000).fill(8));
    expect(await f.size()).toBe(5100);
    expect(fs.statSync(p).size).toBe(8192);
    await f.datasync();
    await f.close();
    expect(fs.statSync(p).size).toBe(5100);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a missing shim is reported as unavailable, not a crash", () => {
    expect(() => UringDisk.open(8, "/nonexistent/libskua_uring.so")).toThrow(UringUnavailableError);
  });
});

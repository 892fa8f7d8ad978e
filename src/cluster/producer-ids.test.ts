import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PosixDisk } from "../io/posix-disk.ts";
import { ProducerIdStore } from "./producer-ids.ts";

const disk = new PosixDisk();

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "skua-pid-"));
  dirs.push(dir);
  return dir;
};

test("blocks never overlap, also across reopening", async () => {
  const dir = tempDir();
  const store = await ProducerIdStore.open(disk, dir);
  expect(await store.allocate(10)).toEqual({ firstId: 0, count: 10 });
  expect(await store.allocate(5)).toEqual({ firstId: 10, count: 5 });
  expect((await (await ProducerIdStore.open(disk, dir)).allocate(1))).toEqual({ firstId: 15, count: 1 });
});

test("a large counter survives (ids above 2^32)", async () => {
  const dir = tempDir();
  const store = await ProducerIdStore.open(disk, dir);
  await store.allocate(2 ** 33);
  expect((await (await ProducerIdStore.open(disk, dir)).allocate(1)).firstId).toBe(2 ** 33);
});

test("a corrupt file refuses to open rather than reuse ids", async () => {
  const dir = tempDir();
  await (await ProducerIdStore.open(disk, dir)).allocate(3);
  writeFileSync(join(dir, "controller", "producer_ids"), "garbage-bytes");
  await expect(ProducerIdStore.open(disk, dir)).rejects.toThrow(/corrupt/);
});

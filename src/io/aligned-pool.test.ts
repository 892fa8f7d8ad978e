import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { BLOCK_BYTES } from "../native/uring.ts";
import { endHold, giveBack, lend } from "../base/lent-buffers.ts";
import { AlignedBufferPool, ReadBufferPool, SMALL_BYTES_BELOW } from "./aligned-pool.ts";

test("buffers are aligned, exactly the asked length, reused after release, and the pool is bounded", () => {
  const big = SMALL_BYTES_BELOW / BLOCK_BYTES; // blocks in the smallest pooled size
  const pool = new AlignedBufferPool(4 * SMALL_BYTES_BELOW, undefined, 2 * BLOCK_BYTES);
  const first = pool.acquire(3 * big * BLOCK_BYTES);
  expect(first.buffer.bytes.length).toBe(3 * big * BLOCK_BYTES);
  expect(first.buffer.address % BLOCK_BYTES).toBe(0);
  const address = first.buffer.address;
  first.release();
  const again = pool.acquire(4 * big * BLOCK_BYTES); // same power-of-two size class
  expect(again.buffer.address).toBe(address);
  const other = pool.acquire(4 * big * BLOCK_BYTES); // the pooled one is taken: a new one
  expect(other.buffer.address).not.toBe(address);
  again.release();
  other.release();
  const huge = pool.acquire(8 * big * BLOCK_BYTES); // over the pool's bound once released: not kept
  huge.release();
  expect(pool.acquire(8 * big * BLOCK_BYTES).buffer.address).not.toBe(huge.buffer.address);
  // Below 64 KiB: kept under their own bound, which the large buffers above did not use up.
  const small = [pool.acquire(BLOCK_BYTES), pool.acquire(BLOCK_BYTES), pool.acquire(BLOCK_BYTES)];
  for (const s of small) s.release(); // two fit the small bound, the third goes
  const addresses = small.map((s) => s.buffer.address);
  const reused = [pool.acquire(BLOCK_BYTES), pool.acquire(BLOCK_BYTES), pool.acquire(BLOCK_BYTES)].map((s) => s.buffer.address);
  expect(reused.slice(0, 2).sort()).toEqual(addresses.slice(0, 2).sort());
  expect(addresses).not.toContain(reused[2]);
});

test("the buffers out are the shard's write-behind: past its bound writers wait for room, and a release gives it", async () => {
  const pool = new AlignedBufferPool(16 * BLOCK_BYTES, 8 * BLOCK_BYTES);
  const a = pool.acquire(4 * BLOCK_BYTES);
  const b = pool.acquire(4 * BLOCK_BYTES);
  expect(pool.heldBytes).toBe(8 * BLOCK_BYTES);
  expect(pool.room()).toBeNull(); // at the bound, not past it
  const c = pool.acquire(BLOCK_BYTES);
  let roomy = false;
  const waiting = pool.room()!.then(() => (roomy = true));
  await Bun.sleep(1);
  expect(roomy).toBe(false);
  a.release();
  await waiting;
  expect(pool.heldBytes).toBe(5 * BLOCK_BYTES);
  b.release();
  c.release();
  expect(pool.heldBytes).toBe(0);
});

test("read buffers come back to the pool only when their holder and every lent view are done", () => {
  const pool = new ReadBufferPool(1024 * 1024);
  const first = pool.acquire(8 * BLOCK_BYTES);
  const view = first.bytes.subarray(100, 200);
  lend(view);
  endHold(first.bytes);
  expect(pool.acquire(8 * BLOCK_BYTES).address).not.toBe(first.address); // a lent view is still out
  giveBack(view);
  expect(pool.acquire(8 * BLOCK_BYTES).address).toBe(first.address);
});

/** Bytes of huge pages backing the mapping that holds `address` (/proc/self/smaps), or null if none holds it. */
function hugePageBytesAt(address: number): number | null {
  const smaps = readFileSync("/proc/self/smaps", "utf8");
  for (const block of smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [start, end] = block.slice(0, block.indexOf(" ")).split("-").map((hex) => parseInt(hex, 16));
    if (address < start! || address >= end!) continue;
    return Number(/^AnonHugePages:\s+(\d+) kB$/m.exec(block)![1]) * 1024;
  }
  return null;
}

const THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled";
const thpOff = !existsSync(THP_ENABLED) || readFileSync(THP_ENABLED, "utf8").includes("[never]");

test.skipIf(thpOff)("read buffers of 2 MiB or more start on a 2 MiB boundary and are backed by huge pages once touched", () => {
  const pool = new ReadBufferPool();
  const buffer = pool.acquire(8 * 1024 * 1024);
  expect(buffer.address % (2 * 1024 * 1024)).toBe(0);
  buffer.bytes.fill(1); // first touch, as a read into it would be
  // Without the pool's madvise no huge page backs it (THP is madvise-only here); with it the kernel
  // gives what it can find at fault time: on a fragmented machine one of four was seen missing.
  expect(hugePageBytesAt(buffer.address)).toBeGreaterThanOrEqual(2 * 1024 * 1024);
  const small = pool.acquire(64 * 1024);
  expect(small.address % BLOCK_BYTES).toBe(0);
  endHold(buffer.bytes);
  endHold(small.bytes);
});
